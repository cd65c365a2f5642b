"""The invoice as a UBL 2.1 XML e-invoice carrying the EN 16931 core fields (standard library only).

The amounts are derived so that the EN 16931 arithmetic rules hold whatever the rounding upstream:
  LineExtensionAmount  = sum of the lines' net amounts                    (BR-CO-10)
  AllowanceTotalAmount = the discount, one document-level allowance per VAT rate (BR-CO-11)
  TaxExclusiveAmount   = LineExtensionAmount - AllowanceTotalAmount       (BR-CO-13)
  TaxableAmount (rate) = lines at that rate - the allowance at that rate  (BR-S-08)
  TaxInclusiveAmount   = TaxExclusiveAmount + TaxTotal/TaxAmount          (BR-CO-15)
  PayableAmount        = the invoice total; any cent of difference from TaxInclusiveAmount is shown as
                         PayableRoundingAmount                            (BR-CO-16)
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

from chalicelib.documents.models import DocumentLine, InvoiceDocument, Party, VatBreakdown
from chalicelib.domain.addresses import BUCHAREST, sector_of
from chalicelib.domain.money import to_money
from chalicelib.domain.tax import LEGAL_WORDING, VatCategory

LEGAL_REASONS = {category.value: wording.reason for category, wording in LEGAL_WORDING.items()}

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017"
# BR-RO-001: a Romanian supplier's e-invoice names the CIUS-RO specification (ANAF e-Factura).
CUSTOMIZATION_ID_RO = "urn:cen.eu:en16931:2017#compliant#urn:efactura.mfinante.ro:CIUS-RO:1.0.1"
INVOICE_TYPE_COMMERCIAL = "380"
CREDIT_NOTE_TYPE = "381"
PAYMENT_MEANS_CREDIT_TRANSFER = "30"
PAYMENT_MEANS_NOT_DEFINED = "1"  # BR-50: a credit transfer needs the payee's account, so without an IBAN say nothing
ALLOWANCE_REASON_DISCOUNT = "95"
MAX_ITEM_NAME = 100  # BR-RO-L1024
MAX_NOTE = 300  # BR-RO-L302
ANAF_UNKNOWN_ID = "0000000000000"

ET.register_namespace("cac", CAC_NS)
ET.register_namespace("cbc", CBC_NS)

# UN/ECE Recommendation 20 codes for the units our catalogue uses; anything else is "one" (C62).
UNIT_CODES = {
    "pcs": "H87", "pc": "H87", "piece": "H87", "pieces": "H87", "buc": "H87", "ea": "EA", "each": "EA",
    "kg": "KGM", "g": "GRM", "t": "TNE", "l": "LTR", "ml": "MLT", "m": "MTR", "cm": "CMT", "mm": "MMT",
    "m2": "MTK", "m²": "MTK", "m3": "MTQ", "m³": "MTQ", "h": "HUR", "hour": "HUR", "day": "DAY",
    "box": "XBX", "pack": "XPK", "pk": "XPK", "pallet": "XPX", "roll": "XRO", "bag": "XBG", "set": "SET",
    "pair": "PR", "carton": "XCT",
}


def unit_code(unit: str) -> str:
    """The UN/ECE Rec. 20 code for a unit as printed ("kg" -> "KGM"); C62 ("one") when unknown."""
    return UNIT_CODES.get(unit.strip().lower(), "C62")


Key = tuple[str, Decimal]  # (VAT category, rate)


def tax_category(rate: Decimal) -> str:
    """Standard rated (S), or zero rated (Z) at 0% (for lines that carry no category)."""
    return "S" if rate else "Z"


def customization_id(doc: InvoiceDocument) -> str:
    """CIUS-RO for a Romanian supplier (what ANAF accepts), plain EN 16931 for others."""
    return CUSTOMIZATION_ID_RO if doc.supplier.country.upper() == "RO" else CUSTOMIZATION_ID


def invoice_xml(doc: InvoiceDocument) -> bytes:
    """The invoice (or, for `kind == "credit_note"`, the credit note) as a UBL 2.1 document (EN 16931 core,
    CIUS-RO for Romanian suppliers), UTF-8 encoded with an XML declaration."""
    credit = doc.kind == "credit_note"
    amounts = _Amounts(doc)
    # The main namespace is the default one; ElementTree cannot write one beside unprefixed attributes
    # (currencyID), so the root declares it itself.
    root = ET.Element("CreditNote" if credit else "Invoice", {"xmlns": CREDIT_NOTE_NS if credit else INVOICE_NS})
    _cbc(root, "CustomizationID", customization_id(doc))
    _cbc(root, "ID", doc.number)
    _cbc(root, "IssueDate", doc.issue_date.isoformat())
    if not credit:
        _cbc(root, "DueDate", doc.due_date.isoformat())
    _cbc(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", CREDIT_NOTE_TYPE if credit else INVOICE_TYPE_COMMERCIAL)
    for note in _notes(doc)[:20]:  # BR-RO-A020
        _cbc(root, "Note", note[:MAX_NOTE])
    _cbc(root, "DocumentCurrencyCode", doc.currency)
    if doc.tax_currency and doc.tax_currency != doc.currency:
        _cbc(root, "TaxCurrencyCode", doc.tax_currency)
    # BT-10 is mandatory in e-invoicing networks (Peppol, XRechnung): the client's reference, else our order number.
    _cbc(root, "BuyerReference", doc.client_reference or doc.order_number)
    _cbc(_cac(root, "OrderReference"), "ID", doc.order_number)
    if credit and doc.invoice_number:
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", doc.invoice_number)
        if doc.invoice_issue_date:
            _cbc(reference, "IssueDate", doc.invoice_issue_date.isoformat())
    without_vat_ids = VatCategory.OUTSIDE_SCOPE.value in amounts.categories  # BR-O-02
    _party(_cac(root, "AccountingSupplierParty"), doc.supplier, with_vat_id=not without_vat_ids)
    _party(_cac(root, "AccountingCustomerParty"), doc.client, with_vat_id=not without_vat_ids,
           romanian_rules=customization_id(doc) == CUSTOMIZATION_ID_RO)
    _delivery(root, doc)
    _payment_means(root, doc)
    if not credit:
        _cbc(_cac(root, "PaymentTerms"), "Note",
             f"Payment within {doc.payment_term_days} days of the invoice date, by {doc.due_date.isoformat()}.")
    for key in amounts.keys:
        _discount(root, doc, key, amounts)
    _tax_total(root, doc, amounts)
    _monetary_total(root, doc, amounts)
    for index, line in enumerate(doc.lines, start=1):
        _invoice_line(root, doc.currency, index, line, credit=credit)
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def credit_note_xml(doc: InvoiceDocument) -> bytes:
    """A credit note as a UBL 2.1 CreditNote (positive amounts; BillingReference names the invoice)."""
    return invoice_xml(replace(doc, kind="credit_note"))


def _notes(doc: InvoiceDocument) -> list[str]:
    notes = [doc.notes] if doc.notes else []
    if doc.kind == "credit_note" and doc.reason:
        notes.append(f"Credit note for invoice {doc.invoice_number}: {doc.reason}")
    notes += list(doc.legal_notes)
    if doc.delivery_note:
        notes.append(doc.delivery_note)
    if doc.exchange_rate and doc.tax_currency and doc.tax_currency != doc.currency:
        notes.append(f"Exchange rate: 1 {doc.currency} = {doc.exchange_rate.normalize():f} {doc.tax_currency}; "
                     f"VAT {to_money(doc.vat_total_tax_currency or Decimal(0)):f} {doc.tax_currency}.")
    return notes


class _Amounts:
    """The document's amounts per VAT rate, reconciled as the module docstring describes."""

    def __init__(self, doc: InvoiceDocument) -> None:
        self.lines_by_key: dict[Key, Decimal] = defaultdict(Decimal)
        for line in doc.lines:
            self.lines_by_key[_line_key(line)] += to_money(line.line_total)
        self.taxable_by_key = {_row_key(row): to_money(row.taxable) for row in doc.vat_breakdown}
        self.vat_by_key = {_row_key(row): to_money(row.vat) for row in doc.vat_breakdown}
        self.reasons: dict[Key, tuple[str | None, str | None]] = {
            _row_key(row): (row.exemption_reason, row.exemption_code) for row in doc.vat_breakdown}
        for line in doc.lines:
            self.reasons.setdefault(_line_key(line), (line.vat_exemption_reason, None))
        self.keys = sorted(set(self.lines_by_key) | set(self.taxable_by_key), key=lambda k: (k[0], -k[1]))
        self.categories = {key[0] for key in self.keys}
        self.line_extension = sum(self.lines_by_key.values(), Decimal(0))
        self.tax_exclusive = sum((self.taxable(key) for key in self.keys), Decimal(0))
        self.allowance = self.line_extension - self.tax_exclusive
        self.tax = sum(self.vat_by_key.values(), Decimal(0))
        self.tax_inclusive = self.tax_exclusive + self.tax

    def taxable(self, key: Key) -> Decimal:
        return self.taxable_by_key.get(key, self.lines_by_key.get(key, Decimal(0)))

    def allowance_at(self, key: Key) -> Decimal:
        return self.lines_by_key.get(key, Decimal(0)) - self.taxable(key)


def _line_key(line: DocumentLine) -> Key:
    return (line.vat_category or tax_category(line.vat_rate), line.vat_rate.normalize() + Decimal(0))


def _row_key(row: VatBreakdown) -> Key:
    return (row.category or tax_category(row.rate), row.rate.normalize() + Decimal(0))


def _n(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def _cbc(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _n(CBC_NS, tag), attributes)
    element.text = text
    return element


def _cac(parent: ET.Element, tag: str) -> ET.Element:
    return ET.SubElement(parent, _n(CAC_NS, tag))


def _amount(parent: ET.Element, tag: str, value: Decimal, currency: str) -> ET.Element:
    return _cbc(parent, tag, f"{to_money(value) + Decimal(0):f}", currencyID=currency)


def _price(value: Decimal) -> str:
    """Unit prices keep their precision (0.0125), with at least two decimals and no trailing zeros past them."""
    exponent = value.normalize().as_tuple().exponent
    shown = value.normalize() if isinstance(exponent, int) and exponent < -2 else to_money(value)
    return f"{shown + Decimal(0):f}"


def _party(role: ET.Element, party: Party, *, with_vat_id: bool = True, romanian_rules: bool = False) -> None:
    element = _cac(role, "Party")
    if party.email:
        _cbc(element, "EndpointID", party.email, schemeID="EM")
    _cbc(_cac(element, "PartyName"), "Name", party.name)
    _address(_cac(element, "PostalAddress"), party.street, party.city, party.postcode, party.county, party.country)
    if party.vat_number and with_vat_id:
        tax_scheme = _cac(element, "PartyTaxScheme")
        _cbc(tax_scheme, "CompanyID", party.vat_number)
        _cbc(_cac(tax_scheme, "TaxScheme"), "ID", "VAT")
    legal = _cac(element, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", party.name)
    if party.registration_number:
        _cbc(legal, "CompanyID", party.registration_number)
    elif romanian_rules and not (party.vat_number and with_vat_id):
        # BR-RO-120: a buyer with no identifier we know; ANAF's published convention is thirteen zeros.
        _cbc(legal, "CompanyID", ANAF_UNKNOWN_ID)
    if party.email:
        _cbc(_cac(element, "Contact"), "ElectronicMail", party.email)


def _address(address: ET.Element, street: str, city: str, postcode: str, county: str | None, country: str) -> None:
    """BG-5/BG-8; the county is BT-39/BT-54 (BR-RO-110/111), and a Bucharest city is its sector (BR-RO-100/101)."""
    if street:
        _cbc(address, "StreetName", street)
    if county == BUCHAREST and sector_of(city):
        city = sector_of(city) or city
    if city:
        _cbc(address, "CityName", city)
    if postcode:
        _cbc(address, "PostalZone", postcode)
    if county:
        _cbc(address, "CountrySubentity", county)
    _cbc(_cac(address, "Country"), "IdentificationCode", country)


def _delivery(root: ET.Element, doc: InvoiceDocument) -> None:
    """BG-13: the date of supply, and where the goods went (BR-IC-11/12 want both for an intra-community supply)."""
    if not doc.delivery_date and not doc.delivery_country:
        return
    delivery = _cac(root, "Delivery")
    if doc.delivery_date:
        _cbc(delivery, "ActualDeliveryDate", doc.delivery_date.isoformat())
    if doc.delivery_country:
        address = _cac(_cac(delivery, "DeliveryLocation"), "Address")
        client = doc.client
        same = doc.delivery_country == client.country
        _address(address, client.street if same else "", client.city if same else "", client.postcode if same else "",
                 client.county if same else None, doc.delivery_country)


def _payment_means(root: ET.Element, doc: InvoiceDocument) -> None:
    means = _cac(root, "PaymentMeans")
    iban = doc.supplier.iban
    _cbc(means, "PaymentMeansCode", PAYMENT_MEANS_CREDIT_TRANSFER if iban else PAYMENT_MEANS_NOT_DEFINED)
    _cbc(means, "PaymentID", doc.number)
    if iban:
        account = _cac(means, "PayeeFinancialAccount")
        _cbc(account, "ID", iban.replace(" ", ""))
        _cbc(account, "Name", doc.supplier.name)


def _tax_category(parent: ET.Element, tag: str, key: Key, reason: tuple[str | None, str | None] = (None, None)) -> None:
    """A VAT category: no rate for O (BR-O-05), the exemption reason in the breakdown for every exempt
    category (BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10)."""
    code, rate = key
    category = _cac(parent, tag)
    _cbc(category, "ID", code)
    if code != VatCategory.OUTSIDE_SCOPE.value:
        _cbc(category, "Percent", f"{rate.normalize() + Decimal(0):f}")
    text, vatex = reason
    if code not in (VatCategory.STANDARD.value, VatCategory.ZERO.value) and tag == "TaxCategory" and parent.tag.endswith("TaxSubtotal"):
        if vatex:
            _cbc(category, "TaxExemptionReasonCode", vatex)
        _cbc(category, "TaxExemptionReason", (text or LEGAL_REASONS.get(code) or "Exempt from VAT")[:100])
    _cbc(_cac(category, "TaxScheme"), "ID", "VAT")


def _discount(root: ET.Element, doc: InvoiceDocument, key: Key, amounts: _Amounts) -> None:
    """The discount as a document-level allowance for the lines of one VAT category and rate (EN 16931 wants one per category)."""
    allowance = amounts.allowance_at(key)
    if not allowance:
        return
    element = _cac(root, "AllowanceCharge")
    _cbc(element, "ChargeIndicator", "false")
    _cbc(element, "AllowanceChargeReasonCode", ALLOWANCE_REASON_DISCOUNT)
    _cbc(element, "AllowanceChargeReason", "Discount")
    base = amounts.lines_by_key.get(key, Decimal(0))
    # Percentage and base only when they reproduce the amount (PEPPOL-EN16931-R040); the order's
    # per-line rounding can differ from them by a cent.
    exact = doc.discount_percent and to_money(base * doc.discount_percent / 100) == allowance
    if exact:
        _cbc(element, "MultiplierFactorNumeric", f"{doc.discount_percent.normalize() + Decimal(0):f}")
    _amount(element, "Amount", allowance, doc.currency)
    if exact:
        _amount(element, "BaseAmount", base, doc.currency)
    _tax_category(element, "TaxCategory", key)


def _tax_total(root: ET.Element, doc: InvoiceDocument, amounts: _Amounts) -> None:
    total = _cac(root, "TaxTotal")
    _amount(total, "TaxAmount", amounts.tax, doc.currency)
    for key in amounts.keys:
        subtotal = _cac(total, "TaxSubtotal")
        _amount(subtotal, "TaxableAmount", amounts.taxable(key), doc.currency)
        _amount(subtotal, "TaxAmount", amounts.vat_by_key.get(key, Decimal(0)), doc.currency)
        _tax_category(subtotal, "TaxCategory", key, amounts.reasons.get(key, (None, None)))
    if doc.tax_currency and doc.tax_currency != doc.currency:
        # BR-53 / BR-RO-030: the VAT total in the accounting currency, a second TaxTotal without breakdown.
        accounting = _cac(root, "TaxTotal")
        _amount(accounting, "TaxAmount", doc.vat_total_tax_currency or Decimal(0), doc.tax_currency)


def _monetary_total(root: ET.Element, doc: InvoiceDocument, amounts: _Amounts) -> None:
    total = _cac(root, "LegalMonetaryTotal")
    _amount(total, "LineExtensionAmount", amounts.line_extension, doc.currency)
    _amount(total, "TaxExclusiveAmount", amounts.tax_exclusive, doc.currency)
    _amount(total, "TaxInclusiveAmount", amounts.tax_inclusive, doc.currency)
    if amounts.allowance:
        _amount(total, "AllowanceTotalAmount", amounts.allowance, doc.currency)
    rounding = to_money(doc.total) - amounts.tax_inclusive
    if rounding:
        _amount(total, "PayableRoundingAmount", rounding, doc.currency)
    _amount(total, "PayableAmount", doc.total, doc.currency)


def _invoice_line(root: ET.Element, currency: str, index: int, line: DocumentLine, *, credit: bool = False) -> None:
    element = _cac(root, "CreditNoteLine" if credit else "InvoiceLine")
    _cbc(element, "ID", str(index))
    _cbc(element, "CreditedQuantity" if credit else "InvoicedQuantity", str(line.qty), unitCode=unit_code(line.unit))
    _amount(element, "LineExtensionAmount", line.line_total, currency)
    item = _cac(element, "Item")
    _cbc(item, "Name", line.name[:MAX_ITEM_NAME])
    _cbc(_cac(item, "SellersItemIdentification"), "ID", line.sku)
    _tax_category(item, "ClassifiedTaxCategory", _line_key(line))
    _cbc(_cac(element, "Price"), "PriceAmount", _price(line.unit_price), currencyID=currency)
