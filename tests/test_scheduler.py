"""The EventBridge Scheduler client deployed stages use (adapters/scheduler.py), against the embedded AWS's
Scheduler API: the schedules it leaves are what EventBridge Scheduler would run, with the target and role the
stage's environment names (infra/stage_env.py wires them on both deploy paths)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.adapters import scheduler as scheduler_module
from chalicelib.adapters.scheduler import EventBridgeScheduler, LocalScheduler, scheduler_from_env
from chalicelib.aws import client
from chalicelib.config import ConfigurationError

ROLE = "arn:aws:iam::123456789012:role/b2b-dev-scheduler"
RECURRING = "arn:aws:lambda:us-east-1:123456789012:function:b2b-portal-dev-run_recurring_order"
TIMER = "arn:aws:lambda:us-east-1:123456789012:function:b2b-portal-dev-automation_timer"


@pytest.fixture
def deployed_env(stack, monkeypatch):
    """The environment of a deployed stage (what `from-stack --write` or the one-stack template sets)."""
    monkeypatch.setenv("SCHEDULER", "eventbridge")
    monkeypatch.setenv("SCHEDULER_ROLE_ARN", ROLE)
    monkeypatch.setenv("RECURRING_TARGET_ARN", RECURRING)
    monkeypatch.setenv("AUTOMATION_TIMER_ARN", TIMER)
    monkeypatch.setattr(scheduler_module, "_is_local", lambda: False)
    scheduler_from_env.cache_clear()
    yield
    scheduler_from_env.cache_clear()


def test_recurring_timer_is_one_schedule_moved_at_each_wake_up(deployed_env):
    timer = scheduler_from_env("recurring")
    assert isinstance(timer, EventBridgeScheduler)
    scheduler = client("scheduler")
    first = datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)
    timer.put("b2b-dev-recurring-r1", first, {"client_id": "c1", "recurring_id": "r1"})
    timer.put("b2b-dev-recurring-r1", first + timedelta(days=1), {"client_id": "c1", "recurring_id": "r1"})

    schedule = scheduler.get_schedule(Name="b2b-dev-recurring-r1", GroupName="default")
    assert schedule["ScheduleExpression"] == "at(2026-12-02T06:00:00)"
    assert schedule["Target"]["Arn"] == RECURRING and schedule["Target"]["RoleArn"] == ROLE
    assert schedule["ActionAfterCompletion"] == "NONE"  # the next wake-up moves it again
    assert [s["Name"] for s in scheduler.list_schedules()["Schedules"]] == ["b2b-dev-recurring-r1"]

    timer.delete("b2b-dev-recurring-r1")
    timer.delete("b2b-dev-recurring-r1")  # gone already: fine
    assert scheduler.list_schedules()["Schedules"] == []


def test_automation_timer_targets_the_timer_function_and_deletes_itself(deployed_env):
    timer = scheduler_from_env("automation")
    due = datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc)
    timer.put("b2b-dev-automation-run1", due, {"run_id": "run1"})
    timer.put("b2b-dev-automation-run1", due, {"run_id": "run1"})  # a redelivered event: still one schedule

    schedule = client("scheduler").get_schedule(Name="b2b-dev-automation-run1", GroupName="default")
    assert schedule["Target"]["Arn"] == TIMER and schedule["Target"]["RoleArn"] == ROLE
    assert schedule["Target"]["Input"] == '{"run_id": "run1"}'
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert len(client("scheduler").list_schedules()["Schedules"]) == 1


@pytest.mark.parametrize("kind, variable", [("recurring", "RECURRING_TARGET_ARN"),
                                            ("automation", "AUTOMATION_TIMER_ARN")])
def test_a_deployed_stage_without_its_timer_target_is_a_configuration_error(deployed_env, monkeypatch, kind, variable):
    monkeypatch.delenv(variable)
    with pytest.raises(ConfigurationError, match=variable):
        scheduler_from_env(kind)


def test_the_local_stack_keeps_its_timers_in_the_table(stack):
    scheduler_from_env.cache_clear()
    assert isinstance(scheduler_from_env("recurring"), LocalScheduler)
    assert isinstance(scheduler_from_env("automation"), LocalScheduler)
    scheduler_from_env.cache_clear()
