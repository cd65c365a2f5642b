"""Gapless document numbers: the counter moves in the same transaction that stores the document."""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Conflict
from chalicelib.store.db import WriteOutcomeUnknown, committed, connection, failed_conditions
from chalicelib.store.models import CounterItem

MAX_ATTEMPTS = 60


def save_numbered(document: Model, *, series: str, index: Callable[[], None] = lambda: None,
                  also_save: Sequence[Model] = (), also_update: Sequence[tuple[Model, list[Any]]] = (),
                  also_require: Sequence[tuple[type[Model], str, str, Any, Exception]] = (),
                  exists_message: str = "This document was already stored.") -> None:
    """Store `document` (which must be new) with `series`'s next number, with the other writes, atomically.

    `also_require`: (model, hash key, range key, condition, refusal) items that must hold when the document is
    stored (its order still accepted); the refusal is raised, and nothing written, when one does not.

    Unique and gapless under any number of writers: a writer whose counter value went stale reads it
    again and retries. Raises 409 `document_exists` when the document itself already exists
    (a retried workflow step: the caller reads the stored one).
    """
    counter_key = (f"COUNTER#{series}", "COUNTER")
    for attempt in range(MAX_ATTEMPTS):
        try:
            current = CounterItem.get(*counter_key, consistent_read=True).value
        except CounterItem.DoesNotExist:
            current = 0
        document.number = f"{series}-{current + 1:06d}"
        index()
        condition = CounterItem.value == current if current else CounterItem.pk.does_not_exist()
        try:
            with TransactWrite(connection=connection()) as tx:
                for model, hash_key, range_key, required, _ in also_require:
                    tx.condition_check(model, hash_key, range_key, condition=required)
                tx.save(document, condition=type(document).pk.does_not_exist())
                for item in also_save:
                    tx.save(item)
                for item, actions in also_update:
                    tx.update(item, actions=actions)
                tx.update(CounterItem(*counter_key), actions=[CounterItem.value.set(current + 1)], condition=condition)
        except WriteOutcomeUnknown:
            if committed(document):  # the document exists only if the whole transaction committed
                return
            raise
        except TransactWriteError as exc:
            # PynamoDB's order: condition checks, puts (the document first), then updates (the counter last)
            failed = failed_conditions(exc)
            for (*_, refusal), did_fail in zip(also_require, failed):
                if did_fail:
                    raise refusal from exc
            if failed and failed[len(also_require)]:
                raise Conflict(exists_message, code="document_exists") from exc
            if (failed and failed[-1]) or exc.cause_response_code == "TransactionConflictException":
                time.sleep(random.uniform(0.002, 0.02) * min(attempt + 1, 10))
                continue
            raise
        return
    raise Conflict("Too many documents at once; please retry.", code="busy")
