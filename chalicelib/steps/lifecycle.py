"""Workflow steps of statemachines/staff_order.asl.json (the expiry timer of staff-issued orders and proposals),
the target of recurring orders' schedules, and the hourly sweep of abandoned carts."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.services import staff_orders
from chalicelib.steps import fresh_log_state, workflow_step

lifecycle_steps = Blueprint(__name__)


@lifecycle_steps.lambda_function(name="expire_staff_order")
@workflow_step
def expire_staff_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """ExpireOffer: a staff-issued order (`order_id`) or a proposal (`proposal_id`) past its valid-until day."""
    return staff_orders.expire_step(event)


@lifecycle_steps.lambda_function(name="remind_offer")
@workflow_step
def remind_offer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """RemindBuyer: the buyer is reminded of an offer that expires in a few days."""
    return staff_orders.remind_step(event)


@lifecycle_steps.lambda_function(name="run_recurring_order")
def run_recurring_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The target of a recurring order's EventBridge Scheduler schedule: do what is due now, move the schedule on."""
    from chalicelib.services import recurring  # noqa: PLC0415

    with fresh_log_state(event.get("recurring_id")):
        item = recurring.fire(event["client_id"], event["recurring_id"])
        return {"recurring_id": item.id, "next_run": item.next_run.isoformat(), "status": item.status}


@lifecycle_steps.lambda_function(name="announce_abandoned_carts")
def announce_abandoned_carts(event: Any, context: Any) -> dict[str, Any]:
    """Every hour (infra/template.json's HourlyAbandonedCartsSchedule): the carts left with lines for the settings'
    hours are announced (`cart.abandoned`)."""
    from chalicelib.services import cart  # noqa: PLC0415

    with fresh_log_state():
        return {"announced": cart.announce_abandoned()}
