"""Sales Orders, their history and staff tasks; order numbers from a gapless counter."""
from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.store.db import connection, failed_conditions
from chalicelib.store.models import CounterItem, OrderFlags, OrderHistoryItem, OrderItem, TaskItem

ORDER_SK = "ORDER"
COUNTER_SK = "COUNTER"
MAX_NUMBER_ATTEMPTS = 60


def order_pk(order_id: str) -> str:
    return f"ORDER#{order_id}"


def client_orders_pk(client_id: str) -> str:
    return f"CLIENT#{client_id}#ORDERS"


def status_pk(status: str) -> str:
    return f"ORDERS#{status}"


def now() -> datetime:
    return datetime.now(timezone.utc)


def _index(order: OrderItem) -> None:
    created = order.created_at.isoformat()
    order.gsi1pk, order.gsi1sk = client_orders_pk(order.client_id), f"{created}#{order.id}"
    order.gsi2pk, order.gsi2sk = status_pk(order.status), f"{created}#{order.id}"


def _history(order: OrderItem, actor: str, event: str, note: str | None, at: datetime,
             status: str | None = None) -> OrderHistoryItem:
    return OrderHistoryItem(order_pk(order.id), f"HISTORY#{at.isoformat()}#{random.randrange(10**6):06d}",
                            at=at, actor=actor, event=event, status=status or order.status, note=note)


def create_numbered(order: OrderItem, series: str, actor: str) -> OrderItem:
    """Store a new order with the next number of its series, in one transaction with the counter.

    The counter moves only when the order is written, so numbers are unique and gapless
    even with many writers: a writer that lost the race reads the counter again and retries.
    """
    order.pk, order.sk = order_pk(order.id), ORDER_SK
    counter_key = (f"COUNTER#{series}", COUNTER_SK)
    for attempt in range(MAX_NUMBER_ATTEMPTS):
        try:
            current = CounterItem.get(*counter_key, consistent_read=True).value
        except CounterItem.DoesNotExist:
            current = 0
        order.number = f"{series}-{current + 1:06d}"
        _index(order)
        condition = CounterItem.value == current if current else CounterItem.pk.does_not_exist()
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.update(CounterItem(*counter_key), actions=[CounterItem.value.set(current + 1)], condition=condition)
                tx.save(order, condition=OrderItem.pk.does_not_exist())
                tx.save(_history(order, actor, "placed", None, order.created_at))
        except TransactWriteError as exc:
            failed = failed_conditions(exc)  # puts (order, history line), then the counter update
            if failed and failed[0]:
                raise Conflict("This order was already stored.", code="order_exists") from exc
            if failed and failed[2] or exc.cause_response_code == "TransactionConflictException":
                time.sleep(random.uniform(0.002, 0.02) * min(attempt + 1, 10))
                continue
            raise
        return get(order.id)
    raise Conflict("Too many orders at once; please retry.", code="busy")


def get(order_id: str) -> OrderItem:
    try:
        return OrderItem.get(order_pk(order_id), ORDER_SK, consistent_read=True)
    except OrderItem.DoesNotExist as exc:
        raise NotFound(f"No order {order_id}.", code="order_not_found") from exc


def get_for_client(order_id: str, client_id: str) -> OrderItem:
    """The order if it belongs to the client; another client's order is simply not found."""
    order = get(order_id)
    if order.client_id != client_id:
        raise NotFound(f"No order {order_id}.", code="order_not_found")
    return order


def save_change(order: OrderItem, *, actor: str, event: str, note: str | None = None, status: str | None = None,
                actions: tuple[Any, ...] = (), condition: Any = None) -> OrderItem:
    """Apply a change to the order as read (optimistic lock on its version, plus `condition`), with a history line.

    409 `stale_version` when someone changed the order in between or `condition` no longer holds.
    """
    at = now()
    all_actions = [*actions, OrderItem.updated_at.set(at)]
    if status:
        all_actions += [OrderItem.status.set(status), OrderItem.gsi2pk.set(status_pk(status))]
    line = _history(order, actor, event, note, at, status)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(order, actions=all_actions, condition=condition)
            tx.save(line)
    except TransactWriteError as exc:
        if any(failed_conditions(exc)):
            raise Conflict("The order changed meanwhile; reload it and try again.", code="stale_version") from exc
        raise
    return get(order.id)


def set_flags(order_id: str, actions: list[Any], condition: Any = None) -> bool:
    """A bookkeeping update (workflow flags) that is no edit of the order; False when `condition` did not hold."""
    try:
        OrderFlags(order_pk(order_id), ORDER_SK).update(actions=actions, condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def history(order_id: str) -> list[OrderHistoryItem]:
    return list(OrderHistoryItem.query(order_pk(order_id), OrderHistoryItem.sk.startswith("HISTORY#")))


def for_client(client_id: str, *, limit: int, after: str | None) -> tuple[list[OrderItem], str | None]:
    """A client's orders, newest first; the cursor is the last order's sort key."""
    condition = OrderItem.gsi1sk < after if after else None
    items = list(OrderItem.by_client.query(client_orders_pk(client_id), range_key_condition=condition,
                                           scan_index_forward=False, limit=limit + 1, page_size=limit + 1))
    more = len(items) > limit
    items = items[:limit]
    return items, (items[-1].gsi1sk if more and items else None)


def by_status(status: str, *, limit: int, after: str | None) -> tuple[list[OrderItem], str | None]:
    """The review queue: orders in a status, oldest first (first come, first served)."""
    condition = OrderItem.gsi2sk > after if after else None
    items = list(OrderItem.by_status.query(status_pk(status), range_key_condition=condition,
                                           limit=limit + 1, page_size=limit + 1))
    more = len(items) > limit
    items = items[:limit]
    return items, (items[-1].gsi2sk if more and items else None)


def add_task(order_id: str, kind: str, assignee_id: str, title: str, n: int = 0) -> bool:
    """Create a staff task once (retry-safe: the same kind and number for the order is written once)."""
    at = now()
    task = TaskItem(order_pk(order_id), f"TASK#{kind}#{n}", kind=kind, order_id=order_id, assignee_id=assignee_id,
                    title=title, created_at=at, gsi1pk=f"TASKS#{assignee_id}", gsi1sk=at.isoformat())
    try:
        task.save(condition=TaskItem.pk.does_not_exist())
    except Exception as exc:  # noqa: BLE001 - PutError with a failed condition: already there
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def tasks_for(assignee_id: str) -> Iterator[TaskItem]:
    return TaskItem.by_assignee.query(f"TASKS#{assignee_id}", scan_index_forward=False)


def close_tasks(order_id: str) -> None:
    for task in TaskItem.query(order_pk(order_id), TaskItem.sk.startswith("TASK#")):
        if not task.done:
            task.update(actions=[TaskItem.done.set(True)])
