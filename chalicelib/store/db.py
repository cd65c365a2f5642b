"""Shared DynamoDB plumbing for the repositories."""
from __future__ import annotations

from functools import lru_cache

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError

from chalicelib.config import aws_region


@lru_cache(maxsize=1)
def connection() -> Connection:
    """One low-level connection per process, for transactions."""
    return Connection(region=aws_region())


def failed_conditions(exc: TransactWriteError) -> list[bool]:
    """Per transaction item: did its condition fail? Empty when the transaction failed for another reason.

    PynamoDB sends a transaction's items grouped by kind, not in call order:
    condition checks, then deletes, then puts, then updates.
    """
    if exc.cause_response_code != "TransactionCanceledException":
        return []
    return [bool(reason and reason.code == "ConditionalCheckFailed") for reason in exc.cancellation_reasons]
