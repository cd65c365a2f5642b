"""Sales Orders issued by the sales team: the agent writes the order for the client (status `sent`), the client
accepts it with one click (it then enters fulfilment like any accepted order) or declines it; after its
valid-until day the staff-order workflow's timer expires it (statemachines/staff_order.asl.json)."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.config import settings
from chalicelib.domain.errors import Conflict, ValidationFailed, referenced
from chalicelib.domain.money import format_money
from chalicelib.domain.orders import OrderStatus, Review, offer_transition, order_totals
from chalicelib.services import mail, review, workflows
from chalicelib.services.order_status import save_acceptance
from chalicelib.services.ordering import Buyer, _delivery_address, line_map, price_lines
from chalicelib.services.pricing import supplier_today
from chalicelib.store import orders as order_store
from chalicelib.store import users as user_store
from chalicelib.store.clients import get_client
from chalicelib.store.models import OrderItem, UserItem
from chalicelib.urls import portal_link

DEFAULT_VALIDITY_DAYS = 14
MACHINE_ENV = "STAFF_ORDER_STATE_MACHINE_ARN"


def keyed_id(actor_id: str, key: str) -> str:
    """The order an Idempotency-Key issues: every attempt writes the same id, conditional on its absence."""
    return f"so_{hashlib.sha256(f'staff:{actor_id}:{key}'.encode()).hexdigest()[:16]}"


def _ordering_contact(client_id: str) -> UserItem:
    contacts = [c for c in user_store.contacts_of(client_id) if c.permissions and c.permissions.place_orders]
    if not contacts:
        raise ValidationFailed("This client has no portal contact who may place orders; add one first.",
                               code="no_ordering_contact", field="client_id")
    return contacts[0]


def create(actor_id: str, actor_email: str, may_override: bool, body: dict[str, Any], key: str | None,
           only_agent: str | None = None) -> tuple[OrderItem, bool]:
    """Issue a Sales Order for a client: lines at its prices unless overridden (a reviewer's right, recorded),
    status `sent`, the client's ordering contacts emailed, the expiry timer started. (order, created).
    `only_agent`: an agent issues orders for its own clients only."""
    client = referenced(lambda: get_client(body["client_id"]), field="client_id", code="unknown_client")
    if only_agent and client.sale_agent_id != only_agent:
        raise ValidationFailed("This client is not one of yours.", code="unknown_client", field="client_id")
    order_id = keyed_id(actor_id, key) if key else None
    if order_id:
        try:
            existing = order_store.get(order_id)
        except Exception:  # noqa: BLE001 - NotFound: a new key
            existing = None
        if existing is not None:
            if existing.client_id != client.id or len(existing.lines) != len(body["lines"]):
                raise Conflict("This Idempotency-Key was used for a different order.", code="idempotency_key_reused")
            return existing, False
    priced = price_lines(client, [{"sku": line["sku"], "qty": line["qty"]} for line in body["lines"]])
    overrides = []
    lines = []
    for i, line in enumerate(priced):
        given = body["lines"][i].get("unit_price")
        if given is None:
            lines.append(line)
            continue
        if not may_override:
            raise ValidationFailed("Only a reviewer may set a price by hand.", code="price_override_not_allowed",
                                   field=f"lines[{i}].unit_price")
        price = Decimal(given)
        overrides.append(f"{line.sku}: {format_money(line.unit_price)} -> {format_money(price)}")
        lines.append(replace(line, unit_price=price, price_source="agent", price_list_id=None))
    valid_until = body.get("valid_until") or supplier_today() + timedelta(days=DEFAULT_VALIDITY_DAYS)
    if valid_until < supplier_today():
        raise ValidationFailed("valid_until is in the past.", code="invalid_date", field="valid_until")
    contact = _ordering_contact(client.id)
    totals = order_totals(lines)
    at = order_store.now()
    order = OrderItem(
        id=order_id or f"so_{hashlib.sha256(at.isoformat().encode() + actor_id.encode()).hexdigest()[:16]}",
        number="", client_id=client.id, client_name=client.name, contact_id=contact.id, contact_email=contact.email,
        sale_agent_id=client.sale_agent_id or actor_id, status=OrderStatus.SENT.value, review=Review.APPROVED.value,
        decided_by=actor_email, origin="staff", valid_until=valid_until,
        lines=[line_map(line) for line in lines], subtotal=totals.subtotal, vat_total=totals.vat_total,
        total=totals.total, currency=client.currency, delivery_address=_delivery_address(client, body),
        client_reference=(body.get("client_reference") or "").strip() or None,
        notes=(body.get("notes") or "").strip() or None, created_at=at, updated_at=at,
    )
    try:
        order = order_store.create_numbered(order, series=f"SO-{at.year}", actor=actor_email)
    except Conflict as exc:
        if exc.code != "document_exists":
            raise
        return order_store.get(order.id), False
    if overrides:
        order = order_store.save_change(order, actor=actor_email, event="price_override",
                                        note="Price set by hand: " + "; ".join(overrides))
    start_timer(order)
    for person in _ordering_contacts(client.id):
        mail.send("staff_order_sent", person.email, order=offer_view(order))
    return order, True


def _ordering_contacts(client_id: str) -> list[UserItem]:
    return [c for c in user_store.contacts_of(client_id) if c.permissions and c.permissions.place_orders]


def expiry_moment(valid_until: date) -> datetime:
    """The order is valid through its valid-until day in the supplier's time zone: it expires at the next midnight."""
    zone = ZoneInfo(settings().supplier_timezone)
    return datetime.combine(valid_until + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)


REMIND_DAYS = 3  # the buyer is reminded this long before an offer (order or proposal) expires
MOMENT = "%Y-%m-%dT%H:%M:%SZ"


def start_offer_timer(name: str, valid_until: date, *, order_id: str | None = None, proposal_id: str | None = None) -> None:
    """The offer-expiry workflow (statemachines/staff_order.asl.json) of a staff-issued order or a proposal: wait
    until the reminder moment (a reminder to the buyer if still unanswered), then until the expiry moment (expired if
    still unanswered). Named after the offer: a repeated start starts nothing new."""
    moment = expiry_moment(valid_until)
    remind = max(moment - timedelta(days=REMIND_DAYS), order_store.now())
    workflows.start(MACHINE_ENV, name, {"order_id": order_id, "proposal_id": proposal_id,
                                        "remind_at": remind.strftime(MOMENT), "expires_at": moment.strftime(MOMENT)})


def start_timer(order: OrderItem) -> None:
    start_offer_timer(f"{order.id}-offer", order.valid_until, order_id=order.id)


def _moment(raw: str) -> datetime:
    return datetime.strptime(raw, MOMENT).replace(tzinfo=timezone.utc)


def remind_step(event: dict[str, Any]) -> dict[str, Any]:
    """The workflow's RemindBuyer state: an offer still unanswered a few days before it expires is recalled."""
    if event.get("proposal_id"):
        from chalicelib.services import proposals  # noqa: PLC0415 - proposals import this module

        return proposals.remind_step(event["proposal_id"])
    order = order_store.get(event["order_id"])
    if order.status == OrderStatus.SENT.value and order_store.now() < _moment(event["expires_at"]):
        for person in _ordering_contacts(order.client_id):
            mail.send("staff_order_expiring", person.email, order=offer_view(order))
    return {"order_id": order.id, "status": order.status}


class NotYetDue(Exception):
    """The timer woke the step before the offer's moment (a clock a second off): the state's Retry comes back."""


def expire_step(event: dict[str, Any]) -> dict[str, Any]:
    """The workflow's ExpireOffer state: a still-unanswered offer past its moment becomes `expired` (once)."""
    moment = _moment(event["expires_at"])
    if event.get("proposal_id"):
        from chalicelib.services import proposals  # noqa: PLC0415

        return proposals.expire_step(event["proposal_id"], moment)
    order = order_store.get(event["order_id"])
    if order.status != OrderStatus.SENT.value:
        return {"order_id": order.id, "status": order.status}
    if order_store.now() < moment:
        raise NotYetDue(f"order {order.number} expires at {event['expires_at']}")
    return {"order_id": order.id, "status": _expire(order).status}


def _expire(order: OrderItem) -> OrderItem:
    status = offer_transition("expire", OrderStatus(order.status))
    try:
        order = order_store.save_change(order, actor="system", event="expire", status=status.value,
                                        note=f"Not accepted by {order.valid_until.isoformat()}.",
                                        condition=OrderItem.status == OrderStatus.SENT.value)
    except Conflict:
        return order_store.get(order.id)
    _notify_agent(order, "expired")
    return order


def _past_validity(order: OrderItem) -> bool:
    return order.valid_until is not None and order_store.now() >= expiry_moment(order.valid_until)


def _issued(order: OrderItem) -> None:
    """Only an order the supplier issued waits for the client's answer; a portal order that is `sent` (the setting
    `portal_order_initial_status`) is the supplier's to review."""
    if order.review != Review.APPROVED.value or order.origin != "staff":
        raise Conflict("This order is waiting for our review, not for your answer.", code="order_state_conflict")


def accept(order: OrderItem, buyer: Buyer, client_reference: str | None = None,
           delivery_address_id: str | None = None) -> OrderItem:
    """The client accepts a sent order: its stock is reserved (all of it, or 409 `insufficient_stock`) and its
    total joins the client's credit exposure, then it goes on like any accepted order (fulfilment, invoice)."""
    _issued(order)
    if order.status == OrderStatus.SENT.value and _past_validity(order):
        _expire(order)  # the timer is about to; the answer is the same
        order = order_store.get(order.id)
    offer_transition("accept", OrderStatus(order.status))
    actions: list[Any] = [OrderItem.contact_id.set(buyer.contact_id), OrderItem.contact_email.set(buyer.email)]
    if client_reference:
        actions.append(OrderItem.client_reference.set(client_reference.strip()))
    if delivery_address_id:
        actions.append(OrderItem.delivery_address.set(_delivery_address(get_client(order.client_id),
                                                                         {"delivery_address_id": delivery_address_id})))
    order = save_acceptance(order, strict=True, actor=buyer.email, event="client_accept", status=OrderStatus.ACCEPTED.value,
                            note="The client accepted the order.", actions=tuple(actions),
                            condition=OrderItem.status == OrderStatus.SENT.value)
    review.conclude(order.id)  # announces order.accepted (fulfilment starts) and emails the client, once
    _notify_agent(order, "accepted")
    return order_store.get(order.id)


def decline(order: OrderItem, buyer: Buyer, reason: str | None) -> OrderItem:
    _issued(order)
    if order.status == OrderStatus.SENT.value and _past_validity(order):
        _expire(order)
        order = order_store.get(order.id)
    status = offer_transition("decline", OrderStatus(order.status))
    actions = (OrderItem.decision_reason.set(reason.strip()),) if reason and reason.strip() else ()
    order = order_store.save_change(order, actor=buyer.email, event="client_decline", status=status.value,
                                    note=reason or "The client declined the order.", actions=actions,
                                    condition=OrderItem.status == OrderStatus.SENT.value)
    _notify_agent(order, "declined")
    return order


def _notify_agent(order: OrderItem, answer: str) -> None:
    agent = user_store.find_user(order.sale_agent_id) if order.sale_agent_id else None
    if agent is None:
        return
    key = f"agent:{answer}"
    if key in (order_store.get(order.id).notified or set()):
        return
    mail.send("staff_order_answered", agent.email, order=offer_view(order), answer=answer, agent=agent.name)
    from chalicelib.store.models import OrderFlags  # noqa: PLC0415

    order_store.set_flags(order.id, [OrderFlags.notified.add({key})])


def offer_view(order: OrderItem) -> dict[str, Any]:
    return {"id": order.id, "number": order.number, "client_name": order.client_name, "status": order.status,
            "total": format_money(order.total), "currency": order.currency,
            "valid_until": order.valid_until.isoformat() if order.valid_until else None,
            "reason": order.decision_reason, "portal_url": portal_link(f"/orders/{order.id}"),
            "lines": [{"sku": m.sku, "name": m.name, "qty": m.qty, "unit_price": format_money(m.unit_price),
                       "line_total": format_money(m.line_total)} for m in order.lines]}
