"""Delayed and date-relative automation runs: a one-time EventBridge Scheduler schedule per run on AWS; the
local stack's timer (infra/local/timers.py) reads the pending timer items instead (moto runs no schedules).

The timer item in the table is the truth either way: the firing takes it with a conditional write, so a
schedule that fires twice, or a local timer racing a schedule, runs the rule once.
"""
from __future__ import annotations

import json
import os
from datetime import datetime

from botocore.exceptions import ClientError

from chalicelib.aws import client
from chalicelib.config import stage, LOCAL_STAGE
from chalicelib.domain.automation import aws_name as _aws_name


def aws_name(run_id: str, limit: int, prefix: str) -> str:
    return prefix + _aws_name(run_id, limit)


def schedule(run_id: str, due_at: datetime) -> None:
    """Ask for `automation_timer` to be invoked with {run_id} at `due_at` (UTC)."""
    if stage() == LOCAL_STAGE:
        return  # the local timer polls the pending timers
    try:
        client("scheduler").create_schedule(
            Name=aws_name(run_id, 64 - len(f"b2b-{stage()}-automation-"), prefix=f"b2b-{stage()}-automation-"),
            GroupName=os.environ.get("AUTOMATION_SCHEDULE_GROUP", "default"),
            ScheduleExpression=f"at({due_at.strftime('%Y-%m-%dT%H:%M:%S')})", ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"}, ActionAfterCompletion="DELETE",
            Target={"Arn": os.environ["AUTOMATION_TIMER_FUNCTION_ARN"], "RoleArn": os.environ["AUTOMATION_SCHEDULER_ROLE_ARN"],
                    "Input": json.dumps({"run_id": run_id})},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConflictException":  # scheduled already (a redelivered event)
            raise
