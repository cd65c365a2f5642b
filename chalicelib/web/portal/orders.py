"""The buyer's ordering pages: cart, checkout, orders, and the answers an order page offers
(accept or decline an agent's changes, order again). Prices are always resolved on the server;
the cart cookie holds only SKU -> quantity."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from chalicelib.api import schemas
from chalicelib.api.http import decode_cursor, encode_cursor, validate
from chalicelib.api.views import order_json
from chalicelib.web.kit import (
    FORM, MAX_CART_LINES, Session, WebBlueprint, buyer_session, cart_contents, cart_cookie, form_fields, form_lists,
    line_index, local_time, query_params, redirect, render_page, require_csrf, whole_number,
)
from chalicelib.domain.errors import Conflict, DomainError, ValidationFailed
from chalicelib.domain.money import display_amount
from chalicelib.domain.orders import OrderLine, order_totals
from chalicelib.services import catalogue, ordering, review, timeline
from chalicelib.services.ordering import Buyer
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store.clients import get_client
from chalicelib.store.models import ClientItem, DeliveryNoteItem, InvoiceItem, OrderHistoryItem, OrderItem, sku_key
from chalicelib.store.products import find_products

web_orders = WebBlueprint(__name__)

ORDERS_PAGE = 25
MAX_SKIPPED_SHOWN = 20

# What the history of an order says, in words.
EVENT_LABELS = {"placed": "Placed", "approve": "Approved", "auto_approve": "Approved automatically", "reject": "Declined",
                "modify": "Changes proposed", "accept_changes": "Changes accepted", "decline_changes": "Changes declined",
                "expire": "Expired"}

# Form field -> what the buyer should read when the API's schema refuses it.
CHECKOUT_HINTS = {
    "address_line1": "Enter the street and number.", "address_city": "Enter the city.",
    "address_postcode": "Enter the postcode.", "address_label": "The address name is too long.",
    "address_country": "Enter the country as a two-letter code, e.g. RO or DE.",
    "client_reference": "Your reference is at most 100 characters.", "notes": "Notes are at most 2000 characters.",
    "delivery_address_id": "Choose a delivery address.",
}
ADDRESS_FIELDS = ("label", "line1", "city", "postcode", "country")


def _as_buyer(session: Session) -> Buyer:
    p = session.principal
    return Buyer(p.user_id, p.email, p.client_id or "")


def _can(session: Session, permission: str) -> bool:
    return session.principal.permissions.get(permission, False)


# --- the cart, priced -------------------------------------------------------------------

@dataclass
class PricedCart:
    """A cart at the client's prices today: display rows in cart order, the orderable lines, and the problems."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[OrderLine] = field(default_factory=list)
    problems: dict[str, DomainError] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return bool(self.lines) and not self.problems


def _price_cart(client: ClientItem, cart: dict[str, Any]) -> PricedCart:
    """Price every line the service accepts and keep, per SKU, the service's objection to the others.

    ordering.price_lines stops at the first bad line, so a bad line is set aside and the rest priced again.
    """
    wanted = [{"sku": sku, "qty": qty} for sku, qty in cart.items()]
    problems: dict[str, DomainError] = {}
    lines: list[OrderLine] = []
    while wanted:
        try:
            lines = ordering.price_lines(client, wanted)
            break
        except ValidationFailed as exc:
            i = line_index(exc.field)
            if i is None or i >= len(wanted):
                raise
            problems[wanted.pop(i)["sku"]] = exc
    priced = {sku_key(line.sku): line for line in lines}
    names = {k: p.name for k, p in find_products(problems).items()} if problems else {}
    rows = []
    for i, (sku, qty) in enumerate(cart.items()):
        line = priced.get(sku_key(sku))
        row: dict[str, Any] = {"index": i, "sku": sku, "qty": qty, "name": names.get(sku_key(sku), ""), "unit": "",
                               "unit_price": None, "line_total": None, "vat_rate": None, "price_source": None,
                               "problem": problems[sku].message if sku in problems else None}
        if line is not None:
            row.update(sku=line.sku, name=line.name, unit=line.unit, unit_price=display_amount(line.unit_price),
                       line_total=display_amount(line.line_total), vat_rate=line.vat_rate, price_source=line.price_source)
        rows.append(row)
    return PricedCart(rows, lines, problems)


def _totals(lines: list[OrderLine]) -> dict[str, Any]:
    t = order_totals(lines)
    return {"subtotal": display_amount(t.subtotal), "vat_total": display_amount(t.vat_total), "total": display_amount(t.total)}


_BACK = re.compile(r"^/catalogue(\?[A-Za-z0-9%&=._~+-]*)?$")


@web_orders.route("/cart/add", methods=["POST"], content_types=FORM)
def add_to_cart():
    session = buyer_session("place_orders")
    form = form_fields()
    require_csrf(form)
    back = form.get("back", "")
    back = back if _BACK.match(back) else "/catalogue"
    qty = whole_number(form.get("qty"))
    if not isinstance(qty, int) or not 1 <= qty <= 1_000_000:
        return redirect(back, session.cookies, flash={"error": "Enter a whole quantity of at least 1."})
    entry = catalogue.one(session.principal.client_id or "", form.get("sku", ""))  # 404 page when not orderable
    cart = cart_contents()
    if entry.product.sku not in cart and len(cart) >= MAX_CART_LINES:
        return redirect(back, session.cookies, flash={"error": f"A cart holds at most {MAX_CART_LINES} products; "
                                                                "check out or remove some first."})
    cart[entry.product.sku] = min(cart.get(entry.product.sku, 0) + qty, 1_000_000)
    notice = f"Added {qty} × {entry.product.sku} ({entry.product.name}); {cart[entry.product.sku]} in your cart."
    return redirect(back, [*session.cookies, cart_cookie(cart)], flash={"notice": notice})


@web_orders.route("/cart", methods=["GET"])
def cart_page():
    session = buyer_session("place_orders")
    client = get_client(session.principal.client_id or "")
    priced = _price_cart(client, cart_contents())
    return render_page("portal/cart.html", session, rows=priced.rows, totals=_totals(priced.lines), currency=client.currency,
                       ready=priced.ready)


@web_orders.route("/cart/update", methods=["POST"], content_types=FORM)
def update_cart():
    """New quantities for the cart's lines; 0 removes a line."""
    session = buyer_session("place_orders")
    fields = form_lists()
    require_csrf(form_fields())
    cart = cart_contents()
    for sku, raw in zip(fields.get("sku", []), fields.get("qty", [])):
        qty = whole_number(raw)
        if sku not in cart:
            continue
        if not isinstance(qty, int):
            return redirect("/cart", session.cookies, flash={"error": f"The quantity of {sku} must be a whole number."})
        if qty == 0:
            del cart[sku]
        else:
            cart[sku] = min(qty, 1_000_000)
    return redirect("/cart", [*session.cookies, cart_cookie(cart)], flash={"notice": "Cart updated."})


@web_orders.route("/cart/remove", methods=["POST"], content_types=FORM)
def remove_from_cart():
    session = buyer_session("place_orders")
    form = form_fields()
    require_csrf(form)
    cart = cart_contents()
    cart.pop(form.get("sku", ""), None)
    return redirect("/cart", [*session.cookies, cart_cookie(cart)], flash={"notice": f"Removed {form.get('sku', '')}."})


# --- checkout ---------------------------------------------------------------------------

def _checkout_page(session: Session, lines: dict[str, Any], *, values: dict[str, str] | None = None,
                   failure: DomainError | None = None) -> Any:
    """The checkout form for these lines; after a refused placement, with what was typed and the reason next to its field."""
    client = get_client(session.principal.client_id or "")
    priced = _price_cart(client, lines)
    values = dict(values or {})
    values.setdefault("delivery_address_id", client.addresses[0].id if client.addresses else "new")
    errors: dict[str, str] = {}
    summary = None
    if failure is not None:
        summary, errors = _checkout_errors(failure)
    return render_page("portal/checkout.html", session, status=failure.status if failure else 200,
                       rows=priced.rows, totals=_totals(priced.lines), currency=client.currency, ready=priced.ready,
                       addresses=[a.as_dict() for a in client.addresses], values=values, errors=errors, error=summary,
                       key=secrets.token_urlsafe(18))  # a fresh Idempotency-Key with each form


def _checkout_errors(exc: DomainError) -> tuple[str, dict[str, str]]:
    """(summary, {form field: message}) for a refused order; line problems are already on their rows."""
    name = _checkout_field(exc.field)
    if name and name.startswith("line-"):
        return f"Check the marked line: {exc.message}", {}
    if name:
        schema_refusal = exc.code in ("missing_field", "invalid_value", "unknown_field")
        message = CHECKOUT_HINTS.get(name, exc.message) if schema_refusal else exc.message
        return message, {name: message}
    if exc.code == "idempotency_key_reused":
        return "This checkout form was already used for a different order. Check the lines and place the order again.", {}
    if exc.code == "request_in_progress":
        return "This order is being placed right now; look in Orders in a moment before trying again.", {}
    return exc.message, {}


def _checkout_field(service_field: str | None) -> str | None:
    """The checkout form's field for a field the service names: `delivery_address.city` -> `address_city`."""
    if not service_field:
        return None
    i = line_index(service_field)
    if i is not None:
        return f"line-{i}"
    if service_field.startswith("delivery_address."):
        return "address_" + service_field.split(".", 1)[1]
    return service_field if service_field in CHECKOUT_HINTS else None


def _order_body(form: dict[str, str], lines: list[tuple[str, int | str]]) -> dict[str, Any]:
    """The portal API's order body from the checkout form, checked with the same schema as POST /portal/orders."""
    body: dict[str, Any] = {"lines": [{"sku": sku, "qty": qty} for sku, qty in lines]}
    choice = form.get("delivery_address_id", "")
    if choice and choice != "new":
        body["delivery_address_id"] = choice
    else:
        typed = {k: form.get(f"address_{k}", "").strip() for k in ADDRESS_FIELDS}
        typed["country"] = typed["country"].upper()
        body["delivery_address"] = {k: v for k, v in typed.items() if v}
    for name in ("client_reference", "notes"):
        if form.get(name, "").strip():
            body[name] = form[name].strip()
    return validate(body, schemas.ORDER)


@web_orders.route("/checkout", methods=["GET"])
def checkout_page():
    session = buyer_session("place_orders")
    cart = cart_contents()
    if not cart:
        return redirect("/cart", session.cookies, flash={"notice": "Your cart is empty; add products from the catalogue."})
    return _checkout_page(session, cart)


@web_orders.route("/checkout", methods=["POST"], content_types=FORM)
def checkout_submit():
    """Place the order exactly as reviewed on the checkout page (its lines travel in the form), once per form."""
    session = buyer_session("place_orders")
    form, fields = form_fields(), form_lists()
    require_csrf(form)
    lines = [(sku, whole_number(qty)) for sku, qty in zip(fields.get("sku", []), fields.get("qty", []))]
    key = form.get("key", "").strip()
    try:
        if len(key) > 200:
            raise ValidationFailed("This checkout form is damaged; reload the page.", code="invalid_value")
        order = ordering.place_idempotent(_as_buyer(session), _order_body(form, lines), key or None,
                                          web_orders.lambda_context)
    except (ValidationFailed, Conflict) as exc:
        return _checkout_page(session, dict(lines), values=form, failure=exc)
    notice = f"Thank you: order {order.number} is placed. We will confirm it shortly."
    cookies = [*session.cookies, cart_cookie({})]
    if not _can(session, "orders"):
        return redirect("/catalogue", cookies, flash={"notice": notice})
    return redirect(f"/orders/{order.id}", cookies, flash={"notice": notice})


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


@web_orders.route("/orders", methods=["GET"])
def orders_page():
    session = buyer_session("orders")
    cursor = query_params().get("cursor")
    orders, after = order_store.for_client(session.principal.client_id or "", limit=ORDERS_PAGE, after=decode_cursor(cursor))
    next_url = "/orders?" + urlencode({"cursor": encode_cursor(after)}) if after else None
    return render_page("portal/orders.html", session, orders=[_order_view(o) for o in orders], next_url=next_url,
                       first_page=not cursor)


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
                       reorder_key=secrets.token_urlsafe(18),  # a double click reorders once
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


@web_orders.route("/orders/{order_id}/reorder", methods=["POST"], content_types=FORM)
def order_again(order_id):
    """A new order with the same lines at today's prices; the new order's page lists the lines left out."""
    session = buyer_session("place_orders")
    fields = form_fields()
    require_csrf(fields)
    try:
        result = ordering.reorder_idempotent(_as_buyer(session), order_id, fields.get("key", "")[:200] or None,
                                             web_orders.lambda_context)
    except ValidationFailed as exc:
        return redirect(f"/orders/{order_id}", session.cookies, flash={"error": exc.message})
    flash: dict[str, Any] = {"notice": f"Order {result.order.number} is placed with the same lines at today's prices."}
    if result.skipped:
        flash["skipped"] = [{"sku": s["sku"], "message": s["message"]} for s in result.skipped[:MAX_SKIPPED_SHOWN]]
    target = f"/orders/{result.order.id}" if _can(session, "orders") else "/catalogue"
    return redirect(target, session.cookies, flash=flash)
