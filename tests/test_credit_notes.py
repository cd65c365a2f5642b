"""Credit notes: finance credits an invoice in full or in part; the client owes that much less, sees it in the
statement and the credit notes list, and gets the PDF and UBL CreditNote by email."""
from __future__ import annotations

import io
from decimal import Decimal

import boto3
from pypdf import PdfReader

from chalicelib.config import settings
from chalicelib.services import invoicing, review
from chalicelib.services.pricing import supplier_today
from chalicelib.store import credit_notes as cn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store.clients import get_client
from tests.support.standards import validators

CLUJ = {"label": "HQ", "line1": "Str. Memorandumului 2", "city": "Cluj-Napoca", "postcode": "400114", "country": "RO",
        "county": "RO-CJ"}


def invoiced(api, world, *, currency="RON", address=CLUJ, vat_number="RO99887766"):
    """An issued invoice for 10 x CAB-001 at 10.00 and 4 x LAMP-2 at 25.50 (19 % VAT)."""
    world.product("CAB-001", base_price=Decimal("10.00"), qty_on_hand=100, currency=currency)
    world.product("LAMP-2", base_price=Decimal("25.50"), qty_on_hand=100, currency=currency)
    client = world.client("Transilvania Retail SRL", currency=currency, vat_number=vat_number, addresses=[address])
    _, buyer = world.buyer(client)
    order = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 10}, {"sku": "LAMP-2", "qty": 4}]}, buyer).body
    review.approve(order["id"], "tests")
    return client, buyer, invoicing.issue(order["id"])


def s3_body(key: str) -> bytes:
    s3 = boto3.client("s3", endpoint_url=settings().aws_endpoint_url, region_name=settings().region)
    return s3.get_object(Bucket=settings().documents_bucket, Key=key)["Body"].read()


def test_a_full_credit_note_cancels_the_invoice_and_restores_the_clients_balance(api, world):
    client, buyer, invoice = invoiced(api, world)
    assert invoice.total == Decimal("240.38")  # (100.00 + 102.00) x 1.19
    balance_before = get_client(client).balance
    assert balance_before == invoice.total
    finance = world.admin_token()

    reply = api.post(f"/admin/invoices/{invoice.id}/credit-notes", {"reason": "Order cancelled by the client"}, finance)
    assert reply.status == 201, reply.text
    note = reply.body
    assert note["number"] == f"CN-{supplier_today().year}-000001" and note["invoice_id"] == invoice.id
    assert note["total"] == "240.38" and {(l["sku"], l["qty"]) for l in note["lines"]} == {("CAB-001", 10), ("LAMP-2", 4)}

    assert get_client(client).balance == 0
    cancelled = api.get(f"/portal/invoices/{invoice.id}", buyer).body
    assert (cancelled["status"], cancelled["amount_due"], cancelled["amount_credited"]) == ("cancelled", "0.00", "240.38")
    statement = api.get(f"/portal/statement?from={supplier_today()}&to={supplier_today()}", buyer).body
    kinds = [(e["kind"], e.get("credit")) for e in statement["entries"]]
    assert ("credit_note", "240.38") in kinds and statement["closing_balance"] == "0.00"
    listed = api.get("/portal/credit-notes", buyer).body["items"]
    assert [n["number"] for n in listed] == [note["number"]]

    again = api.post(f"/admin/invoices/{invoice.id}/credit-notes", {"reason": "again"}, finance)
    assert again.status == 409 and again.error["code"] in ("invoice_not_creditable", "invoice_fully_credited")


def test_partial_credit_notes_add_up_to_the_invoice_to_the_cent(api, world):
    client, buyer, invoice = invoiced(api, world)
    finance = world.admin_token()
    first = api.post(f"/admin/invoices/{invoice.id}/credit-notes",
                     {"reason": "3 cables damaged", "lines": [{"sku": "cab-001", "qty": 3}]}, finance).body
    assert first["total"] == "35.70"  # 30.00 + 19 %
    partly = invoice_store.get(invoice.id)
    assert (partly.status, partly.amount_due) == ("unpaid", invoice.total - Decimal("35.70"))
    assert get_client(client).balance == invoice.total - Decimal("35.70")

    too_many = api.post(f"/admin/invoices/{invoice.id}/credit-notes",
                        {"reason": "x", "lines": [{"sku": "CAB-001", "qty": 8}]}, finance)
    assert too_many.status == 422 and (too_many.error["code"], too_many.error["field"]) == ("above_max_qty", "lines[0].qty")

    rest = api.post(f"/admin/invoices/{invoice.id}/credit-notes", {"reason": "Rest returned"}, finance).body
    assert {(l["sku"], l["qty"]) for l in rest["lines"]} == {("CAB-001", 7), ("LAMP-2", 4)}
    assert Decimal(first["total"]) + Decimal(rest["total"]) == invoice.total
    assert invoice_store.get(invoice.id).status == "cancelled" and get_client(client).balance == 0
    assert [n["number"] for n in api.get(f"/admin/credit-notes?client_id={client}", finance).body["items"]] == \
        [rest["number"], first["number"]]


def test_a_credit_note_on_a_paid_invoice_leaves_the_client_in_credit(api, world):
    client, _, invoice = invoiced(api, world)
    finance = world.admin_token()
    api.post(f"/admin/invoices/{invoice.id}/payments", {"amount": str(invoice.total), "date": supplier_today().isoformat(),
                                                         "method": "bank_transfer"}, finance)
    api.post(f"/admin/invoices/{invoice.id}/credit-notes", {"reason": "Lamp faulty", "lines": [{"sku": "LAMP-2", "qty": 1}]},
             finance)
    assert get_client(client).balance == Decimal("-30.35")  # 25.50 + 19 %: the supplier owes it back


def test_credit_note_documents_are_emailed_and_pass_cius_ro(api, world):
    from infra.local.outbox import sent_mail  # noqa: PLC0415

    client, buyer, invoice = invoiced(api, world, currency="EUR")
    assert invoice.tax_currency == "RON" and invoice.exchange_rate and invoice.vat_total_tax_currency
    note = api.post(f"/admin/invoices/{invoice.id}/credit-notes",
                    {"reason": "Goods returned", "lines": [{"sku": "LAMP-2", "qty": 2}]}, world.admin_token()).body
    stored = cn_store.get(note["id"])
    xml = s3_body(stored.xml_key)
    assert b"<CreditNote" in xml and invoice.number.encode() in xml and b"<cbc:TaxCurrencyCode>RON" in xml
    findings = validators().findings(xml)
    assert not findings, "\n".join(map(str, findings))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(s3_body(stored.pdf_key))).pages)
    assert "Credit note" in text and note["number"] in text and invoice.number in text and "Goods returned" in text
    mails = [m for m in sent_mail() if note["number"] in str(m["subject"])]
    assert len(mails) == 1 and mails[0]["to"] == [invoice.contact_email]
    assert api.get(f"/portal/credit-notes/{note['id']}/pdf", buyer).status == 302


def test_bad_credit_note_requests_are_refused_and_change_nothing(api, world):
    client, buyer, invoice = invoiced(api, world)
    finance = world.admin_token()
    url = f"/admin/invoices/{invoice.id}/credit-notes"
    cases = [({}, "reason"), ({"reason": ""}, "reason"),
             ({"reason": "x", "lines": [{"sku": "NOPE", "qty": 1}]}, "lines[0].sku"),
             ({"reason": "x", "lines": [{"sku": "CAB-001", "qty": 0}]}, "lines[0].qty"),
             ({"reason": "x", "lines": [{"sku": "CAB-001", "qty": 1}, {"sku": "CAB-001", "qty": 1}]}, "lines[1].sku")]
    for body, field in cases:
        reply = api.post(url, body, finance)
        assert reply.status == 422 and reply.error["field"] == field, (body, reply.text)
    _, agent = world.staff("agent")
    assert api.post(url, {"reason": "x"}, agent).status == 403
    assert api.post(url, {"reason": "x"}, buyer).status == 403
    assert api.post("/admin/invoices/inv_missing/credit-notes", {"reason": "x"}, finance).status == 404
    assert get_client(client).balance == invoice.total and cn_store.for_invoice(invoice.id) == []

    note = api.post(url, {"reason": "ok", "lines": [{"sku": "CAB-001", "qty": 1}]}, finance).body
    other = world.client("Other SRL")
    _, stranger = world.buyer(other)
    assert api.get(f"/portal/credit-notes/{note['id']}", stranger).status == 404
    assert api.get("/portal/credit-notes", stranger).body["items"] == []


# --- in the browser ---------------------------------------------------------------------------------------

import pytest  # noqa: E402

from tests.test_web_documents import accepted_order, configure, staff_member  # noqa: E402
from tests.test_web_ordering import people, sign_in, submit  # noqa: E402,F401 - a browser context per person
from tests.test_web_portal import browser  # noqa: E402,F401 - one Chromium for the module


@pytest.mark.browser
def test_finance_credits_part_of_an_invoice_from_its_page_and_the_buyer_sees_it(people, http_server, world, workflows):
    configure(auto_create_delivery_note=False, invoice_on="manual")
    acme = accepted_order(world, workflows)  # 4 cables at 10.00 (19 %), 2 switches at 100.00 (9 %)
    invoice = invoicing.issue(acme.order.id)
    finance = people()
    sign_in(finance, http_server, staff_member(world, "finance"), lands="**/agent/invoices")
    finance.goto(f"{http_server}/agent/invoices/{invoice.id}")
    lines = [l.sku for l in invoice.lines]
    finance.fill(f"#credit-qty-{lines.index('NET-001')}", "1")
    finance.fill("#credit-reason", "Switch returned faulty")
    submit(finance, "#create-credit-note")
    assert "Credit note CN-" in finance.inner_text("#flash-notice") and "109.00 EUR" in finance.inner_text("#flash-notice")
    assert "Switch returned faulty" in finance.inner_text("#credit-notes")
    assert finance.inner_text("#amount-credited") == "109.00 EUR"
    assert finance.inner_text("#amount-due") == f"{invoice.total - Decimal('109.00'):.2f} EUR"
    finance.fill(f"#credit-qty-{lines.index('NET-001')}", "5")
    finance.fill("#credit-reason", "Too many")
    submit(finance, "#create-credit-note")
    assert "Only 1 of NET-001 can still be credited" in finance.inner_text("#flash-error")
    finance.goto(f"{http_server}/agent/credit-notes")
    assert invoice.number in finance.inner_text("#credit-note-list")

    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.goto(f"{http_server}/credit-notes")
    assert "Switch returned faulty" in buyer.inner_text("#credit-note-list") and "109.00 EUR" in buyer.inner_text("#credit-note-list")
    buyer.goto(f"{http_server}/invoices/{invoice.id}")
    assert buyer.inner_text("#amount-credited") == "109.00 EUR" and "CN-" in buyer.inner_text("#credit-notes")
    buyer.goto(f"{http_server}/statement")
    assert "Credit note" in buyer.inner_text("main")
