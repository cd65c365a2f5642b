"""Sales Orders, their history and staff tasks; order numbers from a gapless counter."""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import islice
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.store.db import WriteOutcomeUnknown, committed, connection, failed_conditions, one_page
from chalicelib.store.models import OrderFlags, OrderHistoryItem, OrderItem, TaskItem
from chalicelib.store.numbering import save_numbered

ORDER_SK = "ORDER"


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
    """Store a new order with the next number of its series and its first history line, atomically."""
    order.pk, order.sk = order_pk(order.id), ORDER_SK
    save_numbered(order, series=series, index=lambda: _index(order),
                  also_save=[_history(order, actor, "placed", None, order.created_at)],
                  exists_message="This order was already stored.")
    return get(order.id)


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


class SideEffectConflict(Conflict):
    """A condition of one of the other items written with an order change failed (e.g. a product's stock moved)."""


def save_change(order: OrderItem, *, actor: str, event: str, note: str | None = None, status: str | None = None,
                actions: tuple[Any, ...] = (), condition: Any = None,
                also_update: tuple[tuple[Any, list[Any], Any], ...] = ()) -> OrderItem:
    """Apply a change to the order as read (optimistic lock on its version, plus `condition`), with a history line
    and `also_update` (item, actions, condition): other items changed in the same transaction (the client's credit
    exposure, product reservations).

    409 `stale_version` when someone changed the order in between or `condition` no longer holds;
    SideEffectConflict when only an `also_update` condition failed (the caller reads again and retries).
    """
    at = now()
    all_actions = [*actions, OrderItem.updated_at.set(at)]
    if status:
        all_actions += [OrderItem.status.set(status), OrderItem.gsi2pk.set(status_pk(status))]
    line = _history(order, actor, event, note, at, status)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(order, actions=all_actions, condition=condition)
            for item, item_actions, item_condition in also_update:
                tx.update(item, actions=item_actions, condition=item_condition)
            tx.save(line)
    except WriteOutcomeUnknown:
        if not committed(line):  # the history line exists only if the change committed with it
            raise
    except TransactWriteError as exc:
        failed = failed_conditions(exc)  # puts (the history line) first, then updates in call order
        if failed and not failed[1] and any(failed[2:]):
            raise SideEffectConflict("Stock or credit changed meanwhile; try again.", code="busy") from exc
        if any(failed):
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
    return one_page(OrderItem.by_client.query(client_orders_pk(client_id), range_key_condition=condition,
                                              scan_index_forward=False, page_size=limit + 1), limit, "gsi1sk")


@dataclass(frozen=True)
class OrderSearch:
    """What a buyer narrows their order list by: status, when it was placed (from inclusive, until exclusive; aware
    datetimes), and a piece of the order number or of their own reference (PO)."""

    status: str | None = None
    placed_from: datetime | None = None
    placed_until: datetime | None = None
    text: str | None = None

    @property
    def narrows(self) -> bool:
        return bool(self.status or self.text)

    def matches(self, order: OrderItem) -> bool:
        if self.status and order.status != self.status:
            return False
        needle = (self.text or "").casefold()
        return not needle or needle in order.number.casefold() or needle in (order.client_reference or "").casefold()


# A filtered page reads at most this many of the client's orders (one Query): a constant cost per page whatever the
# history's size; a page may then hold fewer matches than asked, with a link to look further back.
SEARCH_BUDGET = 200


@dataclass(frozen=True)
class OrderPage:
    orders: list[OrderItem]
    older: str | None  # cursor of the next page back in time, None at the oldest
    newer: str | None  # cursor of the page before (newer orders), None on the newest page


def search_for_client(client_id: str, search: OrderSearch, *, limit: int, after: str | None = None,
                      before: str | None = None) -> OrderPage:
    """A page of a client's orders, newest first, narrowed by `search`; `after` pages back in time from a cursor,
    `before` forward (the "newer" link). Dates bound the index key, status and text are checked on the read items."""
    low = search.placed_from.astimezone(timezone.utc).isoformat() if search.placed_from else "0"  # below any timestamp
    high = search.placed_until.astimezone(timezone.utc).isoformat() if search.placed_until else "~"
    if after:
        high = min(high, after)
    if before:
        low = max(low, before + "\x00")
    condition = OrderItem.gsi1sk.between(low, high)
    budget = SEARCH_BUDGET if search.narrows else limit + 1
    read = list(islice(OrderItem.by_client.query(client_orders_pk(client_id), range_key_condition=condition,
                                                 scan_index_forward=bool(before), page_size=budget), budget))
    read = [o for o in read if o.gsi1sk not in (after, before)]  # `between` includes its bounds
    matching = [o for o in read if search.matches(o)]
    page, more = matching[:limit], len(matching) > limit or (search.narrows and len(read) >= budget - 1)
    if before:
        page.reverse()
        return OrderPage(page, older=page[-1].gsi1sk if page else after, newer=page[0].gsi1sk if page and more else None)
    last_read = page[-1].gsi1sk if len(matching) > limit else (read[-1].gsi1sk if read else None)
    return OrderPage(page, older=last_read if more else None, newer=page[0].gsi1sk if page and after else None)


def by_status(status: str, *, limit: int, after: str | None, agent_id: str | None = None) -> tuple[list[OrderItem], str | None]:
    """The review queue: orders in a status, oldest first (first come, first served); an agent's own clients' only
    when `agent_id` is given (filtered on the order's `sale_agent_id`, which follows a client's reassignment)."""
    condition = OrderItem.gsi2sk > after if after else None
    only = OrderItem.sale_agent_id == agent_id if agent_id else None
    return one_page(OrderItem.by_status.query(status_pk(status), range_key_condition=condition, filter_condition=only,
                                              page_size=limit + 1), limit, "gsi2sk")


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


def close_task(order_id: str, kind: str, n: int = 0) -> None:
    """Mark one task done (its work was done elsewhere); a task that does not exist is left alone."""
    try:
        TaskItem(order_pk(order_id), f"TASK#{kind}#{n}").update(actions=[TaskItem.done.set(True)], condition=TaskItem.pk.exists())
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def close_tasks(order_id: str) -> None:
    for task in TaskItem.query(order_pk(order_id), TaskItem.sk.startswith("TASK#")):
        if not task.done:
            task.update(actions=[TaskItem.done.set(True)])
