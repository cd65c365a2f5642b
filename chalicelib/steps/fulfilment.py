"""Workflow steps of fulfilment.asl.json, invoicing.asl.json and overdue_reminders.asl.json, and the
consumers that start those workflows (domain events, the table stream, the daily schedule)."""
from __future__ import annotations

import json
import os
from datetime import date
from typing import Any

from aws_lambda_powertools import Logger
from chalice import Blueprint
from chalice.app import SQSEvent

from chalicelib.adapters.courier import CourierUnavailable
from chalicelib.services import fulfilment, invoicing
from chalicelib.services.pricing import supplier_today
from chalicelib.store import settings as settings_store

fulfilment_steps = Blueprint(__name__)
logger = Logger(service="b2b-portal", child=True)

EVENTS_QUEUE = os.environ.get("EVENTS_QUEUE_NAME", f"b2b-{os.environ.get('STAGE', 'local')}-events")


# --- fulfilment ---------------------------------------------------------------------------------

@fulfilment_steps.lambda_function(name="generate_awb")
def generate_awb(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(delivery_note_id=event["delivery_note_id"])
    try:
        return fulfilment.generate_awb(event["delivery_note_id"])
    except CourierUnavailable:
        raise  # the state machine retries this error name with backoff


@fulfilment_steps.lambda_function(name="awb_failed")
def awb_failed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    fulfilment.awb_failed(event["delivery_note_id"], event.get("error"))
    return {"delivery_note_id": event["delivery_note_id"]}


# --- invoicing ------------------------------------------------------------------------------------

@fulfilment_steps.lambda_function(name="issue_invoice")
def issue_invoice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(order_id=event["order_id"])
    return {"invoice_id": invoicing.issue(event["order_id"], event.get("source_id")).id}


@fulfilment_steps.lambda_function(name="render_invoice")
def render_invoice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    invoicing.render_documents(event["invoice_id"])
    return {"invoice_id": event["invoice_id"]}


@fulfilment_steps.lambda_function(name="send_invoice")
def send_invoice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    invoicing.send(event["invoice_id"])
    return {"invoice_id": event["invoice_id"]}


# --- overdue reminders -------------------------------------------------------------------------------

@fulfilment_steps.lambda_function(name="remind_overdue_page")
def remind_overdue_page(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return invoicing.remind_overdue_page(date.fromisoformat(event["today"]), event.get("cursor"))


# Invoked at 07:00 supplier time by the EventBridge Scheduler schedule in infra/template.json
# (Chalice's Rate(1 day) would fire at whatever time the rule was created, in UTC).
@fulfilment_steps.lambda_function(name="daily_overdue_reminders")
def daily_overdue_reminders(event: Any, context: Any) -> None:
    invoicing.start_reminders(supplier_today())


# --- domain events -------------------------------------------------------------------------------------

@fulfilment_steps.on_sqs_message(queue=EVENTS_QUEUE, batch_size=10)
def on_domain_event(event: SQSEvent) -> None:
    """order.accepted -> the delivery note (when automatic) and the invoice (when invoicing on acceptance)."""
    for record in event:
        message = json.loads(record.body)
        if message.get("detail-type") != "order.accepted":
            continue
        order_id = message["detail"]["order_id"]
        settings = settings_store.load()
        if settings.auto_create_delivery_note:
            fulfilment.create_delivery_note(order_id, note_id=f"dn_{order_id}")
        if settings.invoice_on == "accept":
            invoicing.start(order_id)
