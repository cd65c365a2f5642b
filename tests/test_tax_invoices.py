"""VAT through the whole flow: a Romanian supplier's order and invoice for a German business is reverse charged
(AE, 0 %) with the legal wording on the PDF; a Swiss client's goods are an export; EUR invoices carry RON VAT."""
from __future__ import annotations

import io
from decimal import Decimal

import boto3
from pypdf import PdfReader

from chalicelib.config import settings
from chalicelib.services import invoicing, review
from tests.support.standards import validators

BERLIN = {"label": "HQ", "line1": "Friedrichstr. 100", "city": "Berlin", "postcode": "10117", "country": "DE", "county": "DE-BE"}
ZURICH = {"label": "HQ", "line1": "Bahnhofstrasse 1", "city": "Zürich", "postcode": "8001", "country": "CH"}


def s3_body(key: str) -> bytes:
    s3 = boto3.client("s3", endpoint_url=settings().aws_endpoint_url, region_name=settings().region)
    return s3.get_object(Bucket=settings().documents_bucket, Key=key)["Body"].read()


def order_for(api, world, address, vat_number):
    world.product("DESK-9", base_price=Decimal("200.00"), qty_on_hand=50)
    client = world.client("Foreign GmbH", vat_number=vat_number, addresses=[address])
    _, buyer = world.buyer(client)
    reply = api.post("/portal/orders", {"lines": [{"sku": "DESK-9", "qty": 3}]}, buyer)
    assert reply.status == 201, reply.text
    return buyer, reply.body


def test_cross_border_invoice_to_a_german_vat_registered_client_is_reverse_charged(api, world):
    buyer, order = order_for(api, world, BERLIN, "DE811907980")
    line = order["lines"][0]
    assert (line["vat_category"], Decimal(str(line["vat_rate"]))) == ("AE", Decimal(0))
    assert (order["vat_total"], order["total"]) == ("0.00", "600.00")

    review.approve(order["id"], "tests")
    invoice = invoicing.issue(order["id"])
    assert (invoice.vat_total, invoice.total, invoice.lines[0].vat_category) == (Decimal(0), Decimal("600.00"), "AE")
    assert invoice.vat_breakdown[0].exemption_code == "VATEX-EU-AE"
    body = api.get(f"/portal/invoices/{invoice.id}", buyer).body
    assert body["vat_breakdown"][0]["vat_category"] == "AE"
    assert body["vat_breakdown"][0]["vat_exemption_reason"] == "Reverse charge — Art. 196 Directive 2006/112/EC"
    # EUR invoice of a RON-keeping supplier: the rate fixed at issue, the VAT (here 0) in RON
    assert (body["tax_currency"], body["vat_total_tax_currency"]) == ("RON", "0.00") and Decimal(str(body["exchange_rate"])) > 0

    rendered = invoicing.render_documents(invoice.id)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(s3_body(rendered.pdf_key))).pages)
    flat = " ".join(text.split())
    assert "Reverse charge" in flat and "Art. 196 Directive 2006/112/EC" in flat, flat
    assert "0% AE" in flat and "VAT in RON" in flat
    xml = s3_body(rendered.xml_key)
    assert not validators().findings(xml)


def test_goods_for_a_swiss_client_are_an_export(api, world):
    _, order = order_for(api, world, ZURICH, "CHE-123.456.789")
    assert order["lines"][0]["vat_category"] == "G" and order["vat_total"] == "0.00"
    review.approve(order["id"], "tests")
    rendered = invoicing.render_documents(invoicing.issue(order["id"]).id)
    flat = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(s3_body(rendered.pdf_key))).pages).split())
    assert "Export outside the EU" in flat and "Art. 146" in flat
    assert "Issued before delivery" in flat  # invoiced on acceptance: the date of supply is the delivery's
    assert not validators().findings(s3_body(rendered.xml_key))


def test_a_romanian_client_in_bucharest_pays_romanian_vat(api, world):
    _, order = order_for(api, world, {"label": "HQ", "line1": "Calea Victoriei 10", "city": "Sector 1",
                                      "postcode": "010063", "country": "RO", "county": "RO-B"}, "RO55443322")
    assert order["lines"][0]["vat_category"] == "S" and order["vat_total"] == "114.00"
    review.approve(order["id"], "tests")
    rendered = invoicing.render_documents(invoicing.issue(order["id"]).id)
    xml = s3_body(rendered.xml_key)
    assert b"<cbc:CityName>SECTOR1</cbc:CityName>" in xml and b"<cbc:CountrySubentity>RO-B</cbc:CountrySubentity>" in xml
    assert not validators().findings(xml)


def test_a_client_address_with_a_wrong_county_is_refused(api, world):
    reply = api.post("/admin/clients", {"name": "X SRL", "payment_term_days": 30, "credit_limit": "100", "currency": "RON",
                                        "addresses": [{"label": "HQ", "line1": "a", "city": "Bucharest", "postcode": "1",
                                                       "country": "RO", "county": "RO-B"}]}, world.admin_token())
    assert reply.status == 422 and (reply.error["code"], reply.error["field"]) == ("sector_required", "addresses[0].city")
    reply = api.post("/admin/clients", {"name": "X SRL", "payment_term_days": 30, "credit_limit": "100", "currency": "RON",
                                        "addresses": [{"label": "HQ", "line1": "a", "city": "Cluj", "postcode": "1",
                                                       "country": "RO", "county": "RO-QQ"}]}, world.admin_token())
    assert reply.status == 422 and (reply.error["code"], reply.error["field"]) == ("invalid_county", "addresses[0].county")
