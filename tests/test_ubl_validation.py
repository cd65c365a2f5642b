"""Every e-invoice and credit note we emit passes the official validators: UBL 2.1 XSD, EN 16931 (1.3.16) and,
for a Romanian supplier, CIUS-RO 1.0.9 (what ANAF's e-Factura checks). Any fatal rule fails the test."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from chalicelib.documents import ubl
from chalicelib.documents.models import DocumentLine, InvoiceDocument, Party, VatBreakdown
from chalicelib.domain import tax
from chalicelib.domain.money import to_money
from chalicelib.domain.orders import OrderLine, order_totals
from tests.support.standards import validators

D = Decimal
ISSUED = date(2026, 11, 27)

SUPPLIER_RO = Party("Demo Distribution SRL", "RO11223344", "Bd. Unirii 1", "SECTOR3", "030119", "RO",
                    "billing@example.com", "J40/1234/2020", "RO49AAAA1B31007593840000", county="RO-B")
SUPPLIER_DE = Party("Demo Vertrieb GmbH", "DE123456789", "Hauptstr. 5", "München", "80331", "DE",
                    "rechnung@example.com", "HRB 1234", "DE89370400440532013000", county="DE-BY")
CLIENT_CLUJ = Party("Transilvania Retail SRL", "RO99887766", "Str. Memorandumului 2", "Cluj-Napoca", "400114", "RO",
                    county="RO-CJ")
CLIENT_BUCHAREST = Party("Capitala Office SRL", "RO55443322", "Calea Victoriei 10", "Sector 1", "010063", "RO",
                         county="RO-B")
CLIENT_DE = Party("Berliner Handel GmbH", "DE811907980", "Friedrichstr. 100", "Berlin", "10117", "DE", county="DE-BE")
CLIENT_SE = Party("Nordic Supply AB", "SE556677889901", "Drottninggatan 1", "Stockholm", "11151", "SE")
CLIENT_US = Party("Acme Imports Inc.", None, "1 Main St", "Springfield", "62701", "US", registration_number="EIN 12-3456789")


@pytest.fixture(scope="session")
def check():
    """The validators, compiled once per test session (the XSLTs take seconds to compile)."""
    found = validators()

    def passes(xml: bytes, *, cius_ro: bool = True) -> None:
        findings = found.findings(xml, cius_ro=cius_ro)
        assert not findings, "\n".join(str(f) for f in findings)
    return passes


def document(supplier: Party, client: Party, lines: list[tuple[str, int, str, str]], *, currency: str = "RON",
             discount: str = "0", kind: str = "goods", exchange_rate: str | None = None, k: bool = False,
             exempt: str | None = None, delivered: date | None = None) -> InvoiceDocument:
    """An invoice built the way the invoicing service builds one: VAT treatment per line, totals per category."""
    order_lines = []
    for sku, qty, price, rate in lines:
        treatment = tax.determine(supplier_country=supplier.country, client_country=client.country,
                                  client_vat_number=client.vat_number, product_rate=D(rate), kind=kind,
                                  exempt_reason=exempt, intra_community_goods_as_k=k)
        order_lines.append(OrderLine(sku, f"Article {sku}", qty, D(price), treatment.rate, "pcs",
                                     vat_category=treatment.code, vat_exemption_reason=treatment.exemption_reason))
    totals = order_totals(order_lines, D(discount))
    reasons = {(l.vat_category, l.vat_rate): l.vat_exemption_reason for l in order_lines}
    breakdown = [VatBreakdown(rate, totals.net_by_category[(cat, rate)], vat, cat, reasons[(cat, rate)],
                              tax.LEGAL_WORDING[tax.VatCategory(cat)].vatex if tax.VatCategory(cat) in tax.LEGAL_WORDING else None)
                 for (cat, rate), vat in sorted(totals.vat_by_category.items())]
    tax_currency = vat_rate_currency = None
    if currency != "RON" and supplier.country == "RO":
        tax_currency = "RON"
        vat_rate_currency = to_money(totals.vat_total * D(exchange_rate or "4.9750"))
    return InvoiceDocument(
        number="INV-000123", issue_date=ISSUED, due_date=date(2026, 12, 27), currency=currency, supplier=supplier,
        client=client,
        lines=[DocumentLine(l.sku, l.name, l.qty, l.unit, l.unit_price, l.vat_rate, l.line_total, l.vat_category,
                            l.vat_exemption_reason) for l in order_lines],
        vat_breakdown=breakdown, subtotal=totals.subtotal, discount_percent=D(discount), vat_total=totals.vat_total,
        total=totals.total, order_number="SO-000045", tax_currency=tax_currency,
        exchange_rate=D(exchange_rate or "4.9750") if tax_currency else None, vat_total_tax_currency=vat_rate_currency,
        delivery_date=delivered, delivery_country=client.country if delivered else None,
        legal_notes=tax.exemption_note((l.vat_category, l.vat_exemption_reason) for l in order_lines))


ONE_LINE = [("WID-1", 3, "10.00", "21")]
MIXED = [("WID-1", 3, "10.00", "21"), ("BOOK-2", 7, "33.33", "11"), ("BREAD", 5, "0.0125", "11"), ("ZERO", 2, "5.00", "0")]
MANY = [(f"SKU-{n:03d}", 1 + n % 7, f"{(n * 37) % 900 + 0.99:.2f}", ("21", "11", "21", "0")[n % 4]) for n in range(250)]

VARIANTS = {
    "domestic RON, one line": dict(supplier=SUPPLIER_RO, client=CLIENT_CLUJ, lines=ONE_LINE),
    "domestic RON, Bucharest client, mixed rates": dict(supplier=SUPPLIER_RO, client=CLIENT_BUCHAREST, lines=MIXED),
    "domestic RON, 7.5 % discount": dict(supplier=SUPPLIER_RO, client=CLIENT_CLUJ, lines=MIXED, discount="7.5"),
    "domestic RON, 250 lines": dict(supplier=SUPPLIER_RO, client=CLIENT_CLUJ, lines=MANY),
    "domestic EUR, VAT also in RON": dict(supplier=SUPPLIER_RO, client=CLIENT_CLUJ, lines=MIXED, currency="EUR",
                                          exchange_rate="4.9763"),
    "domestic EUR, 250 lines with discount": dict(supplier=SUPPLIER_RO, client=CLIENT_CLUJ, lines=MANY, currency="EUR",
                                                  discount="3"),
    "domestic, exempt": dict(supplier=SUPPLIER_RO, client=CLIENT_CLUJ, lines=ONE_LINE,
                             exempt="Exempt from VAT — Art. 292 (2) a) Romanian Fiscal Code (training)"),
    "intra-EU reverse charge to Germany, EUR": dict(supplier=SUPPLIER_RO, client=CLIENT_DE, lines=MIXED, currency="EUR"),
    "intra-EU reverse charge services to Sweden, RON": dict(supplier=SUPPLIER_RO, client=CLIENT_SE, lines=ONE_LINE,
                                                           kind="services"),
    "intra-community supply of goods (K) with discount": dict(supplier=SUPPLIER_RO, client=CLIENT_DE, lines=MIXED,
                                                              currency="EUR", k=True, discount="5",
                                                              delivered=date(2026, 11, 25)),
    "export outside the EU, USD": dict(supplier=SUPPLIER_RO, client=CLIENT_US, lines=MIXED, currency="USD",
                                       exchange_rate="4.4210"),
    "services outside the EU (O)": dict(supplier=SUPPLIER_RO, client=CLIENT_US, lines=ONE_LINE, kind="services"),
    "export to a buyer with no identifier": dict(supplier=SUPPLIER_RO, client=replace(CLIENT_US, registration_number=None),
                                                 lines=ONE_LINE, currency="USD"),
    "shipped: date of supply": dict(supplier=SUPPLIER_RO, client=CLIENT_CLUJ, lines=ONE_LINE, delivered=date(2026, 11, 26)),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_invoice_passes_ubl_en16931_and_cius_ro(check, name):
    check(ubl.invoice_xml(document(**VARIANTS[name])))


@pytest.mark.parametrize("name", list(VARIANTS))
def test_credit_note_passes_ubl_en16931_and_cius_ro(check, name):
    invoice = document(**VARIANTS[name])
    credit = replace(invoice, number="CN-000007", kind="credit_note", invoice_number=invoice.number,
                     invoice_issue_date=invoice.issue_date, reason="Goods returned damaged")
    xml = ubl.credit_note_xml(credit)
    assert b"<CreditNote" in xml and b"CreditNoteLine" in xml and b"INV-000123" in xml
    check(xml)


def test_a_german_supplier_writes_plain_en16931(check):
    xml = ubl.invoice_xml(document(supplier=SUPPLIER_DE, client=CLIENT_SE, lines=MIXED, currency="EUR"))
    assert f"<cbc:CustomizationID>{ubl.CUSTOMIZATION_ID}</cbc:CustomizationID>".encode() in xml
    check(xml, cius_ro=False)


def test_reverse_charge_to_germany_is_ae_at_zero_with_the_legal_reason():
    xml = ubl.invoice_xml(document(supplier=SUPPLIER_RO, client=CLIENT_DE, lines=MIXED, currency="EUR")).decode()
    assert "<cbc:ID>AE</cbc:ID>" in xml and "<cbc:ID>S</cbc:ID>" not in xml
    assert "<cbc:TaxExemptionReasonCode>VATEX-EU-AE</cbc:TaxExemptionReasonCode>" in xml
    assert "Reverse charge — Art. 196 Directive 2006/112/EC" in xml
    assert '<cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount>' in xml


def test_eur_invoice_states_its_vat_in_ron_as_cius_ro_asks():
    doc = document(supplier=SUPPLIER_RO, client=CLIENT_CLUJ, lines=ONE_LINE, currency="EUR", exchange_rate="5.0000")
    xml = ubl.invoice_xml(doc).decode()
    assert "<cbc:TaxCurrencyCode>RON</cbc:TaxCurrencyCode>" in xml
    assert '<cbc:TaxAmount currencyID="RON">31.50</cbc:TaxAmount>' in xml  # 30.00 EUR x 21 % = 6.30 EUR x 5


@pytest.mark.parametrize("broken, rule", [
    (lambda d: replace(d, client=replace(d.client, county=None)), "BR-RO-111"),
    (lambda d: replace(d, supplier=replace(d.supplier, city="Bucharest")), "BR-RO-100"),
])
def test_the_validators_do_catch_what_anaf_refuses(broken, rule):
    """The harness is not a rubber stamp: a Romanian buyer without a county, a Bucharest seller without a sector."""
    xml = ubl.invoice_xml(broken(document(supplier=SUPPLIER_RO, client=CLIENT_BUCHAREST, lines=ONE_LINE)))
    assert rule in {f.rule for f in validators().findings(xml)}


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

CLIENTS = [CLIENT_CLUJ, CLIENT_BUCHAREST, CLIENT_DE, CLIENT_SE, CLIENT_US]
random_lines = st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.integers(1, 999),
                                  st.decimals(min_value=D("0.0001"), max_value=D("9999"), places=4).map(str),
                                  st.sampled_from(["21", "11", "0"])), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(client=st.sampled_from(CLIENTS), lines=random_lines, currency=st.sampled_from(["RON", "EUR"]),
       discount=st.decimals(min_value=D(0), max_value=D("99.99"), places=2).map(str), kind=st.sampled_from(["goods", "services"]))
def test_any_invoice_the_arithmetic_can_produce_passes_the_rules(check, client, lines, currency, discount, kind):
    """Rounding per EN 16931 (BR-CO-10..17, BR-S-08/09 ...) holds for any prices, rates and discounts."""
    lines = [(f"{sku}{n}", qty, price, rate) for n, (sku, qty, price, rate) in enumerate(lines)]
    doc = document(supplier=SUPPLIER_RO, client=client, lines=lines, currency=currency, discount=discount, kind=kind)
    check(ubl.invoice_xml(doc))
