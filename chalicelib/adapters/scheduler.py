"""One timer per recurring order: the moment it next needs attention (its reminder a day before a run, then the
run). On AWS an EventBridge Scheduler one-time schedule (`at(...)`) per recurring order, named after it, whose
target is the `run_recurring_order` Lambda; every wake-up moves the same schedule to the next moment, and deleting
the recurring order (or pausing it) deletes the schedule. Locally a timer thread in infra/local asks the table's
wake-up index what is due (infra/local/scheduler.py); this module's local client records nothing.

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


class Scheduler(Protocol):
    def put(self, name: str, at: datetime, payload: dict[str, Any]) -> None:
        """Create or move the schedule `name` to fire once at `at` (UTC) with `payload`."""

    def delete(self, name: str) -> None:
        """Remove the schedule; one that is not there is fine."""


class EventBridgeScheduler:
    """EventBridge Scheduler: one one-time schedule per name, moved by UpdateSchedule."""

    def __init__(self, client: Any, target_arn: str, role_arn: str, group: str = GROUP):
        self.client, self.target_arn, self.role_arn, self.group = client, target_arn, role_arn, group

    def _args(self, name: str, at: datetime, payload: dict[str, Any]) -> dict[str, Any]:
        moment = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        return {"Name": name, "GroupName": self.group, "ScheduleExpression": f"at({moment})",
                "ScheduleExpressionTimezone": "UTC", "FlexibleTimeWindow": {"Mode": "OFF"},
                "ActionAfterCompletion": "NONE",
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


@lru_cache(maxsize=1)
def scheduler_from_env() -> Scheduler:
    from chalicelib.aws import client  # noqa: PLC0415
    from chalicelib.config import ConfigurationError, settings  # noqa: PLC0415 - no app config at import

    local = settings().is_local
    kind = os.environ.get("SCHEDULER", "").strip().lower() or ("local" if local else "eventbridge")
    if kind == "local":
        if not local:
            raise ConfigurationError("SCHEDULER=local: the local timer exists only in the local stack.")
        return LocalScheduler()
    if kind == "eventbridge":
        target, role = os.environ.get("RECURRING_TARGET_ARN", ""), os.environ.get("SCHEDULER_ROLE_ARN", "")
        if not target or not role:
            raise ConfigurationError("SCHEDULER=eventbridge needs RECURRING_TARGET_ARN and SCHEDULER_ROLE_ARN")
        return EventBridgeScheduler(client("scheduler"), target, role)
    raise ConfigurationError(f"SCHEDULER must be 'eventbridge' (or 'local' on the local stack), not {kind!r}")
