"""What happens to a Sales Order between placement and acceptance: checks, the agent's decision,
escalation, the client's answer to a modification, and the notifications that go with them.

The workflow steps (chalicelib/steps/review.py) and the decision endpoints both land here.
Every function is safe to run twice: state changes are conditional and notifications are sent once.
"""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import jwt

from chalicelib.config import settings as app_settings
from chalicelib.domain.access import discount_refusal
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.money import format_money
from chalicelib.domain.orders import Action, OrderStatus, Review, order_totals, review_checks, transition
from chalicelib.services import audit, events, mail, workflows
from chalicelib.services import settings as settings_service
from chalicelib.services.credit import credit_exposure
from chalicelib.services.order_status import save_acceptance
from chalicelib.services.ordering import as_line, line_map, price_lines
from chalicelib.services.pricing import chain_for, prices_for
from chalicelib.store import orders as order_store
from chalicelib.store import settings as settings_store
from chalicelib.store import users as user_store
from chalicelib.store.clients import get_client
from chalicelib.store.models import ChecksMap, OrderFlags, OrderItem, ProposalMap, sku_key
from chalicelib.store.products import find_products
from chalicelib.urls import portal_link

CLIENT_ANSWER_SECONDS = 7 * 24 * 3600
LINK_AUDIENCE = "order-review-link"
LINK_LIFETIME = timedelta(hours=72)


# --- workflow steps -------------------------------------------------------------------

class DecidedByPerson(Exception):
    """A person decided the order between the checks and the automatic approval (the workflow then concludes)."""


def run_checks(order_id: str) -> dict[str, Any]:
    """Credit, stock and price checks, stored on the order and returned with their figures; the outcome says
    what the workflow does next: `auto_approve` (trusted client, checks passed), `needs_review` or `decided`."""
    order = order_store.get(order_id)
    client = get_client(order.client_id)
    products = find_products(line.sku for line in order.lines)
    current = prices_for(chain_for(client), products.values(), {sku_key(line.sku): line.qty for line in order.lines})
    result = review_checks(
        total=order.total, open_balance=credit_exposure(client), credit_limit=client.credit_limit,
        available={k: p.qty_available for k, p in products.items()},
        ordered={sku_key(line.sku): line.qty for line in order.lines},
        order_prices={sku_key(line.sku): line.unit_price for line in order.lines},
        current_prices={k: p.price for k, p in current.items()},
    )
    order_store.set_flags(order_id, [OrderFlags.checks.set(ChecksMap(
        credit_ok=result.credit_ok, stock_ok=result.stock_ok, prices_ok=result.prices_ok,
        credit_available=result.credit_available, short_skus=list(result.short_skus),
        changed_price_skus=list(result.changed_price_skus), checked_at=order_store.now()))])
    settings = settings_store.load()
    trusted = bool(client.auto_approve or not settings.review_required)
    if order.review != Review.PENDING.value:
        outcome = "decided"
    elif trusted and result.passed:
        outcome = "auto_approve"
    else:
        outcome = "needs_review"
        # an auto-approved order gets one email, "accepted", instead of "received" and then "accepted"
        _notify_once(order, "placed", lambda: settings.order_confirmation_email and mail.send(
            "order_placed", order.contact_email, order=order_view(order)))
    events.announce("order.placed", order.id, order_id=order.id, client_id=order.client_id, status=order.status)
    return {"order_id": order_id, "outcome": outcome, "trusted": trusted,
            "timeout_seconds": max(1, math.ceil(settings.review_timeout_hours * 3600)),
            "checks": {"credit_ok": result.credit_ok, "credit_available": str(result.credit_available),
                       "order_total": str(order.total), "stock_ok": result.stock_ok, "short_skus": list(result.short_skus),
                       "prices_ok": result.prices_ok, "changed_price_skus": list(result.changed_price_skus)}}


def auto_approve(order_id: str) -> dict[str, Any]:
    """Approve a trusted client's order whose checks passed, then announce it (a retry finds it approved and
    only finishes the announcing). A person's decision that came first wins: DecidedByPerson."""
    order = order_store.get(order_id)
    if order.review == Review.PENDING.value:
        try:
            _apply(order, Action.AUTO_APPROVE, actor="system", note="Trusted client; credit, stock and price checks passed.")
        except Conflict:
            order = order_store.get(order_id)
            if order.review == Review.PENDING.value:
                raise
    order = order_store.get(order_id)
    if not order.auto_approved:
        raise DecidedByPerson(f"order {order.number} was decided by {order.decided_by} before the automatic approval")
    conclude(order_id)
    return {"order_id": order_id, "decided_by": "system", "status": order.status}


def notify_reviewer(order_id: str) -> None:
    """A review task for the client's agent (managers when it has none) and an email with approve/reject links."""
    order = order_store.get(order_id)
    for reviewer in _reviewers(order):
        order_store.add_task(order_id, "review", reviewer.id, f"Review order {order.number} from {order.client_name}")
        _notify_once(order, f"review:{reviewer.id}", lambda r=reviewer: mail.send(
            "review_requested", r.email, order=order_view(order), reviewer=r.name,
            approve_url=review_link(order, "approve", r.id), reject_url=review_link(order, "reject", r.id)))
    events.announce("order.review_requested", order.id, order_id=order.id, client_id=order.client_id)


def escalate(order_id: str) -> int:
    """Nobody decided in time: a task and an email for every manager; the order stays reviewable."""
    order = order_store.get(order_id)
    if order.review != Review.PENDING.value:
        return order.escalations
    n = order.escalations + 1
    for manager in user_store.staff_with_roles(("manager",)) or user_store.staff_with_roles(("admin",)):
        order_store.add_task(order_id, "escalation", manager.id, f"Overdue review: order {order.number}", n)
        _notify_once(order, f"escalation:{n}:{manager.id}", lambda m=manager: mail.send(
            "review_escalated", m.email, order=order_view(order), manager=m.name, escalation=n,
            approve_url=review_link(order, "approve", m.id), reject_url=review_link(order, "reject", m.id)))
    # Counted last: a retried step finds the same number, and its tasks and emails already there.
    order_store.set_flags(order_id, [OrderFlags.escalations.set(n)], condition=OrderFlags.escalations == order.escalations)
    return n


def conclude(order_id: str, client_timed_out: bool = False) -> dict[str, Any]:
    """After a decision (or a timeout): tell the client, announce accepted orders, or wait for the client."""
    order = order_store.get(order_id)
    if client_timed_out and order.review == Review.MODIFIED.value:
        order = _apply(order, Action.EXPIRE, actor="system", note="The client did not answer the proposed changes in time.")
    if order.review == Review.PENDING.value:
        return {"outcome": "needs_review", "timeout_seconds": _review_timeout()}
    if order.status == OrderStatus.SENT.value and order.review == Review.APPROVED.value:
        # a Sales Order the supplier issued (staff order, accepted proposal being written): nothing to review; the
        # client's answer concludes it (services/staff_orders.py, services/proposals.py)
        return {"outcome": "done", "timeout_seconds": 1}
    if order.review == Review.MODIFIED.value:
        _notify_once(order, "modified", lambda: mail.send("order_modified", order.contact_email, order=order_view(order)))
        events.announce("order.modified", f"{order.id}:{order.version}", order_id=order.id, client_id=order.client_id)
        return {"outcome": "awaiting_client", "timeout_seconds": CLIENT_ANSWER_SECONDS}
    if order.status == OrderStatus.ACCEPTED.value and not order.accepted_event_sent:
        events.publish("order.accepted", {"order_id": order.id, "number": order.number, "client_id": order.client_id,
                                          "total": str(order.total), "currency": order.currency})
        order_store.set_flags(order_id, [OrderFlags.accepted_event_sent.set(True)])
    if order.status != OrderStatus.ACCEPTED.value:  # accepted is published above, once (it starts fulfilment)
        events.announce(f"order.{order.status}", order.id, order_id=order.id, client_id=order.client_id, reason=order.decision_reason)
    _notify_once(order, order.status, lambda: mail.send(f"order_{order.status}", order.contact_email, order=order_view(order)))
    order_store.close_tasks(order_id)
    return {"outcome": "done", "timeout_seconds": 1}


# --- decisions (agents, managers, the client) --------------------------------------------------

def check_discount(role: str | None, discount_percent: Decimal | None, reason: str | None, *, field: str = "reason") -> None:
    """Any discount needs a reason the client will read; above the decider's limit (settings, per role) it is
    refused with 422 `discount_above_limit` (the agent asks a manager, who decides with a higher limit)."""
    if not discount_percent:
        return
    if not (reason or "").strip():
        raise ValidationFailed("Give a reason for the discount; the client reads it.", code="reason_required", field=field)
    refusal = discount_refusal(role or "", discount_percent, settings_service.discount_limits())
    if refusal:
        raise ValidationFailed(refusal, code="discount_above_limit", field="discount_percent")


def approve(order_id: str, actor: str, discount_percent: Decimal | None = None, *, reason: str | None = None,
            role: str | None = None) -> OrderItem:
    """Approve as `actor`; a discount needs `reason` and must be within the `role`'s limit."""
    order = order_store.get(order_id)
    check_discount(role, discount_percent, reason)
    before = {"status": order.status, "review": order.review, "total": str(order.total)}
    actions = []
    if discount_percent:
        totals = order_totals([as_line(m) for m in order.lines], discount_percent)
        actions = [OrderItem.discount_percent.set(discount_percent), OrderItem.subtotal.set(totals.subtotal),
                   OrderItem.vat_total.set(totals.vat_total), OrderItem.total.set(totals.total)]
    note = f"Approved with {discount_percent}% discount: {reason.strip()}" if discount_percent and reason else "Approved."
    order = _apply(order, Action.APPROVE, actor=actor, note=note, extra=actions,
                   total=totals.total if discount_percent else None)
    _audit(actor, "order.approved", order, before, {"discount_percent": str(discount_percent or 0), "reason": reason})
    workflows.resume(order.review_task_token, {"decision": "approved"})
    return order


def reject(order_id: str, actor: str, reason: str) -> OrderItem:
    order = order_store.get(order_id)
    before = {"status": order.status, "review": order.review, "total": str(order.total)}
    order = _apply(order, Action.REJECT, actor=actor, note=reason, extra=[OrderItem.decision_reason.set(reason)])
    _audit(actor, "order.rejected", order, before, {"reason": reason})
    workflows.resume(order.review_task_token, {"decision": "rejected"})
    return order


def modify(order_id: str, actor: str, lines: list[dict[str, Any]], message: str,
           discount_percent: Decimal = Decimal(0), *, role: str | None = None) -> OrderItem:
    """Propose changed lines, prices or a discount (within the `role`'s limit, `message` as its reason);
    the order waits for the client's answer."""
    order = order_store.get(order_id)
    transition(Action.MODIFY, OrderStatus(order.status), Review(order.review))
    check_discount(role, discount_percent, message, field="message")
    before = {"status": order.status, "review": order.review, "total": str(order.total)}
    client = get_client(order.client_id)
    priced = price_lines(client, [{"sku": line["sku"], "qty": line["qty"]} for line in lines])
    changed = [
        line if lines[i].get("unit_price") is None
        else replace(line, unit_price=lines[i]["unit_price"], price_source="agent", price_list_id=None)
        for i, line in enumerate(priced)
    ]
    totals = order_totals(changed, discount_percent)
    proposal = ProposalMap(lines=[line_map(line) for line in changed], discount_percent=discount_percent,
                           subtotal=totals.subtotal, vat_total=totals.vat_total, total=totals.total, message=message)
    order = _apply(order, Action.MODIFY, actor=actor, note=message, extra=[OrderItem.proposal.set(proposal)])
    _audit(actor, "order.modified", order, before, {"discount_percent": str(discount_percent), "message": message,
                                                    "proposed_total": str(totals.total)})
    workflows.resume(order.review_task_token, {"decision": "modified"})
    return order


def accept_changes(order: OrderItem, actor: str) -> OrderItem:
    proposal = order.proposal
    if proposal is None:
        raise Conflict("There are no proposed changes to accept.", code="order_state_conflict")
    order = _apply(order, Action.ACCEPT_CHANGES, actor=actor, note="The client accepted the proposed changes.", extra=[
        OrderItem.lines.set(proposal.lines), OrderItem.discount_percent.set(proposal.discount_percent),
        OrderItem.subtotal.set(proposal.subtotal), OrderItem.vat_total.set(proposal.vat_total),
        OrderItem.total.set(proposal.total)], total=proposal.total)
    workflows.resume(order.client_task_token, {"decision": "accepted_changes"})
    return order


def decline_changes(order: OrderItem, actor: str) -> OrderItem:
    order = _apply(order, Action.DECLINE_CHANGES, actor=actor, note="The client declined the proposed changes.")
    workflows.resume(order.client_task_token, {"decision": "declined_changes"})
    return order


# --- signed links in the reviewer's email --------------------------------------------------

def review_link(order: OrderItem, decision: str, reviewer_id: str) -> str:
    """A link that names the order and the decision, signed and expiring; it carries no task token."""
    claims = {"order_id": order.id, "decision": decision, "sub": reviewer_id, "aud": LINK_AUDIENCE,
              "exp": datetime.now(timezone.utc) + LINK_LIFETIME}
    token = jwt.encode(claims, _link_secret(), algorithm="HS256")
    return portal_link(f"/review-links/{token}")


def read_review_link(token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, _link_secret(), algorithms=["HS256"], audience=LINK_AUDIENCE,
                            options={"require": ["exp", "sub", "order_id", "decision"]})
    except jwt.ExpiredSignatureError as exc:
        raise NotFound("This link has expired; open the order in the admin pages.", code="link_expired") from exc
    except jwt.PyJWTError as exc:
        raise NotFound("This link is not valid.", code="invalid_link") from exc
    if claims["decision"] not in ("approve", "reject"):
        raise NotFound("This link is not valid.", code="invalid_link")
    return claims


def _link_secret() -> str:
    secret = app_settings().review_link_secret
    if not secret:
        raise RuntimeError("REVIEW_LINK_SECRET is not set")
    return secret


# --- helpers ---------------------------------------------------------------------------

def _apply(order: OrderItem, action: Action, *, actor: str, note: str | None = None, extra: list[Any] | None = None,
           total: Decimal | None = None) -> OrderItem:
    review, status = transition(action, OrderStatus(order.status), Review(order.review))
    actions = [OrderItem.review.set(review.value), *(extra or [])]
    if action in (Action.APPROVE, Action.REJECT, Action.MODIFY, Action.AUTO_APPROVE):
        actions.append(OrderItem.decided_by.set(actor))
    if action is Action.AUTO_APPROVE:
        actions.append(OrderItem.auto_approved.set(True))
    change = dict(actor=actor, event=action.value, status=status.value if status.value != order.status else None,
                  note=note, actions=tuple(actions), condition=OrderItem.review == order.review)
    if status is OrderStatus.ACCEPTED:  # the stock is reserved and the exposure counted with the acceptance
        return save_acceptance(order, strict=False, total=total, **change)
    return order_store.save_change(order, **change)


def _still_pending(order_id: str) -> bool:
    return order_store.get(order_id).review == Review.PENDING.value


def _review_timeout() -> int:
    return max(1, math.ceil(settings_store.load().review_timeout_hours * 3600))


def _audit(actor: str, action: str, order: OrderItem, before: dict[str, Any], extra: dict[str, Any]) -> None:
    audit.record((actor, actor), action, "order", order.id, before,
                 {"status": order.status, "review": order.review, "total": str(order.total), **extra})


def _reviewers(order: OrderItem) -> list[Any]:
    """The client's agent today (it may have changed since the order was placed); managers when it has none."""
    agent_id = get_client(order.client_id).sale_agent_id
    agent = user_store.find_user(agent_id) if agent_id else None
    if agent is not None and agent.active:
        return [agent]
    return user_store.staff_with_roles(("manager",)) or user_store.staff_with_roles(("admin",))


def _notify_once(order: OrderItem, key: str, send: Any) -> None:
    """Send a notification unless this order already had it (a retried step sends nothing twice)."""
    current = order_store.get(order.id)
    if key in (current.notified or set()):
        return
    send()
    order_store.set_flags(order.id, [OrderFlags.notified.add({key})])


def order_view(order: OrderItem) -> dict[str, Any]:
    """What emails show of an order."""
    return {"id": order.id, "number": order.number, "client_name": order.client_name, "status": order.status,
            "total": format_money(order.total), "currency": order.currency, "reason": order.decision_reason,
            "proposal_message": order.proposal.message if order.proposal else None,
            "proposal_total": format_money(order.proposal.total) if order.proposal else None,
            "lines": [{"sku": m.sku, "name": m.name, "qty": m.qty, "unit_price": format_money(m.unit_price),
                       "line_total": format_money(m.line_total)} for m in order.lines]}
