"""Drive the review workflow in tests: deliver stream records, then wait for the real execution."""
from __future__ import annotations

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

    def deliver(self) -> int:
        """Hand new table records to the stream handler (which starts reviews)."""
        return self.pollers.drain()

    def execution_arn(self, order_id: str) -> str:
        return self.machine.replace(":stateMachine:", ":execution:") + f":{order_id}"

    def status(self, order_id: str) -> str:
        return self.sfn.describe_execution(executionArn=self.execution_arn(order_id))["status"]

    def history(self, order_id: str) -> list[dict[str, Any]]:
        events, token = [], None
        while True:
            kwargs = {"executionArn": self.execution_arn(order_id), "maxResults": 1000}
            if token:
                kwargs["nextToken"] = token
            reply = self.sfn.get_execution_history(**kwargs)
            events += reply["events"]
            token = reply.get("nextToken")
            if not token:
                return events

    def entered(self, order_id: str) -> list[str]:
        return [e["stateEnteredEventDetails"]["name"] for e in self.history(order_id) if "stateEnteredEventDetails" in e]

    def until(self, condition: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.deliver()
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    def finished(self, order_id: str, timeout: float = 20.0) -> str:
        return self.until(lambda: (s := self.status(order_id)) != "RUNNING" and s, timeout, f"review of {order_id} to end")
