"""The company's own approval of orders above a contact's spending limit (buyer-side approvals).

An order above its contact's limit is stored `awaiting_approval` and its review does not start
(services/table_changes.py); the company's approvers are emailed once; an approval releases it to the
supplier's review (the RELEASED marker's stream INSERT starts it), a rejection declines it. The order's
history names who decided.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.services.people import Actor as Principal
from chalicelib.domain.access import needs_approval
from chalicelib.domain.errors import Conflict, Forbidden, NotFound
from chalicelib.domain.money import format_money
from chalicelib.domain.orders import OrderStatus
from chalicelib.services import mail
from chalicelib.store import approvals as approval_store
from chalicelib.store import orders as order_store
from chalicelib.store import settings as settings_store
from chalicelib.store import users as user_store
from chalicelib.store.models import OrderFlags, OrderItem, UserItem

NOTICE = "approval_requested"


def hold_if_above_limit(order: OrderItem) -> None:
    """Before a new portal order is stored: above its contact's spending limit, it waits for the company."""
    contact = user_store.find_user(order.contact_id)
    limit: Decimal | None = contact.spending_limit if contact is not None else None
    if needs_approval(order.total, limit):
        approval_store.hold(order)


def waits(order_id: str) -> bool:
    """Does this order still wait for (or was it refused by) its company? Then its review must not start."""
    try:
        order = order_store.get(order_id)
    except NotFound:
        return False  # not held here: the review's own steps deal with an order they cannot read
    return order.status == OrderStatus.AWAITING_APPROVAL.value or order.approval == "rejected"


def approvers(client_id: str) -> list[UserItem]:
    return [c for c in user_store.contacts_of(client_id)
            if c.permissions and c.permissions.approve_orders and (c.status or "active") == "active"]


def request_approval(order_id: str) -> int:
    """Email the company's approvers about a waiting order, once (claimed on the order before sending)."""
    order = order_store.get(order_id)
    if order.status != OrderStatus.AWAITING_APPROVAL.value:
        return 0
    claimed = order_store.set_flags(order_id, [OrderFlags.notified.add({NOTICE})],
                                    condition=~OrderFlags.notified.contains(NOTICE))
    if not claimed:
        return 0
    sent = 0
    for approver in approvers(order.client_id):
        if approver.id == order.contact_id:
            continue
        mail.send(NOTICE, approver.email, name=approver.name, order=_view(order))
        sent += 1
    return sent


def waiting(principal: Principal, *, limit: int, after: str | None) -> tuple[list[OrderItem], str | None]:
    return approval_store.waiting(principal.client_id or "", limit=limit, after=after)


def _waiting_order(principal: Principal, order_id: str) -> OrderItem:
    order = order_store.get_for_client(order_id, principal.client_id or "")
    if order.status != OrderStatus.AWAITING_APPROVAL.value:
        raise Conflict(f"Order {order.number} is not waiting for approval (it is {order.status.replace('_', ' ')}).",
                       code="order_state_conflict")
    if order.contact_id == principal.user_id:
        raise Forbidden("You placed this order; another approver of your company decides it.", code="own_order")
    return order


def approve(principal: Principal, order_id: str) -> OrderItem:
    """The approver's yes: the order goes on to the supplier's review, with the approver named in its history."""
    order = _waiting_order(principal, order_id)
    status_after = OrderStatus(settings_store.load().portal_order_initial_status).value
    return approval_store.decide(order, approved=True, actor_id=principal.user_id, actor_name=principal.name,
                                 status_after=status_after, reason=None)


def reject(principal: Principal, order_id: str, reason: str | None) -> OrderItem:
    """The approver's no: the order is declined and never reaches the supplier; its buyer is told why."""
    order = _waiting_order(principal, order_id)
    decided = approval_store.decide(order, approved=False, actor_id=principal.user_id, actor_name=principal.name,
                                    status_after=OrderStatus.DECLINED.value, reason=reason)
    mail.send("approval_decided", decided.contact_email, order=_view(decided), approver=principal.name, reason=reason)
    return decided


def _view(order: OrderItem) -> dict[str, Any]:
    return {"id": order.id, "number": order.number, "total": format_money(order.total), "currency": order.currency,
            "client_reference": order.client_reference, "contact_email": order.contact_email,
            "lines": [{"sku": m.sku, "name": m.name, "qty": m.qty, "line_total": format_money(m.line_total)}
                      for m in order.lines]}
