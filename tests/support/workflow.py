"""Drive the review workflow in tests: deliver stream records, then wait for the real execution."""
from __future__ import annotations

import json
import time
from typing import Any, Callable

import boto3

from infra.local.pollers import Pollers


class Workflows:
    def __init__(self, stack: Any, app: Any):
        self.stack = stack
        self.pollers = Pollers(app, stack.endpoint_url, "us-east-1",
                               stream_arn=stack.resources.attrs["MainTable"]["StreamArn"])
        self.sfn = boto3.client("stepfunctions", endpoint_url=stack.endpoint_url, region_name="us-east-1")
        self.machine = stack.resources.refs["OrderReviewStateMachine"]
        self.fulfilment = stack.resources.refs["FulfilmentStateMachine"]

    def deliver(self) -> int:
        """Hand new table records to the stream handler (which starts reviews)."""
        return self.pollers.drain()

    def execution_arn(self, name: str, machine: str | None = None) -> str:
        """The execution of `machine` (the review by default) named `name` (an order or delivery note id)."""
        return (machine or self.machine).replace(":stateMachine:", ":execution:") + f":{name}"

    def status(self, name: str, machine: str | None = None) -> str:
        return self.sfn.describe_execution(executionArn=self.execution_arn(name, machine))["status"]

    def history(self, name: str, machine: str | None = None) -> list[dict[str, Any]]:
        events, token = [], None
        while True:
            kwargs = {"executionArn": self.execution_arn(name, machine), "maxResults": 1000}
            if token:
                kwargs["nextToken"] = token
            reply = self.sfn.get_execution_history(**kwargs)
            events += reply["events"]
            token = reply.get("nextToken")
            if not token:
                return events

    def entered(self, name: str, machine: str | None = None) -> list[str]:
        return [e["stateEnteredEventDetails"]["name"] for e in self.history(name, machine) if "stateEnteredEventDetails" in e]

    def output_of(self, name: str, state: str, machine: str | None = None) -> dict[str, Any]:
        """The output of the last time `state` was left (its figures, its decision)."""
        exited = [e["stateExitedEventDetails"] for e in self.history(name, machine)
                  if e.get("stateExitedEventDetails", {}).get("name") == state]
        return json.loads(exited[-1]["output"])

    def until(self, condition: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.deliver()
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    def finished(self, name: str, timeout: float = 20.0, machine: str | None = None) -> str:
        return self.until(lambda: (s := self.status(name, machine)) != "RUNNING" and s, timeout, f"execution {name} to end")
