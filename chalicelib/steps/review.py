"""Workflow steps of statemachines/order_review.asl.json: one Lambda each, named as in the ASL."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.services import review, workflows
from chalicelib.steps import workflow_step

review_steps = Blueprint(__name__)


@review_steps.lambda_function(name="run_checks")
@workflow_step
def run_checks(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return review.run_checks(event["order_id"])


@review_steps.lambda_function(name="auto_approve")
@workflow_step
def auto_approve(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return review.auto_approve(event["order_id"])


@review_steps.lambda_function(name="notify_reviewer")
@workflow_step
def notify_reviewer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    review.notify_reviewer(event["order_id"])
    return {"order_id": event["order_id"]}


@review_steps.lambda_function(name="escalate_review")
@workflow_step
def escalate_review(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"order_id": event["order_id"], "escalation": review.escalate(event["order_id"])}


@review_steps.lambda_function(name="conclude_review")
@workflow_step
def conclude_review(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return review.conclude(event["order_id"], bool(event.get("client_timed_out")))


@review_steps.lambda_function(name="alert_failure")
@workflow_step
def alert_failure(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The failure state of every workflow: a task and an email for the people who can fix it."""
    subject = event.get("delivery_note_id") or event.get("invoice_id")
    return {"alerted": workflows.alert_failure(event["workflow"], event.get("error"), event.get("order_id"), subject)}
