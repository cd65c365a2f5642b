"""Workflow steps of fulfilment.asl.json, invoicing.asl.json and overdue_reminders.asl.json, and the
consumers that start those workflows (domain events, the daily schedule)."""
from __future__ import annotations

import json
import os
from datetime import date
from typing import Any

from chalice import Blueprint
from chalice.app import SQSEvent

from chalicelib.services import fulfilment, invoicing
from chalicelib.services.pricing import supplier_today
from chalicelib.steps import automation as automation_steps
from chalicelib.steps import fresh_log_state, logger, workflow_step
from chalicelib.store import settings as settings_store

fulfilment_steps = Blueprint(__name__)

EVENTS_QUEUE = os.environ.get("EVENTS_QUEUE_NAME", f"b2b-{os.environ.get('STAGE', 'local')}-events")


# --- fulfilment ---------------------------------------------------------------------------------

@fulfilment_steps.lambda_function(name="create_delivery_note")
@workflow_step
def create_delivery_note(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return fulfilment.delivery_note_step(event["order_id"], event.get("delivery_note_id"))


@fulfilment_steps.lambda_function(name="apply_stock")
@workflow_step
def apply_stock(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return fulfilment.apply_stock(event["delivery_note_id"])


@fulfilment_steps.lambda_function(name="packing_overdue")
@workflow_step
def packing_overdue(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return fulfilment.packing_overdue(event["delivery_note_id"], int(event.get("reminders") or 0))


@fulfilment_steps.lambda_function(name="generate_awb")
@workflow_step
def generate_awb(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return fulfilment.generate_awb(event["delivery_note_id"])  # CourierUnavailable: retried by the state machine


@fulfilment_steps.lambda_function(name="awb_failed")
@workflow_step
def awb_failed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    fulfilment.awb_failed(event["delivery_note_id"], event.get("error"))
    return {"delivery_note_id": event["delivery_note_id"]}


# --- invoicing ------------------------------------------------------------------------------------

@fulfilment_steps.lambda_function(name="issue_invoice")
@workflow_step
def issue_invoice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"invoice_id": invoicing.issue(event["order_id"], event.get("source_id")).id}


@fulfilment_steps.lambda_function(name="render_invoice")
@workflow_step
def render_invoice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    invoicing.render_documents(event["invoice_id"])
    return {"invoice_id": event["invoice_id"]}


@fulfilment_steps.lambda_function(name="send_invoice")
@workflow_step
def send_invoice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    invoicing.send(event["invoice_id"])
    return {"invoice_id": event["invoice_id"]}


# --- overdue reminders -------------------------------------------------------------------------------

@fulfilment_steps.lambda_function(name="remind_overdue_page")
@workflow_step
def remind_overdue_page(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return invoicing.remind_overdue_page(date.fromisoformat(event["today"]), event.get("cursor"))


# Invoked at 07:00 supplier time by the EventBridge Scheduler schedule in infra/template.json
# (Chalice's Rate(1 day) would fire at whatever time the rule was created, in UTC).
@fulfilment_steps.lambda_function(name="daily_overdue_reminders")
def daily_overdue_reminders(event: Any, context: Any) -> None:
    with fresh_log_state():
        invoicing.start_reminders(supplier_today())


# --- domain events -------------------------------------------------------------------------------------

@fulfilment_steps.on_sqs_message(queue=EVENTS_QUEUE, batch_size=10)
def on_domain_event(event: SQSEvent) -> dict[str, Any]:
    """order.accepted starts the order's fulfilment workflow (and its invoice when invoices follow acceptance);
    a message that could not start is reported back alone (ReportBatchItemFailures)."""
    failures = automation_steps.match_records(list(event))  # every event also meets the automation rules
    for record in event:
        message = json.loads(record.body)
        if message.get("detail-type") != "order.accepted":
            continue
        order_id = message["detail"]["order_id"]
        with fresh_log_state(order_id):
            try:
                fulfilment.start_fulfilment(order_id)
                if settings_store.load().invoice_on == "accept":
                    invoicing.start(order_id)
            except Exception:  # noqa: BLE001 - reported per message; SQS redelivers it (then its dead-letter queue)
                logger.exception("could not start the order's fulfilment")
                if {"itemIdentifier": record.to_dict()["messageId"]} not in failures:
                    failures.append({"itemIdentifier": record.to_dict()["messageId"]})
    return {"batchItemFailures": failures}
