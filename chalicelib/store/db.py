"""Shared DynamoDB plumbing for the repositories."""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from itertools import islice
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.connection.base import MetaTable
from pynamodb.exceptions import TransactWriteError

from chalicelib.config import aws_region, table_name

T = TypeVar("T")


@lru_cache(maxsize=1)
def connection() -> Connection:
    """One low-level connection (one botocore session and client) per process, shared by every model
    and by transactions: a cold Lambda creates one DynamoDB client, not one per model."""
    shared = Connection(region=aws_region())
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
    if exc.cause_response_code != "TransactionCanceledException":
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
