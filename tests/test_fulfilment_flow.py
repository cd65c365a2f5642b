"""Accepted order -> delivery note -> stock -> packing -> AWB -> invoice -> PDF -> payments -> reminders,
through the real Step Functions executions of the local stack."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import requests
from moto.ses.models import ses_backends

from chalicelib.adapters.courier import courier_from_env
from chalicelib.services import invoicing
from chalicelib.services.pricing import supplier_today
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store import settings as settings_store
from chalicelib.store.products import get_product
from infra.local.provision import ACCOUNT_ID

PARCELS = {"parcels": [{"weight_kg": "2.5", "length_cm": 40, "width_cm": 30, "height_cm": 20}]}


def configure(**changes):
    settings = settings_store.load()
    for name, value in changes.items():
        setattr(settings, name, value)
    settings_store.save(settings)


def world_with_order(api, world, workflows, *, stock=50, lines=(("CAB-001", 4), ("NET-001", 2))):
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=stock)
    world.product("NET-001", name="Switch", base_price=Decimal("100.00"), vat_rate=Decimal("9"), qty_on_hand=stock)
    client = world.client("Acme SRL", vat_number="RO123", auto_approve=True, payment_term_days=30,
                          addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    _, buyer = world.buyer(client)
    order = api.post("/portal/orders", {"lines": [{"sku": s, "qty": q} for s, q in lines]}, buyer).body
    stored = workflows.until(lambda: (o := order_store.get(order["id"])).status == "accepted" or o.review_task_token,
                             what="acceptance or review")
    if stored is not True and order_store.get(order["id"]).status != "accepted":  # short stock: an agent approves
        assert api.post(f"/admin/orders/{order['id']}/approve", {}, world.admin_token()).status == 200
    workflows.until(lambda: order_store.get(order["id"]).accepted_event_sent, what="acceptance")
    return order, buyer


def delivery_note_of(workflows, order_id):
    return workflows.until(lambda: dn_store.for_order(order_id), what="the delivery note")[0]


def test_accepted_order_is_delivered_and_invoiced_once(api, world, workflows):
    configure(auto_create_delivery_note=True, invoice_on="shipping")
    courier = courier_from_env()
    admin = world.admin_token()
    order, buyer = world_with_order(api, world, workflows)

    dn = delivery_note_of(workflows, order["id"])
    assert dn.status == "ready_for_packing" and dn.number.startswith("DN-")
    workflows.until(lambda: dn_store.get(dn.id).approval_task_token, what="the warehouse's approval wait")
    assert workflows.entered(order["id"], workflows.fulfilment)[:3] == ["CreateDeliveryNote", "NoteCreated?", "WaitForApproval"]

    approved = api.post(f"/admin/delivery-notes/{dn.id}/approve", None, admin)
    assert approved.status == 200 and approved.body["status"] == "approved"
    assert (get_product("CAB-001").qty_on_hand, get_product("NET-001").qty_on_hand) == (46, 48)
    workflows.until(lambda: dn_store.get(dn.id).packing_task_token, what="the packing wait")
    assert api.post(f"/admin/delivery-notes/{dn.id}/approve", None, admin).status == 200  # a retry
    assert (get_product("CAB-001").qty_on_hand, get_product("NET-001").qty_on_hand) == (46, 48)
    assert workflows.output_of(order["id"], "ApplyStock", workflows.fulfilment)["stock"] == {
        "backorder_id": None, "shipped": {"CAB-001": 4, "NET-001": 2}}

    assert api.post(f"/admin/delivery-notes/{dn.id}/packing-list", PARCELS, admin).body["status"] == "packed"
    shipped = workflows.until(lambda: (d := dn_store.get(dn.id)).status == "shipped" and d, what="the AWB")
    assert shipped.awb and courier.bookings(dn.id) == 1

    deliveries = api.get("/portal/deliveries", buyer).body["items"]
    assert [(d["status"], d["awb"]) for d in deliveries] == [("shipped", shipped.awb)] and deliveries[0]["tracking_url"]

    invoice = workflows.until(lambda: (i := invoice_store.find(f"inv_{dn.id}")) and i.pdf_key and i, what="the invoice")
    assert (invoice.total, invoice.status) == (Decimal(order["total"]), "unpaid")
    assert invoice.due_date == invoice.issue_date + timedelta(days=30)
    assert invoice.xml_key  # the client has a VAT number: UBL e-invoice beside the PDF
    assert workflows.finished(order["id"], machine=workflows.fulfilment) == "SUCCEEDED"
    assert workflows.entered(order["id"], workflows.fulfilment) == [
        "CreateDeliveryNote", "NoteCreated?", "WaitForApproval", "ApplyStock", "WaitForPacking", "GenerateAwb"]

    detail = api.get(f"/portal/orders/{order['id']}", buyer).body
    assert detail["fulfilment_status"] == "shipped" and detail["delivery_notes"][0]["awb"] == shipped.awb
    assert [i["number"] for i in detail["invoices"]] == [invoice.number]

    pdf = api.get(f"/portal/invoices/{invoice.id}/pdf", buyer)
    assert pdf.status == 302
    document = requests.get(pdf.headers["Location"], timeout=10)
    assert document.content.startswith(b"%PDF")

    half = api.post(f"/admin/invoices/{invoice.id}/payments",
                    {"amount": str(invoice.total / 2), "date": supplier_today().isoformat(), "method": "bank_transfer"}, admin)
    assert half.status == 201 and half.body["status"] == "partially_paid"
    over = api.post(f"/admin/invoices/{invoice.id}/payments",
                    {"amount": str(invoice.total), "date": supplier_today().isoformat(), "method": "bank_transfer"}, admin)
    assert over.status == 422 and over.error["code"] == "overpayment"
    rest = api.post(f"/admin/invoices/{invoice.id}/payments",
                    {"amount": str(invoice.total - invoice.total / 2), "date": supplier_today().isoformat(), "method": "card"}, admin)
    assert rest.body["status"] == "paid" and rest.body["amount_due"] == "0.00"
    assert api.get(f"/admin/clients/{order_store.get(order['id']).client_id}", admin).body["balance"] == "0.00"

    assert api.post(f"/admin/delivery-notes/{dn.id}/delivered", None, admin).body["status"] == "delivered"
    assert api.get(f"/portal/orders/{order['id']}", buyer).body["fulfilment_status"] == "delivered"

    statement = api.get(f"/portal/statement?from={supplier_today().replace(day=1)}", buyer).body
    assert statement["opening_balance"] == "0.00" and statement["closing_balance"] == "0.00"
    assert [e["kind"] for e in statement["entries"]] == ["invoice", "payment", "payment"]


def test_short_stock_ships_what_is_there_and_back_orders_the_rest(api, world, workflows):
    configure(auto_create_delivery_note=True, invoice_on="manual")
    admin = world.admin_token()
    order, buyer = world_with_order(api, world, workflows, stock=3)
    dn = delivery_note_of(workflows, order["id"])
    approved = api.post(f"/admin/delivery-notes/{dn.id}/approve", None, admin).body
    assert [(line["sku"], line["qty"]) for line in approved["lines"]] == [("CAB-001", 3), ("NET-001", 2)]
    assert (get_product("CAB-001").qty_on_hand, get_product("NET-001").qty_on_hand) == (0, 1)
    backorder = dn_store.get(approved["backorder_id"])
    assert [(line.sku, line.qty) for line in backorder.lines] == [("CAB-001", 1)] and backorder.status == "ready_for_packing"
    refused = api.post(f"/admin/delivery-notes/{backorder.id}/approve", None, admin)
    assert refused.status == 409 and refused.error["code"] == "no_stock"
    subjects = [m.subject for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages]
    assert any("back-ordered" in s for s in subjects)
    # the back-order note runs its own fulfilment, named after it, waiting for the warehouse's approval
    workflows.until(lambda: dn_store.get(backorder.id).approval_task_token, what="the back-order's approval wait")
    assert workflows.entered(backorder.id, workflows.fulfilment) == ["CreateDeliveryNote", "NoteCreated?", "WaitForApproval"]
    assert workflows.output_of(order["id"], "ApplyStock", workflows.fulfilment)["stock"]["backorder_id"] == backorder.id


def test_awb_failures_are_retried_then_parked_as_awb_failed(api, world, workflows):
    configure(auto_create_delivery_note=True, invoice_on="manual")
    courier = courier_from_env()
    admin = world.admin_token()
    order, _ = world_with_order(api, world, workflows)
    dn = delivery_note_of(workflows, order["id"])
    api.post(f"/admin/delivery-notes/{dn.id}/approve", None, admin)

    courier.fail_next(2)  # two transient failures: the state machine's Retry absorbs them
    api.post(f"/admin/delivery-notes/{dn.id}/packing-list", PARCELS, admin)
    shipped = workflows.until(lambda: (d := dn_store.get(dn.id)).status == "shipped" and d, timeout=30, what="the AWB")
    assert courier.bookings(dn.id) == 1 and shipped.awb


def test_courier_down_for_good_leaves_a_clear_state_and_a_task(api, world, workflows):
    configure(auto_create_delivery_note=True, invoice_on="manual")
    courier = courier_from_env()
    admin = world.admin_token()
    order, _ = world_with_order(api, world, workflows)
    dn = delivery_note_of(workflows, order["id"])
    api.post(f"/admin/delivery-notes/{dn.id}/approve", None, admin)
    courier.fail_next(10)
    api.post(f"/admin/delivery-notes/{dn.id}/packing-list", PARCELS, admin)
    failed = workflows.until(lambda: (d := dn_store.get(dn.id)).status == "awb_failed" and d, timeout=40, what="awb_failed")
    assert failed.awb is None and courier.bookings(dn.id) == 0
    workflows.until(lambda: dn_store.get(dn.id).awb_retry_task_token, what="the wait for a retry")
    assert order_store.get(order["id"]).status == "accepted"
    courier.reset()
    assert api.post(f"/admin/delivery-notes/{dn.id}/retry-awb", None, admin).status == 200
    workflows.until(lambda: dn_store.get(dn.id).status == "shipped", timeout=30, what="the retried AWB")
    assert courier.bookings(dn.id) == 1
    # the retry resumed the same execution: one fulfilment execution for the order, and it ended well
    assert workflows.finished(order["id"], machine=workflows.fulfilment) == "SUCCEEDED"
    assert workflows.entered(order["id"], workflows.fulfilment)[-4:] == ["GenerateAwb", "AwbFailed", "WaitForAwbRetry", "GenerateAwb"]
    executions = workflows.sfn.list_executions(stateMachineArn=workflows.fulfilment)["executions"]
    assert [e["name"] for e in executions] == [order["id"]]


def test_invoice_on_acceptance_and_overdue_reminders_once(api, world, workflows):
    configure(invoice_on="accept")
    order, buyer = world_with_order(api, world, workflows)
    invoice = workflows.until(lambda: (i := invoice_store.find(f"inv_{order['id']}")) and i.pdf_key and i, what="the invoice")
    assert invoice.total == Decimal(order["total"])
    assert invoicing.issue(order["id"]).number == invoice.number  # a retried step issues nothing new

    def reminders():
        return [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages if "overdue" in m.subject]

    later = invoice.due_date + timedelta(days=8)  # the clock moves: 1 and 7 days overdue are both reached
    arn = invoicing.start_reminders(later, on_demand=True)
    workflows.until(lambda: workflows.sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED", what="the reminder run")
    assert len(reminders()) == 1 and "8 days overdue" in reminders()[0].subject
    assert invoice_store.get(invoice.id).status == "overdue"
    again = invoicing.start_reminders(later, on_demand=True)
    workflows.until(lambda: workflows.sfn.describe_execution(executionArn=again)["status"] == "SUCCEEDED", what="the second run")
    assert len(reminders()) == 1
    assert api.get(f"/portal/invoices/{invoice.id}", buyer).body["status"] == "overdue"


def test_failing_steps_are_retried_and_leave_one_awb_one_invoice_and_stock_taken_once(api, world, workflows):
    from infra.local import lambda_shim  # noqa: PLC0415

    configure(auto_create_delivery_note=True, invoice_on="shipping")
    courier = courier_from_env()
    admin = world.admin_token()
    order, buyer = world_with_order(api, world, workflows)
    dn = delivery_note_of(workflows, order["id"])
    api.post(f"/admin/delivery-notes/{dn.id}/approve", None, admin)
    try:
        lambda_shim.fail_next("generate_awb", 1, after_running=True)  # booked, then "timed out"
        lambda_shim.fail_next("generate_awb", 1)
        lambda_shim.fail_next("issue_invoice", 2, after_running=True)  # numbered, then failed: twice
        lambda_shim.fail_next("send_invoice", 1, after_running=True)  # mailed, then failed
        courier.fail_next(1, after_booking=True)
        api.post(f"/admin/delivery-notes/{dn.id}/packing-list", PARCELS, admin)
        invoice = workflows.until(lambda: (i := invoice_store.find(f"inv_{dn.id}")) and "issued" in (i.notified or set()) and i,
                                  timeout=60, what="the invoice to be sent")
    finally:
        lambda_shim.clear_faults()
    assert courier.bookings(dn.id) == 1 and dn_store.get(dn.id).status == "shipped"
    assert invoice.number.endswith("-000001")
    assert [i.number for i in invoice_store.for_order(order["id"])] == [invoice.number]
    assert (get_product("CAB-001").qty_on_hand, get_product("NET-001").qty_on_hand) == (46, 48)
    sent = [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages if m.subject.startswith(f"Invoice {invoice.number}")]
    assert len(sent) == 1


def test_manual_delivery_notes_wait_for_the_agents_create(api, world, workflows):
    configure(auto_create_delivery_note=False, invoice_on="manual")
    admin = world.admin_token()
    order, _ = world_with_order(api, world, workflows)
    workflows.until(lambda: order_store.get(order["id"]).delivery_note_task_token, what="the wait for the agent")
    assert dn_store.for_order(order["id"]) == []
    created = api.post(f"/admin/orders/{order['id']}/delivery-notes", {"lines": [{"sku": "CAB-001", "qty": 1}]}, admin)
    assert created.status == 201
    workflows.until(lambda: dn_store.get(created.body["id"]).approval_task_token, what="the approval wait")
    assert workflows.entered(order["id"], workflows.fulfilment) == [
        "CreateDeliveryNote", "NoteCreated?", "WaitForDeliveryNote", "CreateDeliveryNote", "NoteCreated?", "WaitForApproval"]
    # a second note for the rest runs its own execution, named after it
    rest = api.post(f"/admin/orders/{order['id']}/delivery-notes", {}, admin).body
    workflows.until(lambda: dn_store.get(rest["id"]).approval_task_token, what="the second note's approval wait")
    executions = workflows.sfn.list_executions(stateMachineArn=workflows.fulfilment)["executions"]
    assert sorted(e["name"] for e in executions) == sorted([order["id"], rest["id"]])


def test_a_note_waiting_too_long_for_packing_reminds_the_warehouse(api, world, workflows, monkeypatch):
    from chalicelib.services import fulfilment  # noqa: PLC0415

    monkeypatch.setattr(fulfilment, "PACKING_REMINDER_AFTER", timedelta(seconds=1))
    configure(auto_create_delivery_note=True, invoice_on="manual")
    warehouse_id, _ = world.staff("warehouse")
    admin = world.admin_token()
    order, _ = world_with_order(api, world, workflows)
    dn = delivery_note_of(workflows, order["id"])
    workflows.until(lambda: dn_store.get(dn.id).approval_task_token, what="the approval wait")
    api.post(f"/admin/delivery-notes/{dn.id}/approve", None, admin)
    workflows.until(lambda: [t for t in order_store.tasks_for(warehouse_id) if t.kind == f"packing_overdue_{dn.id}"],
                    timeout=30, what="a packing reminder")
    # the task is written first, the email right after it
    reminders = workflows.until(lambda: [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages
                                         if "waiting to be packed" in m.subject], what="the reminder email")
    assert dn.number in reminders[0].subject
    assert api.post(f"/admin/delivery-notes/{dn.id}/packing-list", PARCELS, admin).status == 200
    workflows.until(lambda: dn_store.get(dn.id).status == "shipped", timeout=30, what="the AWB after the reminder")
    assert "PackingOverdue" in workflows.entered(order["id"], workflows.fulfilment)


def test_fulfilment_steps_are_safe_to_retry(api, world, workflows):
    from infra.local import lambda_shim  # noqa: PLC0415

    configure(auto_create_delivery_note=True, invoice_on="manual")
    admin = world.admin_token()
    try:
        lambda_shim.fail_next("create_delivery_note", 1, after_running=True)  # the note made, then "timed out"
        lambda_shim.fail_next("apply_stock", 1, after_running=True)
        lambda_shim.fail_next("apply_stock", 1)
        order, _ = world_with_order(api, world, workflows, stock=3)
        dn = delivery_note_of(workflows, order["id"])
        workflows.until(lambda: dn_store.get(dn.id).approval_task_token, timeout=30, what="the approval wait")
        api.post(f"/admin/delivery-notes/{dn.id}/approve", None, admin)
        workflows.until(lambda: dn_store.get(dn.id).packing_task_token, timeout=30, what="the packing wait")
    finally:
        lambda_shim.clear_faults()
    notes = dn_store.for_order(order["id"])
    assert sorted(n.id for n in notes) == sorted([dn.id, f"{dn.id}-b"])  # one note, one back-order note
    assert (get_product("CAB-001").qty_on_hand, get_product("NET-001").qty_on_hand) == (0, 1)
    assert workflows.entered(order["id"], workflows.fulfilment).count("ApplyStock") == 1
    executions = workflows.sfn.list_executions(stateMachineArn=workflows.fulfilment)["executions"]
    assert sorted(e["name"] for e in executions) == sorted([order["id"], f"{dn.id}-b"])


def test_an_invoice_step_that_keeps_failing_gives_finance_a_task_and_an_email(api, world, workflows):
    from infra.local import lambda_shim  # noqa: PLC0415

    configure(invoice_on="accept")
    finance_id, _ = world.staff("finance")
    try:
        lambda_shim.fail_next("render_invoice", 20)
        order, _ = world_with_order(api, world, workflows)
        task = workflows.until(lambda: [t for t in order_store.tasks_for(finance_id) if t.order_id == order["id"]],
                               timeout=60, what="finance's task")
    finally:
        lambda_shim.clear_faults()
    assert [t.kind for t in task] == [f"invoicing_failed_{order['id']}"]
    # the task is written first, the email right after it
    alerts = workflows.until(lambda: [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages
                                      if m.subject.startswith("Needs attention")], what="the alert email")
    assert len(alerts) == 1 and order_store.get(order["id"]).number in alerts[0].subject
    assert invoice_store.find(f"inv_{order['id']}").pdf_key is None  # issued, not rendered: finance re-runs it
