"""JSON shapes of the stored entities, in one place."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.documents.models import StatementDocument
from chalicelib.domain.money import display_amount
from chalicelib.services.catalogue import CatalogueEntry
from chalicelib.services.credit import credit_available, credit_exposure
from chalicelib.domain.fulfilment import CLIENT_VIEW, DeliveryStatus, fulfilment_status
from chalicelib.domain.orders import Action, OrderStatus
from chalicelib.domain.proposals import ProposalStatus
from chalicelib.store.models import (
    ClientItem, DeliveryNoteItem, InvoiceItem, OrderHistoryItem, OrderItem, PaymentItem, PriceListItem, ProductItem,
    ProposalItem, SettingsItem, UserItem,
)


def product_json(p: ProductItem) -> dict[str, Any]:
    return {
        "sku": p.sku, "name": p.name, "category": p.category, "unit": p.unit,
        "base_price": display_amount(p.base_price), "currency": p.currency, "vat_rate": p.vat_rate,
        "min_qty": p.min_qty, "max_qty": p.max_qty, "qty_step": p.qty_step, "min_stock": p.min_stock,
        "portal_visible": p.portal_visible, "qty_on_hand": p.qty_on_hand, "qty_reserved": p.qty_reserved, "qty_available": p.qty_available,
        "description": p.description, "datasheet_url": p.datasheet_url,
    }


def catalogue_json(entry: CatalogueEntry, *, show_stock: bool) -> dict[str, Any]:
    p, price = entry.product, entry.price
    body = {
        "sku": p.sku, "name": p.name, "category": p.category, "unit": p.unit,
        "price": display_amount(price.price), "currency": price.currency, "vat_rate": p.vat_rate,
        "price_source": price.source.value, "min_qty": p.min_qty, "max_qty": p.max_qty, "qty_step": p.qty_step or 1,
    }
    if price.tiers:
        body["tiers"] = [{"min_qty": t.min_qty, "price": display_amount(t.price)} for t in price.tiers]
    if show_stock:
        body["qty_available"] = p.qty_available
    return body


def client_json(c: ClientItem, contacts: list[UserItem] | None = None) -> dict[str, Any]:
    body = {
        "id": c.id, "name": c.name, "vat_number": c.vat_number, "group_id": c.group_id,
        "payment_term_days": c.payment_term_days, "credit_limit": display_amount(c.credit_limit), "currency": c.currency,
        "sale_agent_id": c.sale_agent_id, "auto_approve": c.auto_approve, "price_list_id": c.price_list_id,
        "balance": display_amount(c.balance or Decimal(0)), "addresses": [a.as_dict() for a in c.addresses],
        # the review's credit check and the cart's headroom use the same figures (services/credit.py)
        "uninvoiced_accepted": display_amount(c.uninvoiced_accepted or Decimal(0)),
        "credit_exposure": display_amount(credit_exposure(c)), "credit_available": display_amount(credit_available(c)),
    }
    if contacts is not None:
        body["contacts"] = [contact_json(u) for u in contacts]
    return body


def contact_json(u: UserItem) -> dict[str, Any]:
    return {
        "id": u.id, "email": u.email, "first_name": u.first_name, "last_name": u.last_name,
        "client_id": u.client_id, "permissions": u.permissions.as_dict() if u.permissions else {},
    }


def price_list_json(pl: PriceListItem) -> dict[str, Any]:
    return {
        "id": pl.id, "name": pl.name, "currency": pl.currency, "client_id": pl.client_id, "group_id": pl.group_id,
        "is_default": pl.is_default, "is_promotion": pl.is_promotion,
        "valid_from": pl.valid_from, "valid_to": pl.valid_to,
    }


def _line_json(m: Any) -> dict[str, Any]:
    return {"sku": m.sku, "name": m.name, "unit": m.unit, "qty": m.qty, "unit_price": display_amount(m.unit_price),
            "vat_rate": m.vat_rate, "line_total": display_amount(m.line_total), "price_source": m.price_source,
            "vat_category": getattr(m, "vat_category", None) or ("S" if m.vat_rate else "Z"),
            "vat_exemption_reason": getattr(m, "vat_exemption_reason", None)}


def cart_json(view: Any) -> dict[str, Any]:
    """The buyer's cart (services.cart.CartView) at today's prices: lines, totals, credit headroom, warnings."""
    lines = []
    for r in view.rows:
        line = r.line
        lines.append({"sku": r.sku, "name": r.product.name if r.product else None, "qty": r.qty,
                      "unit_price": display_amount(line.unit_price) if line else None,
                      "line_total": display_amount(line.line_total) if line else None,
                      "price_source": line.price_source if line else None, "vat_rate": line.vat_rate if line else None,
                      "problem": r.problem.as_dict() if r.problem else None})
    return {"lines": lines, "subtotal": display_amount(view.totals.subtotal), "vat_total": display_amount(view.totals.vat_total),
            "total": display_amount(view.totals.total), "currency": view.client.currency,
            "credit_available": display_amount(view.credit_available), "warnings": view.warnings,
            "version": view.cart.version or 0, "ready": view.ready}


def order_json(o: OrderItem, *, staff: bool = False, history: list[OrderHistoryItem] | None = None,
               delivery_notes: list[DeliveryNoteItem] | None = None, invoices: list[InvoiceItem] | None = None) -> dict[str, Any]:
    """A Sales Order as the portal shows it; staff also see checks, the client and who decided.

    With its delivery notes and invoices (the detail view) it also says how far fulfilment got.
    """
    body: dict[str, Any] = {
        "id": o.id, "number": o.number, "status": o.status, "status_code": OrderStatus(o.status).code,
        "review": o.review, "lines": [_line_json(m) for m in o.lines],
        "discount_percent": o.discount_percent, "subtotal": display_amount(o.subtotal),
        "vat_total": display_amount(o.vat_total), "total": display_amount(o.total), "currency": o.currency,
        "client_reference": o.client_reference, "notes": o.notes,
        "delivery_address": o.delivery_address.as_dict(), "decision_reason": o.decision_reason,
        "proposal": None, "origin": o.origin or "portal",
        "fulfilment_status": (o.fulfilment_status or "not_started") if o.status == OrderStatus.ACCEPTED.value else None,
        "invoice_status": (o.invoice_status or "not_invoiced") if o.status == OrderStatus.ACCEPTED.value else None,
        "valid_until": o.valid_until.isoformat() if o.valid_until else None, "reorder_of": o.reorder_of,
        "created_at": o.created_at, "updated_at": o.updated_at, "version": o.version,
    }
    if o.approval:  # the company's own approval (spending limits): who decided, when
        body["approval"] = {"status": o.approval, "by": o.approval_by, "at": o.approval_at, "reason": o.approval_reason}
    if o.proposal and o.review == "modified":
        p = o.proposal
        body["proposal"] = {"lines": [_line_json(m) for m in p.lines], "discount_percent": p.discount_percent,
                            "subtotal": display_amount(p.subtotal), "vat_total": display_amount(p.vat_total),
                            "total": display_amount(p.total), "message": p.message}
    if staff:
        body.update({"client_id": o.client_id, "client_name": o.client_name, "contact_email": o.contact_email,
                     "sale_agent_id": o.sale_agent_id, "auto_approved": o.auto_approved, "decided_by": o.decided_by,
                     "checks": _checks_json(o)})
    if delivery_notes is not None:
        body["delivery_notes"] = [delivery_note_json(dn, staff=staff) for dn in delivery_notes]
        body["fulfilment_status"] = order_fulfilment(o, delivery_notes)
    if invoices is not None:
        body["invoices"] = [invoice_json(i, staff=staff) for i in invoices if staff or i.status != "draft"]
    if history is not None:
        body["history"] = [{"at": h.at, "actor": h.actor if staff else _actor_for_client(h), "event": h.event,
                            "status": h.status, "note": h.note} for h in history]
    return body


SUPPLIER_SIDE = "Your sales agent"
CLIENT_EVENTS = frozenset({"placed", Action.ACCEPT_CHANGES.value, Action.DECLINE_CHANGES.value})


def _actor_for_client(h: OrderHistoryItem) -> str:
    """Who did it, as the client may see it: its own contacts and `system` as stored, never a staff email."""
    return h.actor if h.event in CLIENT_EVENTS or "@" not in h.actor else SUPPLIER_SIDE


def _checks_json(o: OrderItem) -> dict[str, Any] | None:
    if not o.checks:
        return None
    c = o.checks
    return {"credit": {"ok": c.credit_ok, "available": display_amount(c.credit_available), "order_total": display_amount(o.total)},
            "stock": {"ok": c.stock_ok, "short_skus": list(c.short_skus or [])},
            "prices": {"ok": c.prices_ok, "changed_skus": list(c.changed_price_skus or [])},
            "checked_at": c.checked_at}


def settings_json(s: SettingsItem) -> dict[str, Any]:
    return {"portal_order_initial_status": s.portal_order_initial_status, "review_required": s.review_required,
            "review_timeout_hours": float(s.review_timeout_hours) if s.review_timeout_hours % 1 else int(s.review_timeout_hours),
            "auto_create_delivery_note": s.auto_create_delivery_note, "invoice_on": s.invoice_on,
            "order_confirmation_email": s.order_confirmation_email, **_back_office_settings(s)}


def _back_office_settings(s: SettingsItem) -> dict[str, Any]:
    from chalicelib.services import settings as settings_service  # views import services already (catalogue)

    view = settings_service.snapshot(s)
    return {"show_stock": view["show_stock"], "cart_abandoned_hours": view["cart_abandoned_hours"],
            "discount_limits": view["discount_limits"],
            "reminder_offsets": view["reminder_offsets"], "supplier": view["supplier"]}


def delivery_note_json(dn: DeliveryNoteItem, *, staff: bool = False) -> dict[str, Any]:
    status = DeliveryStatus(dn.status)
    body: dict[str, Any] = {
        "id": dn.id, "number": dn.number, "order_id": dn.order_id, "order_number": dn.order_number,
        "status": dn.status if staff else CLIENT_VIEW[status],
        "lines": [{"sku": m.sku, "name": m.name, "unit": m.unit, "qty": m.qty} for m in dn.lines],
        "parcels": [p.as_dict() for p in dn.parcels], "awb": dn.awb, "courier": dn.courier, "tracking_url": dn.tracking_url,
        "backorder_of": dn.backorder_of, "backorder_id": dn.backorder_id,
        "created_at": dn.created_at, "shipped_at": dn.shipped_at, "delivered_at": dn.delivered_at,
    }
    if staff:
        body.update({"client_id": dn.client_id, "awb_error": dn.awb_error, "stock_applied": dn.stock_applied,
                     "client_status": CLIENT_VIEW[status], "version": dn.version})
    return body


def invoice_json(inv: InvoiceItem, *, staff: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": inv.id, "number": inv.number, "status": inv.status, "issue_date": inv.issue_date, "due_date": inv.due_date,
        "order_id": inv.order_id, "order_number": inv.order_number, "currency": inv.currency,
        "lines": [_line_json(m) for m in inv.lines],
        "vat_breakdown": [{"rate": v.rate, "taxable": display_amount(v.taxable), "vat": display_amount(v.vat),
                           "vat_category": v.category or ("S" if v.rate else "Z"), "vat_exemption_reason": v.exemption_reason}
                          for v in inv.vat_breakdown],
        "discount_percent": inv.discount_percent, "subtotal": display_amount(inv.subtotal),
        "vat_total": display_amount(inv.vat_total), "total": display_amount(inv.total),
        "amount_paid": display_amount(inv.amount_paid), "amount_due": display_amount(inv.amount_due),
        "has_pdf": bool(inv.pdf_key), "has_e_invoice": bool(inv.xml_key),
        "amount_credited": display_amount(inv.amount_credited or Decimal(0)),
        "tax_currency": inv.tax_currency, "exchange_rate": inv.exchange_rate,
        "vat_total_tax_currency": display_amount(inv.vat_total_tax_currency) if inv.vat_total_tax_currency is not None else None,
        "delivery_date": inv.delivery_date,
        "einvoice_status": inv.einvoice_status or "not_applicable", "einvoice_messages": list(inv.einvoice_messages or []),
    }
    if staff:
        body.update({"client_id": inv.client_id, "client_name": inv.client_name, "reminders_sent": [int(x) for x in inv.reminders_sent],
                     "version": inv.version})
    return body


def payment_json(p: PaymentItem) -> dict[str, Any]:
    return {"id": p.id, "invoice_id": p.invoice_id, "amount": display_amount(p.amount), "date": p.paid_on,
            "method": p.method, "reference": p.reference}


def order_fulfilment(o: OrderItem, notes: list[DeliveryNoteItem]) -> str | None:
    if o.status != OrderStatus.ACCEPTED.value:
        return None
    on_notes: dict[str, int] = {}
    for dn in notes:
        for line in dn.lines:
            on_notes[line.sku.upper()] = on_notes.get(line.sku.upper(), 0) + line.qty
    covered = all(on_notes.get(m.sku.upper(), 0) >= m.qty for m in o.lines)
    return fulfilment_status([DeliveryStatus(dn.status) for dn in notes], covered)


def statement_json(doc: StatementDocument) -> dict[str, Any]:
    return {"client": {"name": doc.client.name}, "currency": doc.currency, "from": doc.period_from, "to": doc.period_to,
            "opening_balance": display_amount(doc.opening_balance), "closing_balance": display_amount(doc.closing_balance),
            "entries": [{"date": e.date, "kind": e.kind, "reference": e.reference, "description": e.description,
                         "debit": display_amount(e.debit), "credit": display_amount(e.credit),
                         "balance": display_amount(e.balance)} for e in doc.entries]}


def proposal_json(p: ProposalItem, *, staff: bool = False) -> dict[str, Any]:
    status = ProposalStatus(p.status)
    body: dict[str, Any] = {
        "id": p.id, "number": p.number, "status": p.status, "status_code": status.code,
        "lines": [_line_json(m) for m in p.lines], "subtotal": display_amount(p.subtotal),
        "vat_total": display_amount(p.vat_total), "total": display_amount(p.total), "currency": p.currency,
        "valid_until": p.valid_until, "message": p.message, "order_id": p.order_id, "revised_by": p.revised_by,
        "revision_of": p.revision_of, "decline_reason": p.decline_reason, "created_at": p.created_at,
    }
    if staff:
        body.update({"client_id": p.client_id, "client_name": p.client_name, "created_by": p.created_by, "version": p.version})
    return body
