"""Invoices, payments (staff and online), statement and delivery-note endpoints: rules and bad input."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import requests

from chalicelib.adapters.payments import gateway_from_env
from chalicelib.services import fulfilment, invoicing, review
from chalicelib.services.pricing import supplier_today
from chalicelib.store import invoices as invoice_store
from chalicelib.store.models import InvoiceItem


def accepted_order(api, world, **client_fields):
    world.product("CAB-001", base_price=Decimal("10.00"), qty_on_hand=100)
    client = world.client("Acme SRL", addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}],
                          **client_fields)
    _, buyer = world.buyer(client)
    order = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 10}]}, buyer).body
    review.approve(order["id"], "tests")
    return client, buyer, order


def test_online_payment_through_the_gateway_webhook_records_once(api, world):
    _, buyer, order = accepted_order(api, world)
    invoice = invoicing.issue(order["id"])
    checkout = api.post(f"/portal/invoices/{invoice.id}/pay", None, buyer)
    assert checkout.status == 201 and "/local/pay/" in checkout.body["checkout_url"]
    payload, signature = gateway_from_env().pay(checkout.body["session_id"])

    first = api.post("/payments/webhook", raw=payload.decode(), headers={"Stripe-Signature": signature})
    assert first.status == 200 and first.body["recorded"] is True
    replay = api.post("/payments/webhook", raw=payload.decode(), headers={"Stripe-Signature": signature})
    assert replay.status == 200
    paid = invoice_store.get(invoice.id)
    assert (paid.status, paid.amount_paid) == ("paid", invoice.total)
    assert len(invoice_store.payments(invoice.id)) == 1

    forged = api.post("/payments/webhook", raw=payload.decode(), headers={"Stripe-Signature": "t=1,v1=00"})
    assert forged.status == 400 and forged.error["code"] == "invalid_signature"
    assert api.post(f"/portal/invoices/{invoice.id}/pay", None, buyer).error["code"] == "invoice_not_open"


def test_staff_payments_are_checked(api, world):
    _, _, order = accepted_order(api, world)
    invoice = invoicing.issue(order["id"])
    admin = world.admin_token()
    today = supplier_today().isoformat()
    cases = [
        ({"amount": "-5", "date": today, "method": "card"}, "amount"),
        ({"amount": "0", "date": today, "method": "card"}, "amount"),
        ({"amount": 5, "date": today, "method": "card"}, "amount"),
        ({"amount": "5", "date": (supplier_today() + timedelta(days=3)).isoformat(), "method": "card"}, "date"),
        ({"amount": "5", "date": "2026-02-30", "method": "card"}, "date"),
        ({"amount": "5", "date": today, "method": "barter"}, "method"),
    ]
    for body, field in cases:
        reply = api.post(f"/admin/invoices/{invoice.id}/payments", body, admin)
        assert reply.status == 422 and reply.error["field"] == field, (body, reply.text)
    _, agent = world.staff("agent")
    assert api.post(f"/admin/invoices/{invoice.id}/payments", {"amount": "5", "date": today, "method": "card"}, agent).status == 403
    assert invoice_store.get(invoice.id).amount_paid == 0
    assert api.post("/admin/invoices/inv_missing/payments", {"amount": "5", "date": today, "method": "card"}, admin).status == 404


def test_draft_invoices_and_other_clients_invoices_stay_hidden(api, world):
    client, buyer, order = accepted_order(api, world)
    issued = invoicing.issue(order["id"])
    draft = invoice_store.get(issued.id)
    values = {k: v for k, v in draft.attribute_values.items() if k not in ("version", "pk", "sk")}
    draft_copy = InvoiceItem(**{**values, "id": "inv_draft", "status": "draft", "number": ""})
    invoice_store.issue(draft_copy)
    listed = api.get("/portal/invoices", buyer).body["items"]
    assert [i["id"] for i in listed] == [issued.id]
    assert api.get("/portal/invoices/inv_draft", buyer).status == 404
    assert api.get("/admin/invoices/inv_draft", world.admin_token()).body["status"] == "draft"

    other = world.client("Other")
    _, stranger = world.buyer(other)
    for path in (f"/portal/invoices/{issued.id}", f"/portal/invoices/{issued.id}/pdf"):
        reply = api.get(path, stranger)
        assert reply.status == 404 and reply.error["code"] == "invoice_not_found"
    _, no_downloads = world.buyer(client, invoices=True)
    assert api.get(f"/portal/invoices/{issued.id}/pdf", no_downloads).error["code"] == "missing_permission"
    _, no_invoices = world.buyer(client, orders=True)
    assert api.get("/portal/invoices", no_invoices).status == 403
    assert api.get("/portal/deliveries", no_invoices).status == 403


def test_statement_periods_and_bad_dates(api, world):
    _, buyer, order = accepted_order(api, world)
    invoice = invoicing.issue(order["id"])
    today = supplier_today()
    body = api.get(f"/portal/statement?from={today}&to={today}", buyer).body
    assert body["opening_balance"] == "0.00" and body["closing_balance"] == str(invoice.total)
    later = api.get(f"/portal/statement?from={today + timedelta(days=1)}&to={today + timedelta(days=2)}", buyer).body
    assert later["opening_balance"] == str(invoice.total) and later["entries"] == []
    assert api.get("/portal/statement?from=yesterday", buyer).error["field"] == "from"
    assert api.get(f"/portal/statement?from={today}&to={today - timedelta(days=1)}", buyer).error["code"] == "invalid_date_range"
    pdf = api.get(f"/portal/statement/pdf?from={today}&to={today}", buyer)
    assert pdf.status == 302 and requests.get(pdf.headers["Location"], timeout=10).content.startswith(b"%PDF")


def test_delivery_note_rules(api, world):
    _, buyer, order = accepted_order(api, world)
    admin = world.admin_token()
    base = f"/admin/orders/{order['id']}/delivery-notes"
    for body, code, field in (
        ({"lines": [{"sku": "CAB-001", "qty": 11}]}, "above_ordered_qty", "lines[0].qty"),
        ({"lines": [{"sku": "NOPE", "qty": 1}]}, "unknown_product", "lines[0].sku"),
        ({"lines": [{"sku": "CAB-001", "qty": 0}]}, "invalid_quantity", "lines[0].qty"),
    ):
        reply = api.post(base, body, admin)
        assert reply.status == 422 and (reply.error["code"], reply.error["field"]) == (code, field)
    part = api.post(base, {"lines": [{"sku": "CAB-001", "qty": 4}]}, admin)
    assert part.status == 201 and part.body["lines"][0]["qty"] == 4
    rest = api.post(base, {}, admin)
    assert rest.body["lines"][0]["qty"] == 6
    assert api.post(base, {}, admin).error["code"] == "nothing_to_deliver"

    packing = f"/admin/delivery-notes/{part.body['id']}/packing-list"
    assert api.post(packing, {"parcels": [{"weight_kg": "1", "length_cm": 1, "width_cm": 1, "height_cm": 1}]}, admin).status == 409
    assert api.post(packing, {"parcels": []}, admin).status == 422
    assert api.post(f"/admin/delivery-notes/{part.body['id']}/delivered", None, admin).status == 409
    _, finance = world.staff("finance")
    assert api.post(f"/admin/delivery-notes/{part.body['id']}/approve", None, finance).status == 403
    assert api.get("/admin/delivery-notes?status=lost", admin).status == 422
    queue = api.get("/admin/delivery-notes?status=ready_for_packing", admin).body["items"]
    assert {d["id"] for d in queue} == {part.body["id"], rest.body["id"]}
    assert api.get("/portal/deliveries", buyer).body["items"][0]["status"] == "preparing"


def test_orders_that_are_not_accepted_get_no_documents(api, world):
    world.product("CAB-001", base_price=Decimal("10.00"))
    client = world.client(addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    _, buyer = world.buyer(client)
    order = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 1}]}, buyer).body
    admin = world.admin_token()
    assert api.post(f"/admin/orders/{order['id']}/delivery-notes", {}, admin).error["code"] == "order_not_accepted"
    assert api.post(f"/admin/orders/{order['id']}/invoice", None, admin).error["code"] == "order_not_accepted"
    assert fulfilment  # imported for the services under test


def test_manual_invoice_is_issued_once(api, world):
    _, _, order = accepted_order(api, world)
    admin = world.admin_token()
    first = api.post(f"/admin/orders/{order['id']}/invoice", None, admin)
    again = api.post(f"/admin/orders/{order['id']}/invoice", None, admin)
    assert first.status == 201 and again.body["number"] == first.body["number"]
    assert first.body["total"] == order["total"] and first.body["status"] == "unpaid"
    listed = api.get("/admin/invoices?status=unpaid", admin).body["items"]
    assert [i["number"] for i in listed] == [first.body["number"]]
