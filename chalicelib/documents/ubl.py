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
from decimal import Decimal

from chalicelib.documents.models import DocumentLine, InvoiceDocument, Party
from chalicelib.domain.money import to_money

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CAC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017"
INVOICE_TYPE_COMMERCIAL = "380"
PAYMENT_MEANS_CREDIT_TRANSFER = "30"
PAYMENT_MEANS_NOT_DEFINED = "1"  # BR-50: a credit transfer needs the payee's account, so without an IBAN say nothing
ALLOWANCE_REASON_DISCOUNT = "95"

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


def tax_category(rate: Decimal) -> str:
    """Standard rated (S), or zero rated (Z) at 0%."""
    return "S" if rate else "Z"


def invoice_xml(doc: InvoiceDocument) -> bytes:
    """The invoice as a UBL 2.1 Invoice document (EN 16931 core), UTF-8 encoded with an XML declaration."""
    amounts = _Amounts(doc)
    # Invoice-2 is the default namespace; ElementTree cannot write one beside unprefixed attributes
    # (currencyID), so the root declares it itself.
    root = ET.Element("Invoice", {"xmlns": INVOICE_NS})
    _cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    _cbc(root, "ID", doc.number)
    _cbc(root, "IssueDate", doc.issue_date.isoformat())
    _cbc(root, "DueDate", doc.due_date.isoformat())
    _cbc(root, "InvoiceTypeCode", INVOICE_TYPE_COMMERCIAL)
    if doc.notes:
        _cbc(root, "Note", doc.notes)
    _cbc(root, "DocumentCurrencyCode", doc.currency)
    # BT-10 is mandatory in e-invoicing networks (Peppol, XRechnung): the client's reference, else our order number.
    _cbc(root, "BuyerReference", doc.client_reference or doc.order_number)
    _cbc(_cac(root, "OrderReference"), "ID", doc.order_number)
    _party(_cac(root, "AccountingSupplierParty"), doc.supplier)
    _party(_cac(root, "AccountingCustomerParty"), doc.client)
    _payment_means(root, doc)
    _cbc(_cac(root, "PaymentTerms"), "Note",
         f"Payment within {doc.payment_term_days} days of the invoice date, by {doc.due_date.isoformat()}.")
    for rate in amounts.rates:
        _discount(root, doc, rate, amounts)
    _tax_total(root, doc, amounts)
    _monetary_total(root, doc, amounts)
    for index, line in enumerate(doc.lines, start=1):
        _invoice_line(root, doc.currency, index, line)
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


class _Amounts:
    """The document's amounts per VAT rate, reconciled as the module docstring describes."""

    def __init__(self, doc: InvoiceDocument) -> None:
        self.lines_by_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
        for line in doc.lines:
            self.lines_by_rate[line.vat_rate] += to_money(line.line_total)
        self.taxable_by_rate = {row.rate: to_money(row.taxable) for row in doc.vat_breakdown}
        self.vat_by_rate = {row.rate: to_money(row.vat) for row in doc.vat_breakdown}
        self.rates = sorted(set(self.lines_by_rate) | set(self.taxable_by_rate), reverse=True)
        self.line_extension = sum(self.lines_by_rate.values(), Decimal(0))
        self.tax_exclusive = sum((self.taxable(rate) for rate in self.rates), Decimal(0))
        self.allowance = self.line_extension - self.tax_exclusive
        self.tax = sum(self.vat_by_rate.values(), Decimal(0))
        self.tax_inclusive = self.tax_exclusive + self.tax

    def taxable(self, rate: Decimal) -> Decimal:
        return self.taxable_by_rate.get(rate, self.lines_by_rate.get(rate, Decimal(0)))

    def allowance_at(self, rate: Decimal) -> Decimal:
        return self.lines_by_rate.get(rate, Decimal(0)) - self.taxable(rate)


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


def _party(role: ET.Element, party: Party) -> None:
    element = _cac(role, "Party")
    if party.email:
        _cbc(element, "EndpointID", party.email, schemeID="EM")
    _cbc(_cac(element, "PartyName"), "Name", party.name)
    address = _cac(element, "PostalAddress")
    _cbc(address, "StreetName", party.street)
    _cbc(address, "CityName", party.city)
    _cbc(address, "PostalZone", party.postcode)
    _cbc(_cac(address, "Country"), "IdentificationCode", party.country)
    if party.vat_number:
        tax_scheme = _cac(element, "PartyTaxScheme")
        _cbc(tax_scheme, "CompanyID", party.vat_number)
        _cbc(_cac(tax_scheme, "TaxScheme"), "ID", "VAT")
    legal = _cac(element, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", party.name)
    if party.registration_number:
        _cbc(legal, "CompanyID", party.registration_number)
    if party.email:
        _cbc(_cac(element, "Contact"), "ElectronicMail", party.email)


def _payment_means(root: ET.Element, doc: InvoiceDocument) -> None:
    means = _cac(root, "PaymentMeans")
    iban = doc.supplier.iban
    _cbc(means, "PaymentMeansCode", PAYMENT_MEANS_CREDIT_TRANSFER if iban else PAYMENT_MEANS_NOT_DEFINED)
    _cbc(means, "PaymentID", doc.number)
    if iban:
        account = _cac(means, "PayeeFinancialAccount")
        _cbc(account, "ID", iban.replace(" ", ""))
        _cbc(account, "Name", doc.supplier.name)


def _tax_category(parent: ET.Element, tag: str, rate: Decimal) -> None:
    category = _cac(parent, tag)
    _cbc(category, "ID", tax_category(rate))
    _cbc(category, "Percent", f"{rate.normalize() + Decimal(0):f}")
    _cbc(_cac(category, "TaxScheme"), "ID", "VAT")


def _discount(root: ET.Element, doc: InvoiceDocument, rate: Decimal, amounts: _Amounts) -> None:
    """The discount as a document-level allowance for the lines at one VAT rate (EN 16931 wants one per category)."""
    allowance = amounts.allowance_at(rate)
    if not allowance:
        return
    element = _cac(root, "AllowanceCharge")
    _cbc(element, "ChargeIndicator", "false")
    _cbc(element, "AllowanceChargeReasonCode", ALLOWANCE_REASON_DISCOUNT)
    _cbc(element, "AllowanceChargeReason", "Discount")
    base = amounts.lines_by_rate.get(rate, Decimal(0))
    # Percentage and base only when they reproduce the amount (PEPPOL-EN16931-R040); the order's
    # per-line rounding can differ from them by a cent.
    exact = doc.discount_percent and to_money(base * doc.discount_percent / 100) == allowance
    if exact:
        _cbc(element, "MultiplierFactorNumeric", f"{doc.discount_percent.normalize() + Decimal(0):f}")
    _amount(element, "Amount", allowance, doc.currency)
    if exact:
        _amount(element, "BaseAmount", base, doc.currency)
    _tax_category(element, "TaxCategory", rate)


def _tax_total(root: ET.Element, doc: InvoiceDocument, amounts: _Amounts) -> None:
    total = _cac(root, "TaxTotal")
    _amount(total, "TaxAmount", amounts.tax, doc.currency)
    for rate in amounts.rates:
        subtotal = _cac(total, "TaxSubtotal")
        _amount(subtotal, "TaxableAmount", amounts.taxable(rate), doc.currency)
        _amount(subtotal, "TaxAmount", amounts.vat_by_rate.get(rate, Decimal(0)), doc.currency)
        _tax_category(subtotal, "TaxCategory", rate)


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


def _invoice_line(root: ET.Element, currency: str, index: int, line: DocumentLine) -> None:
    element = _cac(root, "InvoiceLine")
    _cbc(element, "ID", str(index))
    _cbc(element, "InvoicedQuantity", str(line.qty), unitCode=unit_code(line.unit))
    _amount(element, "LineExtensionAmount", line.line_total, currency)
    item = _cac(element, "Item")
    _cbc(item, "Name", line.name)
    _cbc(_cac(item, "SellersItemIdentification"), "ID", line.sku)
    _tax_category(item, "ClassifiedTaxCategory", line.vat_rate)
    _cbc(_cac(element, "Price"), "PriceAmount", _price(line.unit_price), currencyID=currency)
