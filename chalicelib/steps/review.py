"""Workflow steps of statemachines/order_review.asl.json: one Lambda each, named as in the ASL."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from chalice import Blueprint

from chalicelib.services import review

review_steps = Blueprint(__name__)
logger = Logger(service="b2b-portal", child=True)


@review_steps.lambda_function(name="notify_reviewer")
def notify_reviewer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(order_id=event["order_id"])
    review.notify_reviewer(event["order_id"])
    return {"order_id": event["order_id"]}


@review_steps.lambda_function(name="escalate_review")
def escalate_review(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(order_id=event["order_id"])
    return {"order_id": event["order_id"], "escalation": review.escalate(event["order_id"])}


@review_steps.lambda_function(name="conclude_review")
def conclude_review(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(order_id=event["order_id"])
    return review.conclude(event["order_id"], bool(event.get("client_timed_out")))
