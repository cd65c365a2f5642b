"""Proposals (quotes): staff offer lines at given prices; the client accepts (a Sales Order follows) or declines."""
from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.domain.errors import Conflict, ValidationFailed, referenced
from chalicelib.domain.orders import OrderStatus, Review, order_totals
from chalicelib.domain.proposals import ANSWERABLE, ProposalStatus, proposal_transition
from chalicelib.services import events, mail
from chalicelib.services.ordering import Buyer, as_line, line_map, price_lines
from chalicelib.services.pricing import supplier_today
from chalicelib.store import orders as order_store
from chalicelib.store import proposals as proposal_store
from chalicelib.store import users as user_store
from chalicelib.store.clients import get_client
from chalicelib.store.models import DeliveryAddressMap, OrderItem, ProposalItem

DEFAULT_VALIDITY_DAYS = 30


def create(actor: str, fields: dict[str, Any], *, revision_of: str | None = None) -> ProposalItem:
    """A new proposal for a client, at its prices unless a unit price is given per line; sent at once when asked."""
    client = referenced(lambda: get_client(fields["client_id"]), field="client_id", code="unknown_client")
    priced = price_lines(client, [{"sku": line["sku"], "qty": line["qty"]} for line in fields["lines"]])
    lines = [line if fields["lines"][i].get("unit_price") is None
             else replace(line, unit_price=fields["lines"][i]["unit_price"], price_source="proposal", price_list_id=None)
             for i, line in enumerate(priced)]
    valid_until = fields.get("valid_until") or supplier_today() + timedelta(days=DEFAULT_VALIDITY_DAYS)
    if valid_until < supplier_today():
        raise ValidationFailed("valid_until is in the past.", code="invalid_date", field="valid_until")
    totals = order_totals(lines)
    at = order_store.now()
    proposal = proposal_store.create(ProposalItem(
        id=f"pr_{secrets.token_hex(8)}", number="", client_id=client.id, client_name=client.name,
        status=ProposalStatus.DRAFT.value, lines=[line_map(line) for line in lines], subtotal=totals.subtotal,
        vat_total=totals.vat_total, total=totals.total, currency=client.currency, valid_until=valid_until,
        message=(fields.get("message") or "").strip() or None, created_by=actor, revision_of=revision_of,
        created_at=at, updated_at=at))
    return send(proposal.id) if fields.get("send") else proposal


def send(proposal_id: str) -> ProposalItem:
    """Send a draft: the client's contacts with the `proposals` permission get an email, and the proposal's timer
    starts (an expiry reminder REMIND_DAYS before the end of its valid-until day, then its expiry)."""
    proposal = proposal_store.get(proposal_id)
    status = proposal_transition("send", ProposalStatus(proposal.status))
    proposal = proposal_store.change(proposal, status=status.value)
    for contact in _proposal_contacts(proposal.client_id):
        mail.send("proposal_sent", contact.email, proposal=_view(proposal))
    _start_timer(proposal)
    events.announce("proposal.sent", f"{proposal.id}:{proposal.version}", quiet=True, proposal_id=proposal.id, client_id=proposal.client_id)
    return proposal


def _proposal_contacts(client_id: str) -> list[Any]:
    return [c for c in user_store.contacts_of(client_id) if c.permissions and c.permissions.proposals]


# --- expiry: a timer per proposal (statemachines/staff_order.asl.json, shared with staff-issued orders) --------

REMIND_DAYS = 3


def _start_timer(proposal: ProposalItem) -> None:
    from chalicelib.services import staff_orders  # noqa: PLC0415 - the shared offer-expiry workflow

    staff_orders.start_offer_timer(f"{proposal.id}-offer", proposal.valid_until, proposal_id=proposal.id)


def _past_validity(proposal: ProposalItem) -> bool:
    from chalicelib.services.staff_orders import expiry_moment  # noqa: PLC0415

    return order_store.now() >= expiry_moment(proposal.valid_until)


def expire(proposal: ProposalItem) -> ProposalItem:
    """Sent or opened and past its valid-until day: `expired` (once), and its author is told."""
    if ProposalStatus(proposal.status) not in ANSWERABLE:
        return proposal
    try:
        proposal = proposal_store.change(proposal, status=ProposalStatus.EXPIRED.value)
    except Conflict:
        return proposal_store.get(proposal.id)
    _tell_author(proposal, "expired")
    return proposal


def expire_step(proposal_id: str, expires_at: datetime) -> dict[str, Any]:
    """The workflow's ExpireOffer state for a proposal."""
    from chalicelib.services.staff_orders import NotYetDue  # noqa: PLC0415

    proposal = proposal_store.get(proposal_id)
    if ProposalStatus(proposal.status) in ANSWERABLE:
        if order_store.now() < expires_at:
            raise NotYetDue(f"proposal {proposal.number} expires at {expires_at.isoformat()}")
        proposal = expire(proposal)
    return {"proposal_id": proposal_id, "status": proposal.status}


def remind_step(proposal_id: str) -> dict[str, Any]:
    """The workflow's RemindBuyer state: still unanswered a few days before it expires, the buyers are reminded."""
    proposal = proposal_store.get(proposal_id)
    if ProposalStatus(proposal.status) in ANSWERABLE and not _past_validity(proposal):
        for contact in _proposal_contacts(proposal.client_id):
            mail.send("proposal_expiring", contact.email, proposal=_view(proposal))
    return {"proposal_id": proposal_id, "status": proposal.status}


def _tell_author(proposal: ProposalItem, answer: str) -> None:
    """The agent who wrote the proposal hears the client's answer (or its expiry)."""
    if "@" in (proposal.created_by or ""):
        mail.send("proposal_answered", proposal.created_by, proposal=_view(proposal), answer=answer)


def revise(proposal_id: str, actor: str, fields: dict[str, Any]) -> ProposalItem:
    """A new version of a proposal; the old one becomes `revised` and points to it."""
    old = proposal_store.get(proposal_id)
    proposal_transition("revise", ProposalStatus(old.status))
    new = create(actor, {**fields, "client_id": old.client_id}, revision_of=old.id)
    proposal_store.change(old, status=ProposalStatus.REVISED.value, actions=(ProposalItem.revised_by.set(new.id),))
    return new


def viewed(proposal: ProposalItem) -> ProposalItem:
    """The client opened it: Sent becomes Open/Viewed (once)."""
    if proposal.status != ProposalStatus.SENT.value:
        return proposal
    try:
        proposal = proposal_store.change(proposal, status=ProposalStatus.OPEN.value)
        events.announce("proposal.viewed", proposal.id, quiet=True, proposal_id=proposal.id, client_id=proposal.client_id)
        return proposal
    except Conflict:
        return proposal_store.get(proposal.id)


def expire_if_due(proposal: ProposalItem) -> ProposalItem:
    """A proposal answered after its valid-until day (before its timer fired) expires first: the answer is 409."""
    if ProposalStatus(proposal.status) in ANSWERABLE and (proposal.valid_until < supplier_today() or _past_validity(proposal)):
        proposal = expire(proposal)
    return proposal


def accept(proposal: ProposalItem, buyer: Buyer, *, client_reference: str | None = None,
           delivery_address_id: str | None = None) -> tuple[ProposalItem, OrderItem]:
    """The client accepts: a Sales Order at the proposal's prices, accepted at once (the supplier made the offer),
    with the buyer's PO number and delivery address when given; its stock is reserved and its credit counted."""
    proposal = expire_if_due(proposal)
    proposal_transition("accept", ProposalStatus(proposal.status))
    order = _order_for(proposal, buyer, client_reference=client_reference, delivery_address_id=delivery_address_id)
    proposal = proposal_store.change(proposal, status=ProposalStatus.ACCEPTED.value,
                                     actions=(ProposalItem.order_id.set(order.id),))
    _tell_author(proposal, "accepted")
    events.announce("proposal.accepted", proposal.id, quiet=True, proposal_id=proposal.id, client_id=proposal.client_id, order_id=order.id)
    return proposal, order


def decline(proposal: ProposalItem, reason: str | None) -> ProposalItem:
    proposal = expire_if_due(proposal)
    status = proposal_transition("decline", ProposalStatus(proposal.status))
    proposal = proposal_store.change(proposal, status=status.value,
                                     actions=(ProposalItem.decline_reason.set(reason),) if reason else ())
    _tell_author(proposal, "declined")
    events.announce("proposal.declined", proposal.id, quiet=True, proposal_id=proposal.id, client_id=proposal.client_id, reason=reason)
    return proposal


def _order_for(proposal: ProposalItem, buyer: Buyer, *, client_reference: str | None = None,
               delivery_address_id: str | None = None) -> OrderItem:
    """One order per proposal (its id says which), so a repeated accept makes no second one. Written as an issued
    order (`sent`), then accepted with its stock reserved and its credit counted (services/order_status.py); a
    retry finds it and finishes the acceptance."""
    from chalicelib.services import review  # noqa: PLC0415 - review imports ordering, as this module does
    from chalicelib.services.order_status import save_acceptance  # noqa: PLC0415

    order_id = f"so_{proposal.id}"
    client = get_client(proposal.client_id)
    if delivery_address_id:
        found = next((a for a in client.addresses if a.id == delivery_address_id), None)
        if found is None:
            raise ValidationFailed("That address is not one of yours.", code="unknown_address", field="delivery_address_id")
        address = found.as_dict()
    else:
        address = client.addresses[0].as_dict() if client.addresses else None
    if address is None:
        raise ValidationFailed("Your company has no delivery address; ask your agent to add one.", code="missing_field",
                               field="delivery_address")
    totals = order_totals([as_line(m) for m in proposal.lines])
    at = order_store.now()
    order = OrderItem(
        id=order_id, number="", client_id=client.id, client_name=client.name, contact_id=buyer.contact_id,
        contact_email=buyer.email, sale_agent_id=client.sale_agent_id, status=OrderStatus.SENT.value,
        review=Review.APPROVED.value, decided_by=f"proposal {proposal.number}", lines=list(proposal.lines),
        subtotal=totals.subtotal, vat_total=totals.vat_total, total=totals.total, currency=proposal.currency,
        delivery_address=DeliveryAddressMap(**address), origin="proposal",
        client_reference=(client_reference or "").strip()[:100] or proposal.number, created_at=at, updated_at=at,
    )
    try:
        order = order_store.create_numbered(order, series=f"SO-{at.year}", actor=buyer.email)
    except Conflict as exc:
        if exc.code != "document_exists":
            raise
        order = order_store.get(order_id)
    if order.status == OrderStatus.SENT.value:
        try:
            order = save_acceptance(order, strict=False, actor=buyer.email, event="client_accept",
                                    status=OrderStatus.ACCEPTED.value, note=f"Proposal {proposal.number} accepted.",
                                    condition=OrderItem.status == OrderStatus.SENT.value)
        except Conflict:
            order = order_store.get(order_id)
    review.conclude(order.id)  # announces order.accepted (fulfilment), once
    return order_store.get(order_id)


def _view(p: ProposalItem) -> dict[str, Any]:
    return {"id": p.id, "number": p.number, "client_name": p.client_name, "total": str(p.total), "currency": p.currency,
            "valid_until": p.valid_until.isoformat(), "message": p.message, "decline_reason": p.decline_reason}


def parse_valid_until(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed("valid_until must be a date like 2026-12-31.", code="invalid_date", field="valid_until") from exc


def unit_prices(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**line, "unit_price": Decimal(line["unit_price"]) if line.get("unit_price") else None} for line in lines]


def draft_from_cart(buyer: Buyer, lines: list[dict[str, Any]], message: str | None) -> ProposalItem:
    """A buyer's request for a quote: a draft proposal of their cart's lines at their prices today, for their agent
    (or the admins, when the client has none) to adjust and send; the agent is emailed."""
    client = get_client(buyer.client_id)
    note = f"Quote requested by {buyer.email} from the portal cart." + (f"\n{message}" if message else "")
    proposal = create(buyer.email, {"client_id": client.id, "lines": lines, "message": note})
    agent = user_store.find_user(client.sale_agent_id) if client.sale_agent_id else None
    staff = [agent] if agent is not None else user_store.staff_with_roles(("admin",))
    for person in staff:
        mail.send("quote_requested", person.email, proposal=_view(proposal), requested_by=buyer.email,
                  request_message=message, lines=[{"sku": m.sku, "name": m.name, "qty": m.qty} for m in proposal.lines])
    return proposal
