"""Workflow steps and event consumers: thin Lambda handlers that parse their input and call one service.

Each handler's log context lives for one invocation only (Powertools `clear_state`), with the order id as
its correlation id, so a warm Lambda (or the one-process local stack) never logs one order's id on the next.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

from aws_lambda_powertools import Logger

logger = Logger(service="b2b-portal", child=True)


def workflow_step(handler: Callable[[dict[str, Any], Any], Any]) -> Callable[[dict[str, Any], Any], Any]:
    """A Step Functions task: fresh log state with the Lambda context and `correlation_id` = the order id."""
    @functools.wraps(handler)
    def run(event: dict[str, Any], context: Any) -> Any:
        with fresh_log_state(event.get("order_id")):
            logger.append_keys(**{k: event[k] for k in ("delivery_note_id", "invoice_id") if event.get(k)})
            return handler(event, context)
    return run


class fresh_log_state:  # noqa: N801 - used as a context manager, named like one
    """Clear the logger's keys on entry and on exit (Powertools' inject_lambda_context(clear_state=True) clears
    only on entry, and Chalice's event handlers receive no Lambda context to decorate)."""

    def __init__(self, correlation_id: str | None = None):
        self.correlation_id = correlation_id

    def __enter__(self) -> None:
        logger.clear_state()
        if self.correlation_id:
            logger.set_correlation_id(self.correlation_id)

    def __exit__(self, *exc: Any) -> None:
        logger.clear_state()
