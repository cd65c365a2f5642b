"""Exactly once where it matters, as it would hold on AWS: the invoice and its email are guarded by conditional
writes in DynamoDB (not by an execution name: AWS does not deduplicate Express executions); reminders are counted
only after SES accepted them, once per (invoice, reminder level); an address SES refuses never blocks a workflow."""
from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from moto.ses.models import ses_backends

from chalicelib.aws import client as aws_client
from chalicelib.config import settings
from chalicelib.services import invoicing, review
from chalicelib.store import invoices as invoice_store
from infra.local.provision import ACCOUNT_ID

ADDRESS = {"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}


def sent(subject_part: str) -> list:
    return [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages if subject_part in m.subject]


def accepted_order(api, world) -> dict:
    world.product("CAB-001", base_price=Decimal("10.00"), qty_on_hand=100)
    client = world.client("Acme SRL", addresses=[ADDRESS])
    _, buyer = world.buyer(client)
    order = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 10}]}, buyer).body
    review.approve(order["id"], "tests")
    return order


def run_invoicing(workflows, order_id: str, names: list[str]) -> None:
    """Start the Express invoicing machine once per name, as duplicated deliveries would on AWS; wait for all."""
    arn = os.environ["INVOICING_STATE_MACHINE_ARN"]
    runs = [workflows.sfn.start_execution(stateMachineArn=arn, name=name,
                                          input=json.dumps({"order_id": order_id, "source_id": order_id}))["executionArn"]
            for name in names]
    deadline = time.monotonic() + 60  # no stream delivery meanwhile: only the invoicing workflow runs
    for run in runs:
        while (status := workflows.sfn.describe_execution(executionArn=run)["status"]) == "RUNNING":
            assert time.monotonic() < deadline, "the invoicing run did not end"
            time.sleep(0.05)
        assert status == "SUCCEEDED"


def test_invoicing_started_twice_under_different_names_issues_and_emails_once(api, world, workflows):
    order = accepted_order(api, world)
    run_invoicing(workflows, order["id"], ["inv-first-delivery", "inv-second-delivery"])

    [invoice] = invoice_store.for_order(order["id"])
    assert invoice.number.endswith("-000001") and invoice.pdf_key
    assert len(sent(f"Invoice {invoice.number}")) == 1
    [notification] = invoice_store.notifications(invoice.id)
    assert (notification.key, notification.status, notification.message_id is not None) == ("issued", "sent", True)

    run_invoicing(workflows, order["id"], ["inv-third-delivery"])  # even after the fact
    assert len(sent(f"Invoice {invoice.number}")) == 1 and len(invoice_store.for_order(order["id"])) == 1


def test_an_email_ses_refuses_is_marked_failed_and_the_workflow_goes_on(api, world, workflows):
    order = accepted_order(api, world)
    admin = world.admin_token()
    aws_client("ses").delete_identity(Identity=settings().mail_sender)  # SES sandbox: MessageRejected
    run_invoicing(workflows, order["id"], ["inv-refused"])

    [invoice] = invoice_store.for_order(order["id"])
    [notification] = invoice_store.notifications(invoice.id)
    assert notification.status == "failed" and "MessageRejected" in notification.error
    shown = api.get(f"/admin/invoices/{invoice.id}", admin).body["notifications"]
    assert [(n["label"], n["status_label"]) for n in shown] == [("Invoice email", "Failed (not delivered)")]
    page = api.get(f"/agent/invoices/{invoice.id}", headers={"Cookie": f"b2b_session={admin}"}).text
    assert 'id="notifications"' in page and "Failed (not delivered)" in page and "MessageRejected" in page


def overdue_invoice(api, world):
    order = accepted_order(api, world)
    invoice = invoicing.issue(order["id"])
    return invoice, invoice.due_date + timedelta(days=8)  # 1 and 7 days overdue both reached


def run_reminders(today) -> None:
    """Every page of a reminder run, as the overdue_reminders workflow walks them."""
    page = {"cursor": None, "done": False}
    while not page["done"]:
        page = invoicing.remind_overdue_page(today, page["cursor"])


def test_reminder_is_counted_only_after_it_was_sent_and_a_retry_sends_nothing_twice(api, world, monkeypatch):
    invoice, later = overdue_invoice(api, world)
    real_change = invoice_store.change

    def crash_when_counting(item, **kw):
        if kw.get("actions"):
            raise RuntimeError("the Lambda died after SES accepted the reminder")
        return real_change(item, **kw)

    monkeypatch.setattr(invoice_store, "change", crash_when_counting)
    with pytest.raises(RuntimeError):
        invoicing.remind_overdue_page(later, None)
    assert len(sent("overdue")) == 1 and invoice_store.get(invoice.id).reminders_sent == []

    monkeypatch.setattr(invoice_store, "change", real_change)
    run_reminders(later)  # the step's retry
    assert len(sent("overdue")) == 1
    stored = invoice_store.get(invoice.id)
    assert (stored.status, [int(x) for x in stored.reminders_sent]) == ("overdue", [1, 7])
    assert [(n.key, n.status) for n in invoice_store.notifications(invoice.id)] == [("reminder:7", "sent")]


def test_refused_reminder_is_failed_on_the_invoice_and_the_run_goes_on(api, world):
    invoice, later = overdue_invoice(api, world)
    aws_client("ses").delete_identity(Identity=settings().mail_sender)
    run_reminders(later)
    [notification] = invoice_store.notifications(invoice.id)
    assert (notification.key, notification.status) == ("reminder:7", "failed")
    assert invoice_store.get(invoice.id).status == "overdue"


def test_a_claimed_email_belongs_to_its_sender_until_the_lease_ends(api, world):
    invoice, _ = overdue_invoice(api, world)
    lease = timedelta(minutes=5)
    first = invoice_store.claim_notification(invoice.id, "reminder:1", "a@b.example", lease=lease)
    assert first is not None
    assert invoice_store.claim_notification(invoice.id, "reminder:1", "a@b.example", lease=lease) is None
    taken_over = invoice_store.claim_notification(invoice.id, "reminder:1", "a@b.example", lease=timedelta(0))
    assert taken_over is not None  # the first sender died: after the lease a retry may send (at least once)
    invoice_store.finish_notification(taken_over, sent=True, message_id="m-1")
    assert invoice_store.claim_notification(invoice.id, "reminder:1", "a@b.example", lease=timedelta(0)) is None
