"""The company's own approval of orders above a contact's spending limit: its queue and its decisions.

An order waiting for its company's approver carries `gsi3pk = CLIENT#<id>#APPROVALS` (removed with the decision),
so the approver's queue is one Query. Approving writes, in one transaction, the order's new status, its history
line (who approved) and the `ORDER#<id> / RELEASED` marker; the marker's INSERT on the table stream is what starts
the supplier's review (services/table_changes.py), so a lost answer or a retry never starts it twice or not at all.
"""
from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Conflict
from chalicelib.domain.orders import OrderStatus
from chalicelib.store.db import WriteOutcomeUnknown, committed, connection, failed_conditions, one_page
from chalicelib.store.models import MarkerItem, OrderItem
from chalicelib.store.orders import ORDER_SK, _history, get, now, order_pk, status_pk

RELEASED_SK = "RELEASED"


def queue_pk(client_id: str) -> str:
    return f"CLIENT#{client_id}#APPROVALS"


def hold(order: OrderItem) -> None:
    """Mark a new (not yet stored) order as waiting for its company's approver."""
    order.status = OrderStatus.AWAITING_APPROVAL.value
    order.approval = "pending"
    order.gsi3pk, order.gsi3sk = queue_pk(order.client_id), f"{order.created_at.isoformat()}#{order.id}"


def waiting(client_id: str, *, limit: int, after: str | None) -> tuple[list[OrderItem], str | None]:
    """The company's orders waiting for its approver, oldest first."""
    condition = OrderItem.gsi3sk > after if after else None
    return one_page(OrderItem.awaiting_approval.query(queue_pk(client_id), range_key_condition=condition,
                                                      page_size=limit + 1), limit, "gsi3sk")


def decide(order: OrderItem, *, approved: bool, actor_id: str, actor_name: str, status_after: str,
           reason: str | None) -> OrderItem:
    """Record the approver's decision once: the order leaves the queue with its new status and a history line
    naming the approver; an approval also writes the RELEASED marker that starts the supplier's review.
    409 when the order is no longer waiting (decided meanwhile)."""
    at: datetime = now()
    decision = "approved" if approved else "rejected"
    actions = [OrderItem.status.set(status_after), OrderItem.gsi2pk.set(status_pk(status_after)),
               OrderItem.approval.set(decision), OrderItem.approval_by.set(actor_name), OrderItem.approval_at.set(at),
               OrderItem.gsi3pk.remove(), OrderItem.gsi3sk.remove(), OrderItem.updated_at.set(at)]
    if reason:
        actions.append(OrderItem.approval_reason.set(reason))
    note = f"{'Approved' if approved else 'Rejected'} by {actor_name} for the company" + (f": {reason}" if reason else "")
    line = _history(order, actor_name, f"company_{decision}", note, at, status_after)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(order, actions=actions, condition=OrderItem.status == OrderStatus.AWAITING_APPROVAL.value)
            tx.save(line)
            if approved:
                tx.save(MarkerItem(order_pk(order.id), RELEASED_SK, ref=actor_id),
                        condition=MarkerItem.pk.does_not_exist())
    except WriteOutcomeUnknown:
        if not committed(line):
            raise
    except TransactWriteError as exc:
        if any(failed_conditions(exc)):
            raise Conflict("This order is not waiting for approval any more; reload the page.",
                           code="order_state_conflict") from exc
        raise
    return get(order.id)


def released_order_id(pk: str, sk: str) -> str | None:
    """The order a RELEASED marker's key names (None for any other key)."""
    if pk.startswith("ORDER#") and sk == RELEASED_SK:
        return pk.removeprefix("ORDER#")
    return None


__all__ = ["ORDER_SK", "decide", "hold", "queue_pk", "released_order_id", "waiting"]
