"""Workflow steps of statemachines/staff_order.asl.json: a staff-issued Sales Order's expiry timer."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.services import staff_orders
from chalicelib.steps import fresh_log_state, workflow_step

lifecycle_steps = Blueprint(__name__)


@lifecycle_steps.lambda_function(name="expire_staff_order")
@workflow_step
def expire_staff_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return staff_orders.expire_step(event["order_id"], event["expires_at"])


@lifecycle_steps.lambda_function(name="run_recurring_order")
def run_recurring_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The target of a recurring order's EventBridge Scheduler schedule: do what is due now, move the schedule on."""
    from chalicelib.services import recurring  # noqa: PLC0415

    with fresh_log_state(event.get("recurring_id")):
        item = recurring.fire(event["client_id"], event["recurring_id"])
        return {"recurring_id": item.id, "next_run": item.next_run.isoformat(), "status": item.status}
