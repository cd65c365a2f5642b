"""Workflow steps of statemachines/staff_order.asl.json: a staff-issued Sales Order's expiry timer."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.services import staff_orders
from chalicelib.steps import workflow_step

lifecycle_steps = Blueprint(__name__)


@lifecycle_steps.lambda_function(name="expire_staff_order")
@workflow_step
def expire_staff_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return staff_orders.expire_step(event["order_id"], event["expires_at"])
