"""Proposals (quotes): staff offer lines at given prices; the client accepts (a Sales Order follows) or declines."""
from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.domain.errors import Conflict, ValidationFailed, referenced
from chalicelib.domain.orders import OrderStatus, Review, order_totals
from chalicelib.domain.proposals import ProposalStatus, proposal_transition
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
    """Send a draft: the client's contacts with the `proposals` permission get an email."""
    proposal = proposal_store.get(proposal_id)
    status = proposal_transition("send", ProposalStatus(proposal.status))
    proposal = proposal_store.change(proposal, status=status.value)
    for contact in user_store.contacts_of(proposal.client_id):
        if contact.permissions and contact.permissions.proposals:
            mail.send("proposal_sent", contact.email, proposal=_view(proposal))
    events.announce("proposal.sent", f"{proposal.id}:{proposal.version}", quiet=True, proposal_id=proposal.id, client_id=proposal.client_id)
    return proposal


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


def accept(proposal: ProposalItem, buyer: Buyer) -> tuple[ProposalItem, OrderItem]:
    """The client accepts: a Sales Order at the proposal's prices, already accepted (the supplier made the offer)."""
    proposal_transition("accept", ProposalStatus(proposal.status))
    if proposal.valid_until < supplier_today():
        raise Conflict(f"Proposal {proposal.number} expired on {proposal.valid_until}.", code="proposal_expired")
    order = _order_for(proposal, buyer)
    proposal = proposal_store.change(proposal, status=ProposalStatus.ACCEPTED.value,
                                     actions=(ProposalItem.order_id.set(order.id),))
    events.announce("proposal.accepted", proposal.id, quiet=True, proposal_id=proposal.id, client_id=proposal.client_id, order_id=order.id)
    return proposal, order


def decline(proposal: ProposalItem, reason: str | None) -> ProposalItem:
    status = proposal_transition("decline", ProposalStatus(proposal.status))
    proposal = proposal_store.change(proposal, status=status.value, actions=(ProposalItem.decline_reason.set(reason),) if reason else ())
    events.announce("proposal.declined", proposal.id, quiet=True, proposal_id=proposal.id, client_id=proposal.client_id, reason=reason)
    return proposal


def _order_for(proposal: ProposalItem, buyer: Buyer) -> OrderItem:
    """One order per proposal (its id says which), so a repeated accept makes no second one."""
    order_id = f"so_{proposal.id}"
    client = get_client(proposal.client_id)
    address = client.addresses[0].as_dict() if client.addresses else None
    if address is None:
        raise ValidationFailed("Your company has no delivery address; ask your agent to add one.", code="missing_field",
                               field="delivery_address")
    totals = order_totals([as_line(m) for m in proposal.lines])
    at = order_store.now()
    order = OrderItem(
        id=order_id, number="", client_id=client.id, client_name=client.name, contact_id=buyer.contact_id,
        contact_email=buyer.email, sale_agent_id=client.sale_agent_id, status=OrderStatus.ACCEPTED.value,
        review=Review.APPROVED.value, decided_by=f"proposal {proposal.number}", lines=list(proposal.lines),
        subtotal=totals.subtotal, vat_total=totals.vat_total, total=totals.total, currency=proposal.currency,
        delivery_address=DeliveryAddressMap(**address), client_reference=proposal.number, created_at=at, updated_at=at,
    )
    try:
        return order_store.create_numbered(order, series=f"SO-{at.year}", actor=buyer.email)
    except Conflict as exc:
        if exc.code != "document_exists":
            raise
        return order_store.get(order_id)


def _view(p: ProposalItem) -> dict[str, Any]:
    return {"id": p.id, "number": p.number, "client_name": p.client_name, "total": str(p.total), "currency": p.currency,
            "valid_until": p.valid_until.isoformat(), "message": p.message}


def parse_valid_until(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed("valid_until must be a date like 2026-12-31.", code="invalid_date", field="valid_until") from exc


def unit_prices(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**line, "unit_price": Decimal(line["unit_price"]) if line.get("unit_price") else None} for line in lines]
