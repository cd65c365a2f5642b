"""Workflow automation's Lambda steps: matching bus events to rules (called by the events-queue consumer),
the steps of automation_run.asl.json, and the timer a delayed or date-relative run is scheduled on."""
from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.services import automation, automation_actions
from chalicelib.steps import fresh_log_state, logger

automation_steps = Blueprint(__name__)


def match_records(records: list[Any]) -> list[dict[str, str]]:
    """The events queue's messages matched against the enabled rules, each on its own: one that fails is
    reported back (ReportBatchItemFailures) and the others stand; matching a redelivered event twice records
    and starts nothing new (runs are conditional writes)."""
    failures = []
    for record in records:
        with fresh_log_state():
            try:
                automation.handle_events([json.loads(record.body)])
            except Exception:  # noqa: BLE001 - reported per message; SQS redelivers it
                logger.exception("could not match the event against the automation rules")
                failures.append({"itemIdentifier": record.to_dict()["messageId"]})
    return failures


@automation_steps.lambda_function(name="automation_plan")
def automation_plan(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with fresh_log_state(event["run_id"]):
        return automation_actions.plan(event["run_id"])


@automation_steps.lambda_function(name="automation_action")
def automation_action(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with fresh_log_state(event["run_id"]):
        return automation_actions.run_action(event["run_id"], int(event["index"]))


@automation_steps.lambda_function(name="automation_finish")
def automation_finish(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with fresh_log_state(event["run_id"]):
        return automation_actions.finish(event["run_id"], event.get("outcomes") or [])


@automation_steps.lambda_function(name="automation_timer")
def automation_timer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge Scheduler's one-time schedule of a delayed or date-relative run."""
    with fresh_log_state(event.get("run_id")):
        return {"fired": automation.fire_timer(event["run_id"])}
