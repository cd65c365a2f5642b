"""Cancel an accepted Sales Order before any stock left for it (a customer called): the order becomes `cancelled`,
its reservation and credit exposure are given back, its waiting delivery notes are cancelled, and its fulfilment
workflow ends at the Cancelled state. The rule itself lives in domain/orders.check_cancellable."""
from __future__ import annotations

import logging
from typing import Any

from chalicelib.domain.errors import Conflict
from chalicelib.domain.fulfilment import DeliveryStatus, delivery_transition
from chalicelib.domain.orders import NoteState, OrderStatus, check_cancellable
from chalicelib.services import audit, events, mail, workflows
from chalicelib.services.fulfilment import OrderCancelled
from chalicelib.services.order_status import save_release
from chalicelib.services.review import order_view
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store.models import DeliveryNoteItem, OrderItem

logger = logging.getLogger(__name__)
NOT_ISSUED = ("draft", "cancelled")


def cancellable(order: OrderItem) -> bool:
    """Whether `cancel` would be allowed now (the staff order page shows its form only then)."""
    try:
        _check(order, _notes_of(order))
    except Conflict:
        return False
    return True


def cancel(order_id: str, actor: str, reason: str) -> OrderItem:
    """Cancel the accepted order as `actor` (a staff email) for `reason`, all or nothing: 409
    `order_not_cancellable` when the rule refuses it, or when it was cancelled already (a retried request releases
    nothing twice: the transaction holds only while the order is still accepted and its notes still wait)."""
    order = order_store.get(order_id)
    notes = _notes_of(order)
    _check(order, notes)
    waiting = [n for n in notes if n.status == DeliveryStatus.READY_FOR_PACKING.value]
    try:
        cancelled = save_release(
            order, actor=actor, event="cancel", status=OrderStatus.CANCELLED.value, note=reason,
            actions=(OrderItem.decision_reason.set(reason),),
            condition=OrderItem.status == OrderStatus.ACCEPTED.value,
            also_update=tuple(_cancel_note(n) for n in waiting))
    except Conflict:
        # someone was quicker (the warehouse approved a note, another cancel): say why, from what is stored now
        fresh = order_store.get(order_id)
        _check(fresh, _notes_of(fresh))
        raise
    _end_fulfilment(order, waiting, reason)
    audit.record((actor, actor), "order.cancelled", "order", order.id, {"status": order.status},
                 {"status": cancelled.status, "reason": reason,
                  "delivery_notes_cancelled": [n.number for n in waiting]})
    order_store.close_tasks(order.id)
    _tell(cancelled, actor, reason)
    return cancelled


def _notes_of(order: OrderItem) -> list[DeliveryNoteItem]:
    """The order's delivery notes, each read consistently (the claimed note too, should the index lag behind)."""
    ids = {n.id for n in dn_store.for_order(order.id)} | ({order.fulfilment_note_id} if order.fulfilment_note_id else set())
    return [note for note in (dn_store.find(i) for i in sorted(ids)) if note is not None]


def _check(order: OrderItem, notes: list[DeliveryNoteItem]) -> None:
    issued = [i.number for i in invoice_store.for_order(order.id) if i.status not in NOT_ISSUED]
    check_cancellable(OrderStatus(order.status), [NoteState(n.number, n.status, bool(n.stock_applied)) for n in notes],
                      issued)


def _cancel_note(dn: DeliveryNoteItem) -> tuple[Any, list[Any], Any]:
    """The note's part of the cancel's transaction: still waiting for approval, no stock taken (and, by its version,
    unchanged since it was read)."""
    status = delivery_transition("cancel", DeliveryStatus(dn.status)).value
    return (dn, [DeliveryNoteItem.status.set(status), DeliveryNoteItem.gsi3pk.set(f"DNS#{status}"),
                 DeliveryNoteItem.updated_at.set(order_store.now())],
            (DeliveryNoteItem.status == DeliveryStatus.READY_FOR_PACKING.value)
            & (DeliveryNoteItem.stock_applied.does_not_exist() | (DeliveryNoteItem.stock_applied == False)))  # noqa: E712


def _end_fulfilment(order: OrderItem, waiting: list[DeliveryNoteItem], reason: str) -> None:
    """Fail the fulfilment waits that are open with OrderCancelled (their Catch ends at the Cancelled state). Only
    tokens of waits still open are sent: the order's wait for a first note while none was claimed, and each
    cancelled note's wait for the warehouse's approval. A wait that starts after the cancel finds its condition
    false and the next step raises OrderCancelled itself."""
    cause = f"Order {order.number} was cancelled: {reason}"
    if order.fulfilment_note_id is None:
        workflows.fail(order.delivery_note_task_token, OrderCancelled.__name__, cause)
    for dn in waiting:
        workflows.fail(dn.approval_task_token, OrderCancelled.__name__, cause)


def _tell(order: OrderItem, actor: str, reason: str) -> None:
    """The buyer's email and the automation's event. The cancel is committed: a mail or bus failure is logged,
    never turned into an error for a change that happened (a retry would only answer 409)."""
    try:
        mail.send("order_cancelled", order.contact_email, order=order_view(order))
    except Exception:  # noqa: BLE001
        logger.exception("could not email the cancellation of %s", order.id)
    events.announce("order.cancelled", order.id, quiet=True, order_id=order.id, number=order.number,
                    client_id=order.client_id, total=str(order.total), currency=order.currency,
                    sale_agent_id=order.sale_agent_id, reason=reason, cancelled_by=actor)
