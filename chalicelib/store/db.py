"""Shared DynamoDB plumbing for the repositories."""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from itertools import islice
from typing import Any, TypeVar

from botocore.exceptions import HTTPClientError
from pynamodb.connection import Connection
from pynamodb.connection.base import MetaTable
from pynamodb.exceptions import PynamoDBException, TransactWriteError

from chalicelib.config import aws_region, table_name

T = TypeVar("T")


READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "DescribeTable"})


class WriteOutcomeUnknown(Exception):
    """A write was sent and no answer came back (read timeout, dropped connection): it may or may not have landed.

    Raised instead of PynamoDB's wrapped error so no caller mistakes it for "not written"; the caller that can
    find out (the order placement reads its deterministic order id back) does, the others answer 503.
    """

    def __init__(self, operation: str, cause: BaseException):
        super().__init__(f"DynamoDB {operation}: no answer ({cause})")
        self.operation = operation


class ReadUnanswered(Exception):
    """A read sent without an answer (timeout, dropped connection): nothing changed; try again later."""


class _Connection(Connection):
    """PynamoDB's connection, with lost answers kept apart from DynamoDB's refusals.

    PynamoDB wraps a botocore read timeout like a refusal (PutError, TransactWriteError ...) whose cause has a
    `response` of None; callers that ask for `cause_response_code` then fail with AttributeError. Here a request
    whose answer never came raises WriteOutcomeUnknown (writes) or ReadUnanswered (reads) instead, which no
    caller mistakes for "refused"; api/http.py answers both with 503. (A connection never made is no lost
    answer: PynamoDB wraps it as usual and its cause has no `response` at all.)
    """

    def _make_api_call(self, operation_name: str, operation_kwargs: dict[str, Any]) -> dict[str, Any]:
        try:
            return super()._make_api_call(operation_name, operation_kwargs)
        except HTTPClientError as exc:  # ReadTimeoutError, ConnectionClosedError, ResponseStreamingError ...
            if operation_name in READS:
                raise ReadUnanswered(f"DynamoDB {operation_name}: no answer ({exc})") from exc
            raise WriteOutcomeUnknown(operation_name, exc) from exc


def committed(item: Any) -> bool:
    """After WriteOutcomeUnknown: is `item` (one that only that write could have created) stored now?
    A consistent read; when that read goes unanswered too, the outcome stays unknown."""
    try:
        type(item).get(item.pk, item.sk, consistent_read=True, attributes_to_get=["pk"])
    except type(item).DoesNotExist:
        return False
    except ReadUnanswered as exc:
        raise WriteOutcomeUnknown("GetItem after a lost write", exc) from exc
    return True


def error_code(exc: BaseException) -> str | None:
    """DynamoDB's error code behind a PynamoDB or botocore exception; None when there was no answer."""
    if isinstance(exc, PynamoDBException):
        exc = exc.cause if exc.cause is not None else exc
    response = getattr(exc, "response", None)
    return (response.get("Error") or {}).get("Code") if isinstance(response, dict) else None


@lru_cache(maxsize=1)
def connection() -> Connection:
    """One low-level connection (one botocore session and client) per process, shared by every model
    and by transactions: a cold Lambda creates one DynamoDB client, not one per model."""
    shared = _Connection(region=aws_region())
    shared.add_meta_table(MetaTable({
        "TableName": table_name(),
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"}
                                 for name in ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk")],
        "GlobalSecondaryIndexes": [
            {"IndexName": f"gsi{n}", "KeySchema": [{"AttributeName": f"gsi{n}pk", "KeyType": "HASH"},
                                                   {"AttributeName": f"gsi{n}sk", "KeyType": "RANGE"}]}
            for n in (1, 2, 3)
        ],
    }))
    return shared


def failed_conditions(exc: TransactWriteError) -> list[bool]:
    """Per transaction item: did its condition fail? Empty when the transaction failed for another reason.

    PynamoDB sends a transaction's items grouped by kind, not in call order:
    condition checks, then deletes, then puts, then updates.
    """
    if error_code(exc) != "TransactionCanceledException":
        return []
    return [bool(reason and reason.code == "ConditionalCheckFailed") for reason in exc.cancellation_reasons]


def one_page(results: Iterable[T], limit: int, cursor_attribute: str) -> tuple[list[T], str | None]:
    """The first `limit` results of an index query (read with limit + 1) and the cursor for the next page:
    the last item's sort key, or None when there is nothing more."""
    items = list(islice(results, limit + 1))
    more = len(items) > limit
    items = items[:limit]
    last: Any = items[-1] if more and items else None
    return items, (getattr(last, cursor_attribute) if last is not None else None)
