"""The business objects an automation event refers to, read once per event as plain dicts for conditions and
templates (the names are the ones GET /admin/automation/events lists)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.domain.errors import NotFound
from chalicelib.store import automation as store
from chalicelib.store import clients as client_store
from chalicelib.store import delivery_notes as note_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store import proposals as proposal_store
from chalicelib.store import users as user_store


def _get(lookup: Any, *args: Any) -> Any:
    try:
        return lookup(*args)
    except NotFound:
        return None


def entities(detail: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    client_id = detail.get("client_id")
    order_id = detail.get("order_id")
    if detail.get("delivery_note_id"):
        note = _get(note_store.get, detail["delivery_note_id"])
        if note is not None:
            out["delivery_note"] = {"id": note.id, "number": getattr(note, "number", None), "status": note.status,
                                    "awb": getattr(note, "awb", None)}
            order_id = order_id or note.order_id
            client_id = client_id or note.client_id
    if detail.get("invoice_id"):
        invoice = _get(invoice_store.get, detail["invoice_id"])
        if invoice is not None:
            out["invoice"] = {"id": invoice.id, "number": invoice.number, "status": invoice.status, "total": invoice.total,
                              "amount_due": invoice.amount_due, "amount_paid": invoice.amount_paid,
                              "issue_date": invoice.issue_date.isoformat(), "due_date": invoice.due_date.isoformat(),
                              "currency": invoice.currency}
            order_id = order_id or invoice.order_id
            client_id = client_id or invoice.client_id
    if detail.get("proposal_id"):
        proposal = _get(proposal_store.get, detail["proposal_id"])
        if proposal is not None:
            out["proposal"] = {"id": proposal.id, "number": proposal.number, "status": proposal.status,
                               "total": proposal.total, "currency": proposal.currency,
                               "valid_until": proposal.valid_until.isoformat(),
                               "disabled": bool(getattr(proposal, "disabled", False)),
                               "max_discount_percent": detail.get("max_discount_percent")}
            client_id = client_id or proposal.client_id
    if order_id:
        order = _get(order_store.get, order_id)
        if order is not None:
            out["order"] = {"id": order.id, "number": order.number, "status": order.status, "total": order.total,
                            "subtotal": order.subtotal, "currency": order.currency, "lines_count": len(order.lines),
                            "sale_agent_id": order.sale_agent_id, "client_reference": order.client_reference,
                            "contact_email": order.contact_email}
            client_id = client_id or order.client_id
    if client_id:
        client = client_json(client_id)
        if client is not None:
            out["client"] = client
    if detail.get("sku"):
        out["product"] = {k: detail.get(k) for k in ("sku", "name", "qty_available", "min_stock")}
    return out


def client_json(client_id: str) -> dict[str, Any] | None:
    client = _get(client_store.get_client, client_id)
    if client is None:
        return None
    group = _get(client_store.get_group, client.group_id) if client.group_id else None
    agent = user_store.find_user(client.sale_agent_id) if client.sale_agent_id else None
    attributes = store.client_attributes(client_id)
    contacts = user_store.contacts_of(client_id)
    address = client.addresses[0] if client.addresses else None
    credits = invoice_store.credits_of(client_id)
    return {"id": client.id, "name": client.name, "group_id": client.group_id, "group_name": group.name if group else None,
            "country": address.country if address else None, "county": getattr(address, "county", None) if address else None,
            "credit_limit": client.credit_limit, "balance": client.balance or Decimal(0),
            "payment_term_days": client.payment_term_days, "sale_agent_id": client.sale_agent_id,
            "sale_agent_email": agent.email if agent else None, "tags": sorted(attributes.tags or ()),
            "segment": attributes.segment, "status": getattr(client, "status", None) or "active",
            "store_credit": sum((c.remaining for c in credits), Decimal(0)),
            "contact_email": contacts[0].email if contacts else None, "currency": client.currency}
