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


def start_review(order_id: str, timeout_seconds: int) -> None:
    """Start the order's review. The execution is named after the order, so a redelivered event starts
    nothing new: Step Functions answers a repeated start of a running execution with that execution,
    and a finished one with ExecutionAlreadyExists."""
    try:
        client("stepfunctions").start_execution(
            stateMachineArn=os.environ["ORDER_REVIEW_STATE_MACHINE_ARN"], name=order_id,
            input=json.dumps({"order_id": order_id, "client_timed_out": False, "review": {"timeout_seconds": timeout_seconds}}),
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise


def resume(token: str | None, output: dict[str, Any]) -> bool:
    """Complete a wait; False when the wait is gone (timed out into an escalation, or finished).

    The decision is already stored on the order, and the workflow's next step reads it from there.
    """
    if not token:
        return False
    try:
        client("stepfunctions").send_task_success(taskToken=token, output=json.dumps(output))
    except ClientError as exc:
        if exc.response["Error"]["Code"] in GONE:
            logger.info("wait already gone", extra={"error": exc.response["Error"]["Code"]})
            return False
        raise
    except BotoCoreError as exc:
        # The decision is committed on the order; failing the request now would report a half-success. The wait
        # ends at its timeout anyway: the next wait's condition (review still pending) fails and the workflow
        # concludes from the order.
        logger.warning("could not resume the wait; its timeout will", extra={"error": repr(exc)})
        return False
    return True
