"""What a rendered document shows: plain values, no storage, no AWS."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Party:
    """A supplier or client as printed on documents."""

    name: str
    vat_number: str | None
    street: str
    city: str
    postcode: str
    country: str  # ISO 3166-1 alpha-2
    email: str | None = None
    registration_number: str | None = None
    iban: str | None = None
    county: str | None = None  # ISO 3166-2 (RO-B); in Bucharest the city is the sector (SECTOR3)


@dataclass(frozen=True)
class DocumentLine:
    sku: str
    name: str
    qty: int
    unit: str
    unit_price: Decimal
    vat_rate: Decimal  # percent, e.g. Decimal("19")
    line_total: Decimal  # net, rounded to cents
    vat_category: str | None = None  # EN 16931 / UNCL 5305: S, Z, E, AE, K, G, O (None: S, or Z at 0 %)
    vat_exemption_reason: str | None = None


@dataclass(frozen=True)
class VatBreakdown:
    rate: Decimal  # percent
    taxable: Decimal
    vat: Decimal
    category: str | None = None  # None: S, or Z at 0 %
    exemption_reason: str | None = None
    exemption_code: str | None = None  # VATEX


@dataclass(frozen=True)
class InvoiceDocument:
    number: str
    issue_date: date
    due_date: date
    currency: str
    supplier: Party
    client: Party
    lines: list[DocumentLine]
    vat_breakdown: list[VatBreakdown]
    subtotal: Decimal
    discount_percent: Decimal
    vat_total: Decimal
    total: Decimal
    order_number: str
    client_reference: str | None = None
    payment_term_days: int = 30
    notes: str | None = None
    # In a currency other than the supplier's accounting currency: the VAT also in that currency (BT-6, BT-111)
    tax_currency: str | None = None
    exchange_rate: Decimal | None = None  # accounting currency units per 1 document currency unit
    vat_total_tax_currency: Decimal | None = None
    delivery_date: date | None = None  # date of supply (BT-72)
    delivery_country: str | None = None
    delivery_note: str | None = None  # e.g. "Issued before delivery"
    # A credit note: CreditNote document, its invoice (BT-25/BT-26) and the reason
    kind: str = "invoice"  # invoice | credit_note
    invoice_number: str | None = None
    invoice_issue_date: date | None = None
    reason: str | None = None
    legal_notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Parcel:
    weight_kg: Decimal
    length_cm: int
    width_cm: int
    height_cm: int


@dataclass(frozen=True)
class DeliveryNoteDocument:
    number: str
    issue_date: date
    order_number: str
    supplier: Party
    client: Party
    delivery_address: Party
    lines: list[DocumentLine]  # prices may be shown or not; qty is what matters
    parcels: list[Parcel] = field(default_factory=list)
    courier: str | None = None
    awb: str | None = None
    backorder_note: str | None = None


@dataclass(frozen=True)
class StatementEntry:
    date: date
    kind: str  # "invoice" | "payment"
    reference: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass(frozen=True)
class StatementDocument:
    supplier: Party
    client: Party
    currency: str
    period_from: date
    period_to: date
    opening_balance: Decimal
    entries: list[StatementEntry]
    closing_balance: Decimal
