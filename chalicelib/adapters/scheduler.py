"""Timers: on AWS one EventBridge Scheduler one-time schedule (`at(...)`) per timer, run with the stage's scheduler
role (`SCHEDULER_ROLE_ARN`, infra/template.json's SchedulerRole); locally timer threads in infra/local read the
table instead (moto runs no schedules), and this module's local client only remembers the moments.

Two kinds, each with its target function:
- ``recurring``: one timer per recurring order, the moment it next needs attention (its reminder a day before a
  run, then the run); target `run_recurring_order` (`RECURRING_TARGET_ARN`). Every wake-up moves the same schedule
  to the next moment; pausing or deleting the recurring order deletes it (infra/local/scheduler.py locally).
- ``automation``: one timer per delayed or date-relative automation run; target `automation_timer`
  (`AUTOMATION_TIMER_ARN`). The schedule deletes itself after firing (infra/local/timers.py locally). The timer
  item in the table is the truth: firing takes it with a conditional write, so a schedule that fires twice runs
  the rule once.

`SCHEDULER` = eventbridge (deployed stages) or local (the default, and only, on the local stack).
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Protocol

from botocore.exceptions import ClientError

GROUP = os.environ.get("SCHEDULE_GROUP_NAME", "default")
# kind -> (the target function's environment variable, what happens to a schedule once it has fired)
KINDS = {"recurring": ("RECURRING_TARGET_ARN", "NONE"), "automation": ("AUTOMATION_TIMER_ARN", "DELETE")}


class Scheduler(Protocol):
    def put(self, name: str, at: datetime, payload: dict[str, Any]) -> None:
        """Create or move the schedule `name` to fire once at `at` (UTC) with `payload`."""

    def delete(self, name: str) -> None:
        """Remove the schedule; one that is not there is fine."""


class EventBridgeScheduler:
    """EventBridge Scheduler: one one-time schedule per name, moved by UpdateSchedule."""

    def __init__(self, client: Any, target_arn: str, role_arn: str, group: str = GROUP, after_completion: str = "NONE"):
        self.client, self.target_arn, self.role_arn, self.group = client, target_arn, role_arn, group
        self.after_completion = after_completion

    def _args(self, name: str, at: datetime, payload: dict[str, Any]) -> dict[str, Any]:
        moment = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        return {"Name": name, "GroupName": self.group, "ScheduleExpression": f"at({moment})",
                "ScheduleExpressionTimezone": "UTC", "FlexibleTimeWindow": {"Mode": "OFF"},
                "ActionAfterCompletion": self.after_completion,
                "Target": {"Arn": self.target_arn, "RoleArn": self.role_arn, "Input": json.dumps(payload),
                           "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 86400}}}

    def put(self, name: str, at: datetime, payload: dict[str, Any]) -> None:
        args = self._args(name, at, payload)
        try:
            self.client.update_schedule(**args)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            try:
                self.client.create_schedule(**args)
            except ClientError as again:  # created meanwhile by a parallel wake-up: move it
                if again.response["Error"]["Code"] != "ConflictException":
                    raise
                self.client.update_schedule(**args)

    def delete(self, name: str) -> None:
        try:
            self.client.delete_schedule(Name=name, GroupName=self.group)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise


class LocalScheduler:
    """The local stack's: the table's wake-up index is the schedule, read by infra/local/scheduler.py's timer.
    Remembers the last moment per name so tests and the local pages can show it."""

    def __init__(self) -> None:
        self.moments: dict[str, datetime] = {}

    def put(self, name: str, at: datetime, payload: dict[str, Any]) -> None:
        self.moments[name] = at

    def delete(self, name: str) -> None:
        self.moments.pop(name, None)


def _is_local() -> bool:
    from chalicelib.config import settings  # noqa: PLC0415 - no app config at import

    return settings().is_local


@lru_cache(maxsize=None)
def scheduler_from_env(kind_of_timer: str = "recurring") -> Scheduler:
    from chalicelib.aws import client  # noqa: PLC0415
    from chalicelib.config import ConfigurationError  # noqa: PLC0415 - no app config at import

    local = _is_local()
    kind = os.environ.get("SCHEDULER", "").strip().lower() or ("local" if local else "eventbridge")
    if kind == "local":
        if not local:
            raise ConfigurationError("SCHEDULER=local: the local timer exists only in the local stack.")
        return LocalScheduler()
    if kind == "eventbridge":
        target_env, after_completion = KINDS[kind_of_timer]
        target, role = os.environ.get(target_env, ""), os.environ.get("SCHEDULER_ROLE_ARN", "")
        if not target or not role:
            raise ConfigurationError(f"SCHEDULER=eventbridge needs {target_env} and SCHEDULER_ROLE_ARN")
        return EventBridgeScheduler(client("scheduler"), target, role, after_completion=after_completion)
    raise ConfigurationError(f"SCHEDULER must be 'eventbridge' (or 'local' on the local stack), not {kind!r}")
