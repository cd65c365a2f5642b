"""Step Functions: start the review of an order, resume a wait with the decision."""
from __future__ import annotations

import json
import os
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.aws import client

logger = Logger(service="b2b-portal", child=True)
GONE = {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}


def start_review(order_id: str) -> None:
    """Start the order's review (its checks are the first state)."""
    start("ORDER_REVIEW_STATE_MACHINE_ARN", order_id, {"order_id": order_id, "client_timed_out": False})


def start(machine_env: str, name: str, payload: dict[str, Any]) -> None:
    """Start an execution named after its business object, so a redelivered event starts nothing new: Step
    Functions answers a repeated start of a running execution with that execution, and a finished one with
    ExecutionAlreadyExists. (Steps still guard every "once" with a conditional write.)"""
    try:
        client("stepfunctions").start_execution(stateMachineArn=os.environ[machine_env], name=name, input=json.dumps(payload))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise


def resume(token: str | None, output: dict[str, Any]) -> bool:
    """Complete a wait; False when the wait is gone (timed out into an escalation, or finished).

    The decision is already stored on the order, and the workflow's next step reads it from there.
    """
    # The decision is committed on the order; failing the request now would report a half-success. The wait ends
    # at its timeout anyway: the next wait's condition (review still pending) fails and the workflow concludes
    # from the order.
    return _answer(token, "send_task_success", {"output": json.dumps(output)},
                   lambda exc: logger.warning("could not resume the wait; its timeout will", extra={"error": repr(exc)}))


def fail(token: str | None, error: str, cause: str) -> bool:
    """End a wait with `error` (the state's Catch decides where the workflow goes); False when the wait is gone.

    AWS refuses a token whose wait timed out or finished (TaskTimedOut, InvalidToken); moto does not, so callers
    send only tokens of waits that can still be open."""
    # The change is committed; failing the request would report a half-success. A wait without a timeout stays
    # open: logged as an error so an operator stops that execution.
    return _answer(token, "send_task_failure", {"error": error, "cause": cause[:32768]},
                   lambda exc: logger.error("could not end the wait", extra={"error": repr(exc)}))


def _answer(token: str | None, call: str, arguments: dict[str, Any], unreachable: Any) -> bool:
    """Answer a task token with Step Functions' `call`; False when there is no token, the wait is gone, or Step
    Functions could not be reached (`unreachable` logs why: the caller's change is committed either way)."""
    if not token:
        return False
    try:
        getattr(client("stepfunctions"), call)(taskToken=token, **arguments)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in GONE:
            logger.info("wait already gone", extra={"error": exc.response["Error"]["Code"]})
            return False
        raise
    except BotoCoreError as exc:
        unreachable(exc)
        return False
    return True


# --- alerts ------------------------------------------------------------------------------------------

WORKFLOW_LABELS = {"order_review": "The review of order", "fulfilment": "The fulfilment of order",
                   "invoicing": "The invoice of order", "overdue_reminders": "Today's overdue reminders"}
ALERTED_ROLES = {"invoicing": ("finance", "admin"), "overdue_reminders": ("finance", "admin")}


def alert_failure(workflow: str, error: dict[str, Any] | None, order_id: str | None = None,
                  subject_id: str | None = None) -> int:
    """A workflow step kept failing: a task for each admin (finance for money workflows) on the order and an
    email, once per order, workflow and subject (a retried alert creates and sends nothing twice)."""
    from chalicelib.services import mail  # noqa: PLC0415 - mail renders templates; keep it out of the SFN client's imports
    from chalicelib.store import orders as order_store  # noqa: PLC0415
    from chalicelib.store import users as user_store  # noqa: PLC0415

    cause = _cause(error)
    order = order_store.get(order_id) if order_id else None
    what = f"{WORKFLOW_LABELS.get(workflow, workflow)} {order.number}" if order else WORKFLOW_LABELS.get(workflow, workflow)
    path = f"/agent/orders/{order.id}" if order else None
    logger.error("workflow failed", extra={"workflow": workflow, "order_id": order_id, "subject_id": subject_id, "cause": cause})
    roles = ALERTED_ROLES.get(workflow, ("admin", "manager"))
    alerted = 0
    for person in {u.id: u for u in user_store.staff_with_roles(roles)}.values():
        if order is not None and not order_store.add_task(order.id, f"{workflow}_failed_{subject_id or order.id}", person.id,
                                                          f"Needs attention: {what}"):
            continue  # alerted already (a retried alert)
        mail.send("workflow_failed", person.email, what=what, cause=cause, path=path)
        alerted += 1
    return alerted


def _cause(error: dict[str, Any] | None) -> str:
    """The error Step Functions caught, in one line a person can read."""
    error = error or {}
    cause = error.get("Cause") or ""
    try:
        parsed = json.loads(cause)
        cause = parsed.get("errorMessage") or cause
    except (ValueError, AttributeError):
        pass
    return f"{error.get('Error', 'error')}: {cause}"[:500] if cause else str(error.get("Error", "unknown error"))
