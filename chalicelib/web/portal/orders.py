"""The buyer's order pages: the list, an order, and the answers an order page offers (accept or decline an
agent's changes). The cart, checkout and "order these again" live in web/portal/cart.py."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from chalicelib.api.views import order_json
from chalicelib.api.http import decode_cursor, encode_cursor
from chalicelib.config import settings
from chalicelib.web.kit import (
    FORM, Session, WebBlueprint, buyer_session, form_fields, local_time, query_params, redirect, render_page, require_csrf,
)
from chalicelib.domain.errors import Conflict
from chalicelib.services import review, timeline
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store.clients import get_client
from chalicelib.store.models import DeliveryNoteItem, InvoiceItem, OrderHistoryItem, OrderItem

web_orders = WebBlueprint(__name__)

ORDERS_PAGE = 25

# What the history of an order says, in words.
EVENT_LABELS = {"placed": "Placed", "approve": "Approved", "auto_approve": "Approved automatically", "reject": "Declined",
                "modify": "Changes proposed", "accept_changes": "Changes accepted", "decline_changes": "Changes declined",
                "expire": "Expired", "cancel": "Cancelled", "company_approved": "Approved by your company", "company_rejected": "Rejected by your company"}

def _can(session: Session, permission: str) -> bool:
    return session.principal.permissions.get(permission, False)


# --- orders -----------------------------------------------------------------------------

def _order_view(order: OrderItem, history: list[OrderHistoryItem] | None = None, *,
                delivery_notes: list[DeliveryNoteItem] | None = None, invoices: list[InvoiceItem] | None = None) -> dict[str, Any]:
    """order_json plus what the pages print: local times and words for the history."""
    body = order_json(order, history=history, delivery_notes=delivery_notes, invoices=invoices)
    body["placed"] = local_time(order.created_at)
    for dn in body.get("delivery_notes") or []:
        dn["shipped_at"] = local_time(dn["shipped_at"]) if dn["shipped_at"] else None
    for h in body.get("history") or []:
        h["label"] = EVENT_LABELS.get(h["event"], h["event"].replace("_", " ").capitalize())
        h["at"] = local_time(h["at"])
    return body


ORDER_STATUS_FILTERS = ("draft", "sent", "accepted", "declined", "expired", "cancelled")


def _order_search(params: dict[str, str]) -> tuple[order_store.OrderSearch, dict[str, str], dict[str, str]]:
    """The list's filters from the query string: the search, the values to show back, and what was not understood."""
    shown = {k: (params.get(k) or "").strip()[:100] for k in ("status", "from", "to", "q")}
    problems: dict[str, str] = {}
    if shown["status"] and shown["status"] not in ORDER_STATUS_FILTERS:
        problems["status"], shown["status"] = "Choose a status from the list.", ""
    days: dict[str, date | None] = {}
    for field in ("from", "to"):
        try:
            days[field] = date.fromisoformat(shown[field]) if shown[field] else None
        except ValueError:
            problems[field], days[field] = "Enter the date as YYYY-MM-DD.", None
    zone = ZoneInfo(settings().supplier_timezone)
    start = lambda day: datetime.combine(day, time.min, zone)  # noqa: E731 - midnight on the supplier's calendar
    search = order_store.OrderSearch(
        status=shown["status"] or None, text=shown["q"] or None,
        placed_from=start(days["from"]) if days["from"] else None,
        placed_until=start(days["to"] + timedelta(days=1)) if days["to"] else None)
    return search, shown, problems


@web_orders.route("/orders", methods=["GET"])
def orders_page():
    session = buyer_session("orders")
    params = query_params()
    search, shown, problems = _order_search(params)
    page = order_store.search_for_client(session.principal.client_id or "", search, limit=ORDERS_PAGE,
                                         after=decode_cursor(params.get("cursor")), before=decode_cursor(params.get("before")))
    filters = {k: v for k, v in shown.items() if v}
    link = lambda **cursor: "/orders?" + urlencode({**filters, **cursor})  # noqa: E731
    return render_page("portal/orders.html", session, orders=[_order_view(o) for o in page.orders],
                       older_url=link(cursor=encode_cursor(page.older)) if page.older else None,
                       newer_url=link(before=encode_cursor(page.newer)) if page.newer else None,
                       newest_url=link() if params.get("cursor") or params.get("before") else None,
                       filters=shown, problems=problems, statuses=ORDER_STATUS_FILTERS, filtered=bool(filters),
                       first_page=not (params.get("cursor") or params.get("before")))


@web_orders.route("/orders/{order_id}", methods=["GET"])
def buyer_order_page(order_id):
    session = buyer_session("orders")
    order = order_store.get_for_client(order_id, session.principal.client_id or "")  # another client's: 404 page
    history = order_store.history(order.id)
    notes = dn_store.for_order(order.id) if _can(session, "deliveries") else None
    invoices = invoice_store.for_order(order.id) if _can(session, "invoices") else None
    view = _order_view(order, history, delivery_notes=notes, invoices=invoices)
    return render_page("portal/order.html", session, order=view, can_order=_can(session, "place_orders"),
                       can_download=_can(session, "download_documents"),
                       awaiting_answer=view["proposal"] is not None and order.status in ("draft", "sent"),
                       offer_open=order.origin == "staff" and order.status == "sent",  # web/portal/offers.py answers
                       offer_addresses=[a.as_dict() for a in get_client(order.client_id).addresses]
                       if order.origin == "staff" and order.status == "sent" else [],
                       timeline=timeline.order_timeline(
                           order.id, buyer=True, deliveries=notes is not None, invoices=invoices is not None,
                           loaded=timeline.Loaded(order=order, history=history, notes=notes, invoices=invoices)))


def _answer_changes(order_id: str, answer: Any, done: str) -> Any:
    session = buyer_session("place_orders")
    require_csrf(form_fields())
    order = order_store.get_for_client(order_id, session.principal.client_id or "")
    try:
        answer(order, session.principal.email)
    except Conflict as exc:
        return redirect(f"/orders/{order_id}", session.cookies, flash={"error": exc.message})
    return redirect(f"/orders/{order_id}", session.cookies, flash={"notice": done})


@web_orders.route("/orders/{order_id}/accept-changes", methods=["POST"], content_types=FORM)
def accept_proposed_changes(order_id):
    return _answer_changes(order_id, review.accept_changes, "You accepted the proposed changes; the order is confirmed.")


@web_orders.route("/orders/{order_id}/decline-changes", methods=["POST"], content_types=FORM)
def decline_proposed_changes(order_id):
    return _answer_changes(order_id, review.decline_changes, "You declined the proposed changes; the order is cancelled.")
