"""The buyer's cart and checkout pages. The cart is stored per contact (services/cart.py), so it is the same
after signing out and on any device; prices are always today's, resolved on the server. Checkout places the
cart version the page showed, once: a second tab or a stale page is told what happened instead."""
from __future__ import annotations

import re
import secrets
from typing import Any

from chalicelib.api import schemas
from chalicelib.api.http import validate
from chalicelib.domain.errors import Conflict, DomainError, ValidationFailed
from chalicelib.domain.money import display_amount
from chalicelib.services import cart, catalogue
from chalicelib.services.cart import CartView, Shopper
from chalicelib.web.kit import (
    FORM, Session, WebBlueprint, buyer_session, form_fields, form_lists, line_index, redirect, render_page,
    require_csrf, whole_number,
)

web_cart = WebBlueprint(__name__)

MAX_FLASH_ITEMS = 20
QUANTITY_WARNINGS = ("below_min_qty", "above_max_qty", "qty_step")

# Form field -> what the buyer should read when the API's schema refuses it.
CHECKOUT_HINTS = {
    "address_line1": "Enter the street and number.", "address_city": "Enter the city.",
    "address_postcode": "Enter the postcode.", "address_label": "The address name is too long.",
    "address_country": "Enter the country as a two-letter code, e.g. RO or DE.",
    "client_reference": "Your reference is at most 100 characters.", "notes": "Notes are at most 2000 characters.",
    "delivery_address_id": "Choose a delivery address.",
}
ADDRESS_FIELDS = ("label", "line1", "city", "postcode", "country")


def shopper(session: Session) -> Shopper:
    p = session.principal
    return Shopper(p.user_id, p.email, p.client_id or "", bool(p.permissions.get("view_stock")))


def _can(session: Session, permission: str) -> bool:
    return session.principal.permissions.get(permission, False)


def cart_rows(view: CartView) -> list[dict[str, Any]]:
    """The cart's lines as the pages print them; a line's problem (or quantity rule) is shown on its row."""
    by_sku: dict[str, str] = {}
    for w in view.warnings:
        if w["sku"] and (w["code"] in QUANTITY_WARNINGS or w["code"] in ("unknown_product", "product_not_orderable")):
            by_sku.setdefault(w["sku"], w["message"])
    rows = []
    for i, r in enumerate(view.rows):
        line = r.line
        rows.append({"index": i, "sku": r.sku, "qty": r.qty, "name": r.product.name if r.product else "",
                     "unit": r.product.unit if r.product else "",
                     "unit_price": display_amount(line.unit_price) if line else None,
                     "line_total": display_amount(line.line_total) if line else None,
                     "vat_rate": line.vat_rate if line else None, "price_source": line.price_source if line else None,
                     "problem": by_sku.get(r.sku)})
    return rows


def cart_totals(view: CartView) -> dict[str, Any]:
    t = view.totals
    return {"subtotal": display_amount(t.subtotal), "vat_total": display_amount(t.vat_total), "total": display_amount(t.total)}


def _ready(view: CartView) -> bool:
    return view.ready and not any(w["code"] in QUANTITY_WARNINGS for w in view.warnings)


_BACK = re.compile(r"^/(catalogue|saved-lists)(/[A-Za-z0-9._-]+)?(\?[A-Za-z0-9%&=._~+-]*)?$")


@web_cart.route("/cart/add", methods=["POST"], content_types=FORM)
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
    try:
        stored = cart.add_lines(shopper(session), [(entry.product.sku, qty)])
    except DomainError as exc:
        return redirect(back, session.cookies, flash={"error": exc.message})
    now = next((m.qty for m in stored.lines if m.sku == entry.product.sku), qty)
    notice = f"Added {qty} × {entry.product.sku} ({entry.product.name}); {now} in your cart."
    return redirect(back, session.cookies, flash={"notice": notice})


@web_cart.route("/cart", methods=["GET"])
def cart_page():
    session = buyer_session("place_orders")
    view = cart.view(shopper(session))
    other = [w for w in view.warnings if w["code"] not in QUANTITY_WARNINGS
             and w["code"] not in ("unknown_product", "product_not_orderable")]
    return render_page("portal/cart.html", session, rows=cart_rows(view), totals=cart_totals(view),
                       currency=view.client.currency, ready=_ready(view), warnings=other,
                       credit_available=display_amount(view.credit_available), can_quote=_can(session, "proposals"))


@web_cart.route("/cart/update", methods=["POST"], content_types=FORM)
def update_cart():
    """New quantities for the cart's lines; 0 removes a line."""
    session = buyer_session("place_orders")
    fields = form_lists()
    require_csrf(form_fields())
    wanted: dict[str, int] = {}
    for sku, raw in zip(fields.get("sku", []), fields.get("qty", [])):
        qty = whole_number(raw)
        if not isinstance(qty, int) or qty > 1_000_000:
            return redirect("/cart", session.cookies, flash={"error": f"The quantity of {sku} must be a whole number."})
        wanted[sku] = qty
    try:
        cart.set_quantities(shopper(session), wanted)
    except DomainError as exc:
        return redirect("/cart", session.cookies, flash={"error": exc.message})
    return redirect("/cart", session.cookies, flash={"notice": "Cart updated."})


@web_cart.route("/cart/remove", methods=["POST"], content_types=FORM)
def remove_from_cart():
    session = buyer_session("place_orders")
    form = form_fields()
    require_csrf(form)
    try:
        cart.remove_line(shopper(session), form.get("sku", ""))
    except ValidationFailed:
        pass  # removed already (another tab): the cart shows what is left
    return redirect("/cart", session.cookies, flash={"notice": f"Removed {form.get('sku', '')}."})


@web_cart.route("/cart/request-quote", methods=["POST"], content_types=FORM)
def ask_for_quote():
    """The cart's lines go to the client's agent as a draft proposal; the cart stays as it is."""
    session = buyer_session("place_orders")
    form = form_fields()
    require_csrf(form)
    try:
        proposal = cart.request_quote(shopper(session), form.get("message", "")[:2000])
    except DomainError as exc:
        return redirect("/cart", session.cookies, flash={"error": exc.message})
    return redirect("/cart", session.cookies, flash={"notice": f"We asked your sales agent for a quote (request {proposal.number}); "
                                                               "you will find it under Proposals once it is sent."})


@web_cart.route("/orders/{order_id}/reorder-to-cart", methods=["POST"], content_types=FORM)
def order_again(order_id):
    """The lines of an earlier order go into the cart at today's prices (no order is placed); the cart page lists
    what costs something else now and what was left out."""
    session = buyer_session("place_orders")
    require_csrf(form_fields())
    try:
        result = cart.reorder_to_cart(shopper(session), order_id)
    except ValidationFailed as exc:
        return redirect(f"/orders/{order_id}", session.cookies, flash={"error": exc.message})
    currency = result.view.client.currency
    flash: dict[str, Any] = {"notice": "The lines of that order are in your cart at today's prices. Check them, then go to checkout."}
    if result.skipped:
        flash["skipped"] = [{"sku": s["sku"], "message": s["message"]} for s in result.skipped[:MAX_FLASH_ITEMS]]
    if result.price_changes:
        flash["price_changes"] = [{**c, "currency": currency} for c in result.price_changes[:MAX_FLASH_ITEMS]]
    return redirect("/cart", session.cookies, flash=flash)


# --- checkout ---------------------------------------------------------------------------

def _checkout_page(session: Session, *, values: dict[str, str] | None = None, failure: DomainError | None = None) -> Any:
    """The checkout form for the stored cart; after a refused placement, with what was typed and the reason."""
    view = cart.view(shopper(session))
    client = view.client
    values = dict(values or {})
    values.setdefault("delivery_address_id", client.addresses[0].id if client.addresses else "new")
    errors: dict[str, str] = {}
    summary = None
    if failure is not None:
        summary, errors = _checkout_errors(failure)
    return render_page("portal/checkout.html", session, status=failure.status if failure else 200,
                       rows=cart_rows(view), totals=cart_totals(view), currency=client.currency, ready=_ready(view),
                       addresses=[a.as_dict() for a in client.addresses], values=values, errors=errors, error=summary,
                       version=view.cart.version or 0, conflict=isinstance(failure, Conflict),
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


def _checkout_body(form: dict[str, str]) -> dict[str, Any]:
    """The API's checkout body from the form, checked with the same schema as POST /portal/cart/checkout."""
    body: dict[str, Any] = {}
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
    return validate(body, schemas.CART_CHECKOUT)


@web_cart.route("/checkout", methods=["GET"])
def checkout_page():
    session = buyer_session("place_orders")
    if not cart.view(shopper(session)).rows:
        return redirect("/cart", session.cookies, flash={"notice": "Your cart is empty; add products from the catalogue."})
    return _checkout_page(session)


@web_cart.route("/checkout", methods=["POST"], content_types=FORM)
def checkout_submit():
    """Place the cart version this page showed, once per form (a double click lands on the same order)."""
    session = buyer_session("place_orders")
    form = form_fields()
    require_csrf(form)
    key = form.get("key", "").strip()
    version = whole_number(form.get("version"))
    try:
        if len(key) > 200 or not isinstance(version, int):
            raise ValidationFailed("This checkout form is damaged; reload the page.", code="invalid_value")
        done = cart.checkout(shopper(session), _checkout_body(form), key or None, version)
    except (ValidationFailed, Conflict) as exc:
        return _checkout_page(session, values=form, failure=exc)
    order = done.order
    notice = f"Thank you: order {order.number} is placed. We will confirm it shortly."
    if not _can(session, "orders"):
        return redirect("/catalogue", session.cookies, flash={"notice": notice})
    return redirect(f"/orders/{order.id}", session.cookies, flash={"notice": notice})
