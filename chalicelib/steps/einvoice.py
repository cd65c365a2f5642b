"""Workflow steps of the e-Factura part of invoicing.asl.json: SubmitEInvoice, PollEInvoice, EInvoiceNeedsFinance."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.services import einvoice
from chalicelib.steps import workflow_step

einvoice_steps = Blueprint(__name__)


@einvoice_steps.lambda_function(name="submit_einvoice")
@workflow_step
def submit_einvoice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return einvoice.submit(event["invoice_id"])  # EInvoiceUnavailable: retried by the state machine


@einvoice_steps.lambda_function(name="poll_einvoice")
@workflow_step
def poll_einvoice(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return einvoice.poll(event["invoice_id"], int(event.get("polls") or 0))


@einvoice_steps.lambda_function(name="einvoice_failed")
@workflow_step
def einvoice_failed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return einvoice.give_up(event["invoice_id"], event.get("error"))
