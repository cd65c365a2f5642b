"""Invoices, delivery notes and statements as PDFs, and the invoice as UBL 2.1 XML: pure, no AWS."""
from __future__ import annotations

import io
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from chalicelib.documents import pdf, ubl
from chalicelib.documents.models import (
    DeliveryNoteDocument,
    DocumentLine,
    InvoiceDocument,
    Parcel,
    Party,
    StatementDocument,
    StatementEntry,
    VatBreakdown,
)
from chalicelib.domain.money import to_money
from chalicelib.domain.orders import OrderLine, order_totals

NS = {"inv": ubl.INVOICE_NS, "cac": ubl.CAC_NS, "cbc": ubl.CBC_NS}
ISSUED = date(2026, 3, 2)

needs_unicode_font = pytest.mark.skipif(pdf.unicode_font_dir() is None,
                                        reason="DejaVu Sans not found (fonts-dejavu-core or DOCUMENT_FONT_DIR)")


# --- builders --------------------------------------------------------------------------------------

def a_supplier(**changes) -> Party:
    return replace(Party(name="Nordvik Components AB", vat_number="SE556677889901", street="Sveavägen 12",
                         city="Stockholm", postcode="111 57", country="SE", email="billing@nordvik.example",
                         registration_number="556677-8899", iban="SE45 5000 0000 0583 9825 7466"), **changes)


def a_client(**changes) -> Party:
    return replace(Party(name="Brașov Distribuție SRL", vat_number="RO18547290", street="Str. Lungă 20",
                         city="Brașov", postcode="500035", country="RO"), **changes)


def a_line(sku="CAB-001", qty=3, price="12.50", vat="19", name="Cat6 patch cable 2 m", unit="pcs") -> DocumentLine:
    order_line = OrderLine(sku=sku, name=name, qty=qty, unit_price=Decimal(price), vat_rate=Decimal(vat), unit=unit)
    return DocumentLine(sku=sku, name=name, qty=qty, unit=unit, unit_price=order_line.unit_price,
                        vat_rate=order_line.vat_rate, line_total=order_line.line_total)


def an_invoice(lines=None, discount="0", client=None, **changes) -> InvoiceDocument:
    """An invoice whose totals come from the same arithmetic the orders use (domain.orders.order_totals)."""
    lines = lines if lines is not None else [
        a_line(),
        a_line("PSU-650", 2, "1249.90", "19", "Power supply 650 W"),
        a_line("BK-ISO", 10, "4.2500", "5", "ISO 27001 pocket guide"),
        a_line("SRV-1H", 1, "80", "0", "Remote support, 1 hour", unit="h"),
    ]
    discount_percent = Decimal(discount)
    totals = order_totals([OrderLine(line.sku, line.name, line.qty, line.unit_price, line.vat_rate, line.unit)
                           for line in lines], discount_percent)
    taxable: dict[Decimal, Decimal] = {}
    for line in lines:
        net = to_money(line.line_total * (100 - discount_percent) / 100)
        taxable[line.vat_rate] = taxable.get(line.vat_rate, Decimal(0)) + net
    breakdown = [VatBreakdown(rate, taxable[rate], vat) for rate, vat in sorted(totals.vat_by_rate.items(), reverse=True)]
    invoice = InvoiceDocument(
        number="INV-2026-00042", issue_date=ISSUED, due_date=ISSUED + timedelta(days=30), currency="EUR",
        supplier=a_supplier(), client=client or a_client(), lines=lines, vat_breakdown=breakdown,
        subtotal=totals.subtotal, discount_percent=discount_percent, vat_total=totals.vat_total, total=totals.total,
        order_number="SO-2026-0117", client_reference="PO 7781/2026")
    return replace(invoice, **changes)


def a_delivery_note(**changes) -> DeliveryNoteDocument:
    return replace(DeliveryNoteDocument(
        number="DN-2026-00031", issue_date=ISSUED, order_number="SO-2026-0117", supplier=a_supplier(),
        client=a_client(),
        delivery_address=a_client(name="Łódź Warehouse — Brașov Distribuție", street="ul. Żeromskiego 116",
                                  city="Łódź", postcode="90-924", country="PL"),
        lines=[a_line(), a_line("PSU-650", 2, "1249.90", name="Power supply 650 W")],
        parcels=[Parcel(Decimal("12.5"), 60, 40, 30), Parcel(Decimal("3.25"), 30, 20, 15)],
        courier="DHL Express", awb="JD014600006281234567",
        backorder_note="KB-101 (5 pcs) is on backorder and will ship by 2026-03-16."), **changes)


def a_statement(**changes) -> StatementDocument:
    entries = [
        StatementEntry(date(2026, 2, 3), "invoice", "INV-2026-00031", "Invoice", Decimal("2380.00"), Decimal(0),
                       Decimal("3580.00")),
        StatementEntry(date(2026, 2, 10), "payment", "PAY-88121", "Bank transfer, thank you", Decimal(0),
                       Decimal("1200.00"), Decimal("2380.00")),
        StatementEntry(date(2026, 2, 24), "invoice", "INV-2026-00042", "Invoice", Decimal("3144.02"), Decimal(0),
                       Decimal("5524.02")),
    ]
    return replace(StatementDocument(
        supplier=a_supplier(), client=a_client(), currency="EUR", period_from=date(2026, 2, 1),
        period_to=date(2026, 2, 28), opening_balance=Decimal("1200.00"), entries=entries,
        closing_balance=Decimal("5524.02")), **changes)


def text_of(document: bytes) -> tuple[str, int]:
    """All the text a reader (or a search index) gets out of the PDF, and its page count."""
    assert document.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(document))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def parse(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)


def amount(element: ET.Element, path: str) -> Decimal:
    found = element.find(path, NS)
    assert found is not None, f"{path} is missing"
    return Decimal(found.text)


def amounts(element: ET.Element, path: str) -> list[Decimal]:
    return [Decimal(found.text) for found in element.findall(path, NS)]


# --- invoice PDF -----------------------------------------------------------------------------------

@needs_unicode_font
def test_invoice_pdf_shows_number_parties_dates_and_totals():
    invoice = an_invoice()

    text, pages = text_of(pdf.render_invoice(invoice))

    assert pages == 1
    for expected in ("INV-2026-00042", "Brașov Distribuție SRL", "RO18547290", "Sveavägen 12", "SE556677889901",
                     "2026-04-01", "2026-03-02", "SO-2026-0117", "PO 7781/2026", "30 days net", "Page 1 of 1"):
        assert expected in text, expected
    assert invoice.total == Decimal("3144.02")
    assert "2,659.80" in text  # the lines' subtotal
    assert "3,144.02" in text and "484.22" in text  # total and VAT
    assert "4.25" in text and "1,249.90" in text  # unit prices


@needs_unicode_font
def test_invoice_pdf_prints_polish_and_romanian_letters_as_they_are():
    client = a_client(name="Łódź Łącznik Sp. z o.o.", street="ul. Piotrkowska 104", city="Łódź", postcode="90-926",
                      country="PL", vat_number="PL7251234567")

    text, _ = text_of(pdf.render_invoice(an_invoice(client=client)))

    assert "Łódź Łącznik Sp. z o.o." in text
    assert "90-926 Łódź" in text


def test_invoice_pdf_without_a_unicode_font_transliterates_instead_of_failing(monkeypatch):
    monkeypatch.setattr(pdf, "unicode_font_dir", lambda: None)
    client = a_client(name="Łódź Łącznik Sp. z o.o.", city="Brașov")

    text, _ = text_of(pdf.render_invoice(an_invoice(client=client)))

    assert "Lódz Lacznik Sp. z o.o." in text  # ó is in Windows-1252, ź and Ł are not
    assert "Brasov" in text
    assert "Sveavägen 12" in text  # Latin-1 letters need no transliteration
    assert "INV-2026-00042" in text and "3,144.02" in text


def test_invoice_pdf_shows_the_discount_and_the_net_after_it():
    invoice = an_invoice(discount="5")

    text, _ = text_of(pdf.render_invoice(invoice))

    assert "Discount 5%" in text
    assert "-132.98" in text  # 5% of 2,659.80 is 132.99, but orders round the discount per line
    assert f"{invoice.total:,.2f}" in text


def test_a_250_line_invoice_runs_over_pages_with_every_line_and_repeated_headings():
    lines = [a_line(f"SKU-{n:04d}", n % 7 + 1, f"{n % 50 + 1}.99", ("19", "5", "0")[n % 3], f"Spare part no. {n}")
             for n in range(1, 251)]
    invoice = an_invoice(lines=lines)

    document = pdf.render_invoice(invoice)
    text, pages = text_of(document)

    assert pages >= 5
    missing = [line.sku for line in lines if line.sku not in text]
    assert missing == []
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    reader = PdfReader(io.BytesIO(document))
    pages_with_lines = [page.extract_text() for page in reader.pages if "SKU-" in page.extract_text()]
    assert all("Unit price" in page for page in pages_with_lines), "the table heading repeats on every page"
    assert f"{invoice.total:,.2f}" in reader.pages[-1].extract_text()


def test_importing_the_pdf_module_does_not_load_fpdf():
    probe = "import sys, chalicelib.documents.pdf; assert 'fpdf' not in sys.modules"
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_unit_prices_keep_four_decimals_and_money_two():
    assert pdf.unit_price(Decimal("0.0125")) == "0.0125"
    assert pdf.unit_price(Decimal("12.5")) == "12.50"
    assert pdf.unit_price(Decimal("1234.50000")) == "1,234.50"
    assert pdf.money(Decimal("1234567.005")) == "1,234,567.01"
    assert pdf.money(Decimal("-0.001")) == "0.00"


# --- delivery note and statement PDFs --------------------------------------------------------------

@needs_unicode_font
def test_delivery_note_shows_address_lines_parcels_courier_and_awb_but_no_prices():
    text, _ = text_of(pdf.render_delivery_note(a_delivery_note()))

    for expected in ("DN-2026-00031", "SO-2026-0117", "Łódź Warehouse", "ul. Żeromskiego 116", "DHL Express",
                     "JD014600006281234567", "12.50 kg", "3.25 kg", "15.75 kg", "60 × 40 × 30 cm", "CAB-001",
                     "PSU-650", "KB-101 (5 pcs) is on backorder"):
        assert expected in text, expected
    assert "1,249.90" not in text


@needs_unicode_font
def test_statement_shows_period_balances_and_every_entry():
    text, _ = text_of(pdf.render_statement(a_statement()))

    for expected in ("2026-02-01", "2026-02-28", "Opening balance", "1,200.00", "Closing balance", "5,524.02",
                     "INV-2026-00031", "PAY-88121", "INV-2026-00042", "3,144.02", "Brașov Distribuție SRL"):
        assert expected in text, expected


# --- UBL ---------------------------------------------------------------------------------------------

def assert_amounts_consistent(xml: bytes, invoice: InvoiceDocument) -> None:
    """The EN 16931 arithmetic: lines, allowances, tax subtotals and the monetary totals agree."""
    root = parse(xml)
    totals = root.find("cac:LegalMonetaryTotal", NS)
    line_extension = amount(totals, "cbc:LineExtensionAmount")
    tax_exclusive = amount(totals, "cbc:TaxExclusiveAmount")
    allowance_total = amount(totals, "cbc:AllowanceTotalAmount") if totals.find(
        "cbc:AllowanceTotalAmount", NS) is not None else Decimal(0)
    tax_total = amount(root, "cac:TaxTotal/cbc:TaxAmount")

    assert line_extension == sum(amounts(root, "cac:InvoiceLine/cbc:LineExtensionAmount"))
    assert line_extension == sum(line.line_total for line in invoice.lines)
    assert allowance_total == sum(amounts(root, "cac:AllowanceCharge/cbc:Amount"), Decimal(0))
    assert tax_exclusive == line_extension - allowance_total
    assert tax_exclusive == sum(amounts(root, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount"))
    assert tax_total == sum(amounts(root, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount")) == invoice.vat_total
    assert amount(totals, "cbc:TaxInclusiveAmount") == tax_exclusive + tax_total
    assert amount(totals, "cbc:PayableAmount") == invoice.total == tax_exclusive + tax_total
    for subtotal in root.findall("cac:TaxTotal/cac:TaxSubtotal", NS):
        rate = amount(subtotal, "cac:TaxCategory/cbc:Percent")
        lines_at_rate = sum((line.line_total for line in invoice.lines if line.vat_rate == rate), Decimal(0))
        allowances_at_rate = sum((amount(charge, "cbc:Amount") for charge in root.findall("cac:AllowanceCharge", NS)
                                  if amount(charge, "cac:TaxCategory/cbc:Percent") == rate), Decimal(0))
        assert amount(subtotal, "cbc:TaxableAmount") == lines_at_rate - allowances_at_rate
    for element in root.iter():
        if element.tag.endswith("Amount"):
            assert element.get("currencyID") == invoice.currency, element.tag


def test_ubl_invoice_has_the_en16931_header_and_the_ubl_namespaces():
    xml = ubl.invoice_xml(an_invoice())
    root = parse(xml)

    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert root.tag == f"{{{ubl.INVOICE_NS}}}Invoice"
    assert f'xmlns:cac="{ubl.CAC_NS}"'.encode() in xml and f'xmlns:cbc="{ubl.CBC_NS}"'.encode() in xml
    assert root.findtext("cbc:CustomizationID", namespaces=NS) == "urn:cen.eu:en16931:2017"
    assert root.findtext("cbc:ID", namespaces=NS) == "INV-2026-00042"
    assert root.findtext("cbc:IssueDate", namespaces=NS) == "2026-03-02"
    assert root.findtext("cbc:DueDate", namespaces=NS) == "2026-04-01"
    assert root.findtext("cbc:InvoiceTypeCode", namespaces=NS) == "380"
    assert root.findtext("cbc:DocumentCurrencyCode", namespaces=NS) == "EUR"
    assert root.findtext("cbc:BuyerReference", namespaces=NS) == "PO 7781/2026"
    assert root.findtext("cac:OrderReference/cbc:ID", namespaces=NS) == "SO-2026-0117"
    assert "30 days" in root.findtext("cac:PaymentTerms/cbc:Note", namespaces=NS)


def test_ubl_parties_carry_name_address_and_vat_number():
    root = parse(ubl.invoice_xml(an_invoice()))
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", NS)

    assert seller.findtext("cac:PartyTaxScheme/cbc:CompanyID", namespaces=NS) == "SE556677889901"
    assert seller.findtext("cac:PartyTaxScheme/cac:TaxScheme/cbc:ID", namespaces=NS) == "VAT"
    assert seller.findtext("cac:PostalAddress/cbc:StreetName", namespaces=NS) == "Sveavägen 12"
    assert seller.findtext("cac:PartyLegalEntity/cbc:CompanyID", namespaces=NS) == "556677-8899"
    assert buyer.findtext("cac:PartyTaxScheme/cbc:CompanyID", namespaces=NS) == "RO18547290"
    assert buyer.findtext("cac:PartyName/cbc:Name", namespaces=NS) == "Brașov Distribuție SRL"
    assert buyer.findtext("cac:PartyLegalEntity/cbc:RegistrationName", namespaces=NS) == "Brașov Distribuție SRL"
    assert buyer.findtext("cac:PostalAddress/cbc:CityName", namespaces=NS) == "Brașov"
    assert buyer.findtext("cac:PostalAddress/cbc:PostalZone", namespaces=NS) == "500035"
    assert buyer.findtext("cac:PostalAddress/cac:Country/cbc:IdentificationCode", namespaces=NS) == "RO"


def test_ubl_payment_means_is_a_credit_transfer_to_the_suppliers_iban():
    root = parse(ubl.invoice_xml(an_invoice()))

    assert root.findtext("cac:PaymentMeans/cbc:PaymentMeansCode", namespaces=NS) == "30"
    assert root.findtext("cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID", namespaces=NS) == "SE4550000000058398257466"


def test_ubl_without_an_iban_names_no_credit_transfer():
    invoice = an_invoice(supplier=a_supplier(iban=None))
    root = parse(ubl.invoice_xml(invoice))

    assert root.findtext("cac:PaymentMeans/cbc:PaymentMeansCode", namespaces=NS) == "1"
    assert root.find("cac:PaymentMeans/cac:PayeeFinancialAccount", NS) is None


def test_ubl_tax_subtotals_per_rate_and_totals_agree():
    invoice = an_invoice()
    xml = ubl.invoice_xml(invoice)
    root = parse(xml)

    categories = [(s.findtext("cac:TaxCategory/cbc:ID", namespaces=NS), s.findtext("cac:TaxCategory/cbc:Percent",
                                                                                      namespaces=NS))
                  for s in root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)]
    assert categories == [("S", "19"), ("S", "5"), ("Z", "0")]
    assert amount(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == Decimal("3144.02")
    assert root.find("cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount", NS) is None
    assert_amounts_consistent(xml, invoice)


def test_ubl_discount_is_a_document_level_allowance_per_rate():
    invoice = an_invoice(discount="5")
    xml = ubl.invoice_xml(invoice)
    root = parse(xml)

    assert amount(root, "cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount") == Decimal("132.98")
    charges = root.findall("cac:AllowanceCharge", NS)
    assert [c.findtext("cbc:ChargeIndicator", namespaces=NS) for c in charges] == ["false"] * 3
    assert [c.findtext("cbc:AllowanceChargeReasonCode", namespaces=NS) for c in charges] == ["95"] * 3
    assert_amounts_consistent(xml, invoice)


def test_ubl_lines_carry_quantity_unit_code_item_and_price():
    invoice = an_invoice(lines=[a_line("CAB-001", 3, "12.50"), a_line("RES-1K", 5000, "0.0125", name="Resistor 1k"),
                                a_line("CU-WIRE", 12, "7.10", unit="kg"), a_line("X", 1, "1", unit="bundle")])
    lines = parse(ubl.invoice_xml(invoice)).findall("cac:InvoiceLine", NS)

    first = lines[0]
    assert first.findtext("cbc:ID", namespaces=NS) == "1"
    assert first.find("cbc:InvoicedQuantity", NS).attrib == {"unitCode": "H87"}
    assert first.findtext("cbc:InvoicedQuantity", namespaces=NS) == "3"
    assert first.findtext("cbc:LineExtensionAmount", namespaces=NS) == "37.50"
    assert first.findtext("cac:Item/cbc:Name", namespaces=NS) == "Cat6 patch cable 2 m"
    assert first.findtext("cac:Item/cac:SellersItemIdentification/cbc:ID", namespaces=NS) == "CAB-001"
    assert first.findtext("cac:Item/cac:ClassifiedTaxCategory/cbc:ID", namespaces=NS) == "S"
    assert first.findtext("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", namespaces=NS) == "19"
    assert first.findtext("cac:Price/cbc:PriceAmount", namespaces=NS) == "12.50"
    assert lines[1].findtext("cac:Price/cbc:PriceAmount", namespaces=NS) == "0.0125"
    assert lines[1].findtext("cbc:LineExtensionAmount", namespaces=NS) == "62.50"
    assert lines[2].find("cbc:InvoicedQuantity", NS).get("unitCode") == "KGM"
    assert lines[3].find("cbc:InvoicedQuantity", NS).get("unitCode") == "C62"


def test_ubl_elements_come_in_the_order_the_ubl_schema_requires():
    root = parse(ubl.invoice_xml(an_invoice(discount="5", notes="Thank you for your order.")))
    order = ["CustomizationID", "ID", "IssueDate", "DueDate", "InvoiceTypeCode", "Note", "DocumentCurrencyCode",
             "BuyerReference", "OrderReference", "AccountingSupplierParty", "AccountingCustomerParty",
             "PaymentMeans", "PaymentTerms", "AllowanceCharge", "TaxTotal", "LegalMonetaryTotal", "InvoiceLine"]

    seen = [child.tag.split("}")[1] for child in root]
    assert [tag for tag in order if tag in seen] == list(dict.fromkeys(seen))
    assert seen == sorted(seen, key=order.index)


rates = st.sampled_from([Decimal(r) for r in ("0", "5", "9", "19", "21")])
generated_lines = st.lists(
    st.builds(lambda n, qty, cents, rate: a_line(f"SKU-{n}", qty, str(Decimal(cents) / 100), str(rate)),
              st.integers(1, 10_000), st.integers(1, 1000), st.integers(1, 1_000_000), rates),
    min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(lines=generated_lines, discount=st.sampled_from(["0", "2.5", "5", "10", "33.33"]))
def test_ubl_amounts_are_consistent_for_any_lines(lines, discount):
    invoice = an_invoice(lines=lines, discount=discount)

    assert_amounts_consistent(ubl.invoice_xml(invoice), invoice)
