"""The buyer's cart, stored per contact: lines at today's prices, warnings before checkout, checkout once per
cart version, quick order files, saved lists, "order these again" into the cart, and a request for a quote."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.money import display_amount, format_money, to_money
from chalicelib.domain.order_files import MAX_QTY, SKU_PATTERN, FileLine, RowError
from chalicelib.domain.orders import Orderable, Totals, check_quantity, order_totals
from chalicelib.services import credit, order_files, ordering, proposals
from chalicelib.services.order_files import CheckedLine
from chalicelib.services.ordering import Buyer
from chalicelib.store import carts as cart_store
from chalicelib.store import orders as order_store
from chalicelib.store import saved_lists as list_store
from chalicelib.store.carts import MAX_CART_LINES, CartItem
from chalicelib.store.clients import get_client
from chalicelib.store.models import ClientItem, OrderItem, ProposalItem, sku_key

WRITE_ATTEMPTS = 3  # a cart changed by another tab between our read and write is read again


@dataclass(frozen=True)
class Shopper:
    """Who the cart belongs to, and whether they may see stock figures."""

    contact_id: str
    email: str
    client_id: str
    sees_stock: bool = False

    @property
    def buyer(self) -> Buyer:
        return Buyer(self.contact_id, self.email, self.client_id)


@dataclass
class CartView:
    """A cart at the client's prices today, with what the buyer should know before checking out."""

    cart: CartItem
    client: ClientItem
    rows: list[CheckedLine]
    totals: Totals
    credit_available: Decimal
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """Every line can be ordered as it stands (stock and credit warnings are for the review to weigh)."""
        return bool(self.rows) and all(r.problem is None for r in self.rows)


def view(shopper: Shopper) -> CartView:
    return _view(shopper, cart_store.get(shopper.contact_id, shopper.client_id))


def _view(shopper: Shopper, cart: CartItem) -> CartView:
    client = get_client(shopper.client_id)
    rows = order_files.check_lines(client, [FileLine(i + 1, m.sku, m.qty) for i, m in enumerate(cart.lines)])
    lines = [r.line for r in rows if r.line is not None]
    totals = order_totals(lines)
    headroom = to_money(credit.credit_available(client))
    return CartView(cart, client, rows, totals, headroom, _warnings(shopper, rows, totals, headroom, client.currency))


def _warnings(shopper: Shopper, rows: list[CheckedLine], totals: Totals, headroom: Decimal, currency: str) -> list[dict[str, Any]]:
    """What to fix or know before checkout: unorderable lines, min / max / step, stock (to those who may see it), credit."""
    warnings: list[dict[str, Any]] = []
    for r in rows:
        if r.problem is not None:
            warnings.append({"code": r.problem.code, "sku": r.sku, "message": r.problem.message})
            continue
        product = r.product
        try:  # the one quantity rule (minimum, maximum, multiples), as a warning here and a refusal at checkout
            check_quantity(Orderable(product.sku, product.min_qty, product.max_qty, product.qty_step), r.qty, "qty")
        except ValidationFailed as problem:
            warnings.append({"code": problem.code, "sku": r.sku, "message": problem.message})
        if shopper.sees_stock and r.qty > product.qty_available:
            warnings.append({"code": "above_available_stock", "sku": r.sku,
                             "message": f"Only {product.qty_available} of {r.sku} in stock now; the rest may ship later."})
    if rows and totals.total > headroom:
        warnings.append({"code": "beyond_credit", "sku": None,
                         "message": f"This cart ({format_money(totals.total)} {currency}) is beyond your available credit "
                                    f"({format_money(max(headroom, Decimal(0)))} {currency}); our team will review the order."})
    return warnings


# --- changing the lines -----------------------------------------------------------------

def _change(shopper: Shopper, edit: Any) -> CartItem:
    """Apply `edit` ({sku: qty} in cart order -> same) to the stored lines, again if another tab wrote meanwhile."""
    for attempt in range(WRITE_ATTEMPTS):
        cart = cart_store.get(shopper.contact_id, shopper.client_id)
        lines = {m.sku: m.qty for m in cart.lines}
        changed = edit(lines)
        if len(changed) > MAX_CART_LINES:
            raise ValidationFailed(f"A cart holds at most {MAX_CART_LINES} products; check out or remove some first.",
                                   code="too_many_lines", field="sku")
        try:
            return cart_store.save_lines(cart, list(changed.items()))
        except Conflict:
            if attempt == WRITE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _known_sku(client: ClientItem, sku: str) -> str:
    """The catalogue's spelling of a SKU the client may order (422 otherwise)."""
    if not SKU_PATTERN.match(sku or ""):
        raise ValidationFailed(f"We have no product {sku[:64]}.", code="unknown_product", field="sku")
    [checked] = order_files.check_lines(client, [FileLine(1, sku, 1)], quantities_strict=False)
    if checked.problem is not None:
        raise ValidationFailed(checked.problem.message, code=checked.problem.code, field="sku")
    return checked.sku


def _same_sku(lines: dict[str, int], sku: str) -> str | None:
    return next((s for s in lines if sku_key(s) == sku_key(sku)), None)


def set_line(shopper: Shopper, sku: str, qty: Any) -> CartView:
    """Put `qty` of a product in the cart (replacing its quantity); 0 removes it."""
    if isinstance(qty, bool) or not isinstance(qty, int) or not 0 <= qty <= MAX_QTY:
        raise ValidationFailed("Quantity must be a whole number from 0 to 1,000,000.", code="invalid_quantity", field="qty")
    if qty == 0:
        return remove_line(shopper, sku)
    sku = _known_sku(get_client(shopper.client_id), sku)

    def edit(lines: dict[str, int]) -> dict[str, int]:
        lines[_same_sku(lines, sku) or sku] = qty  # a line keeps its place in the cart
        return lines

    return _view(shopper, _change(shopper, edit))


def set_quantities(shopper: Shopper, wanted: dict[str, int]) -> CartItem:
    """New quantities for lines already in the cart (the cart page's form); 0 removes a line."""
    def edit(lines: dict[str, int]) -> dict[str, int]:
        for sku, qty in wanted.items():
            existing = _same_sku(lines, sku)
            if existing is None:
                continue  # removed meanwhile in another tab
            if qty <= 0:
                lines.pop(existing)
            else:
                lines[existing] = min(qty, MAX_QTY)
        return lines

    return _change(shopper, edit)


def remove_line(shopper: Shopper, sku: str) -> CartView:
    def edit(lines: dict[str, int]) -> dict[str, int]:
        found = _same_sku(lines, sku)
        if found is None:
            raise ValidationFailed(f"{sku} is not in your cart.", code="not_in_cart", field="sku")
        lines.pop(found)
        return lines

    return _view(shopper, _change(shopper, edit))


def add_lines(shopper: Shopper, wanted: list[tuple[str, int]]) -> CartItem:
    """Add quantities to the cart (on top of what is there); SKUs as the catalogue spells them."""
    def edit(lines: dict[str, int]) -> dict[str, int]:
        for sku, qty in wanted:
            existing = _same_sku(lines, sku)
            lines[existing or sku] = min(lines.get(existing or sku, 0) + qty, MAX_QTY)
        return lines

    return _change(shopper, edit)


@dataclass(frozen=True)
class Imported:
    added: list[dict[str, Any]]
    errors: list[RowError]
    view: CartView


def import_file(shopper: Shopper, content: bytes, *, filename: str | None = None, content_type: str | None = None) -> Imported:
    """Quick order: the lines of a pasted block, CSV or XLSX go into the cart; every bad row comes back with its reason.

    Unknown and unorderable products are refused per row; quantities outside min / max go in and are warned about
    like any cart line.
    """
    parsed = order_files.read(content, filename=filename, content_type=content_type)
    client = get_client(shopper.client_id)
    checked = order_files.check_lines(client, parsed.lines, quantities_strict=False) if parsed.lines else []
    good = [c for c in checked if c.problem is None]
    errors = sorted([*parsed.errors, *(c.problem for c in checked if c.problem)], key=lambda e: e.row)
    cart = add_lines(shopper, [(c.sku, c.qty) for c in good]) if good else cart_store.get(shopper.contact_id, shopper.client_id)
    added = [{"row": c.row, "sku": c.sku, "name": c.product.name, "qty": c.qty} for c in good]
    return Imported(added, errors, _view(shopper, cart))


# --- checkout ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckedOut:
    order: OrderItem
    created: bool  # False: this checkout (same Idempotency-Key) had placed it already


def _cart_order_id(cart: CartItem) -> str:
    """The order a cart version becomes: two checkouts of the same version write the same order id, once."""
    return f"so_{hashlib.sha256(f'cart:{cart.contact_id}:{cart.cart_id}:{cart.version}'.encode()).hexdigest()[:16]}"


def checkout(shopper: Shopper, body: dict[str, Any], key: str | None, expected_version: int | None = None) -> CheckedOut:
    """Place the cart as an order through the one pipeline and empty it.

    Idempotent on the cart's version: the same Idempotency-Key again answers with its order; a second tab, a stale
    page (another version) or an empty cart is a 409 that says what happened.
    """
    cart = cart_store.get(shopper.contact_id, shopper.client_id)
    if key and cart.last_checkout_key == key and cart.last_checkout_order_id:
        return CheckedOut(order_store.get(cart.last_checkout_order_id), False)
    if not cart.lines:
        placed = f" (order {_number(cart.last_checkout_order_id)})" if cart.last_checkout_order_id else ""
        raise Conflict(f"Your cart is empty: it was already checked out{placed}, perhaps in another tab or on another "
                       "device. Look in your orders before ordering again.", code="cart_empty")
    if expected_version is not None and expected_version != cart.version:
        raise Conflict("Your cart changed since this page was opened (in another tab or on another device). "
                       "Review the cart and check out again.", code="cart_changed")
    order_id = _cart_order_id(cart)
    lines = [{"sku": m.sku, "qty": m.qty} for m in cart.lines]
    try:
        order = ordering.place(shopper.buyer, {**body, "lines": lines}, order_id=order_id)
    except Conflict as exc:
        if exc.code != "document_exists":  # placed by an attempt that did not get to empty the cart
            raise
        order = order_store.get(order_id)
    cart_store.checked_out(cart, key, order.id)
    return CheckedOut(order, True)


def _number(order_id: str) -> str:
    try:
        return order_store.get(order_id).number
    except Exception:  # noqa: BLE001 - only decorates a message
        return order_id


# --- order these again, saved lists, request for quote --------------------------------------

@dataclass(frozen=True)
class Reordered:
    view: CartView
    price_changes: list[dict[str, str]]
    skipped: list[dict[str, str]]


def reorder_to_cart(shopper: Shopper, order_id: str) -> Reordered:
    """The lines of an earlier order go into the cart at today's prices (never an order by themselves); what
    costs something else now is listed, and what can no longer be ordered is skipped with the reason."""
    previous = order_store.get_for_client(order_id, shopper.client_id)
    client = get_client(shopper.client_id)
    checked = order_files.check_lines(client, [FileLine(i + 1, m.sku, m.qty) for i, m in enumerate(previous.lines)],
                                      quantities_strict=False)
    old_prices = {sku_key(m.sku): m.unit_price for m in previous.lines}
    good = [c for c in checked if c.problem is None]
    skipped = [{"sku": c.sku, "reason": c.problem.code, "message": c.problem.message} for c in checked if c.problem]
    changes = [{"sku": c.sku, "old_unit_price": str(display_amount(old_prices[sku_key(c.sku)])),
                "unit_price": str(display_amount(c.line.unit_price))}
               for c in good if c.line is not None and c.line.unit_price != old_prices[sku_key(c.sku)]]
    if not good:
        raise ValidationFailed("None of that order's products can be ordered now.", code="nothing_to_reorder", field="lines")
    cart = add_lines(shopper, [(c.sku, c.qty) for c in good])
    return Reordered(_view(shopper, cart), changes, skipped)


def save_cart_as_list(shopper: Shopper, name: str) -> list_store.SavedListItem:
    cart = cart_store.get(shopper.contact_id, shopper.client_id)
    if not cart.lines:
        raise ValidationFailed("Your cart is empty; add products before saving it as a list.", code="cart_empty")
    saved = create_list(shopper, name)
    return list_store.save_lines(saved, [(m.sku, m.qty) for m in cart.lines])


def create_list(shopper: Shopper, name: str) -> list_store.SavedListItem:
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailed("Give the list a name of up to 100 characters.", code="invalid_value", field="name")
    if len(list_store.for_contact(shopper.contact_id)) >= list_store.MAX_LISTS:
        raise ValidationFailed(f"You have {list_store.MAX_LISTS} lists already; delete one first.", code="too_many_lists")
    return list_store.create(shopper.contact_id, f"sl_{secrets.token_hex(6)}", name)


FAVOURITES = "favourites"


def favourites(shopper: Shopper) -> list_store.SavedListItem:
    """The contact's Favourites list, where the catalogue's star puts products (made on first use)."""
    try:
        return list_store.get(shopper.contact_id, FAVOURITES)
    except NotFound:
        try:
            return list_store.create(shopper.contact_id, FAVOURITES, "Favourites")
        except Conflict:
            return list_store.get(shopper.contact_id, FAVOURITES)


def add_to_list(shopper: Shopper, list_id: str, sku: str, qty: int) -> list_store.SavedListItem:
    saved = favourites(shopper) if list_id == FAVOURITES else list_store.get(shopper.contact_id, list_id)
    sku = _known_sku(get_client(shopper.client_id), sku)
    if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QTY:
        raise ValidationFailed("Quantity must be a whole number of at least 1.", code="invalid_quantity", field="qty")
    lines = {m.sku: m.qty for m in saved.lines}
    existing = _same_sku(lines, sku)
    lines[existing or sku] = qty
    if len(lines) > list_store.MAX_LIST_LINES:
        raise ValidationFailed(f"A list holds at most {list_store.MAX_LIST_LINES} products.", code="too_many_lines")
    return list_store.save_lines(saved, list(lines.items()))


def remove_from_list(shopper: Shopper, list_id: str, sku: str) -> list_store.SavedListItem:
    saved = list_store.get(shopper.contact_id, list_id)
    return list_store.save_lines(saved, [(m.sku, m.qty) for m in saved.lines if sku_key(m.sku) != sku_key(sku)])


def list_to_cart(shopper: Shopper, list_id: str) -> tuple[CartView, list[dict[str, str]]]:
    """A saved list's products go into the cart; those no longer orderable are named."""
    saved = list_store.get(shopper.contact_id, list_id)
    client = get_client(shopper.client_id)
    checked = order_files.check_lines(client, [FileLine(i + 1, m.sku, m.qty) for i, m in enumerate(saved.lines)],
                                      quantities_strict=False)
    good = [c for c in checked if c.problem is None]
    if not good:
        raise ValidationFailed("None of this list's products can be ordered now.", code="nothing_to_add")
    cart = add_lines(shopper, [(c.sku, c.qty) for c in good])
    return _view(shopper, cart), [{"sku": c.sku, "message": c.problem.message} for c in checked if c.problem]


def request_quote(shopper: Shopper, message: str | None = None) -> ProposalItem:
    """Ask the client's agent for a quote on the cart's lines: a draft proposal for the agent, who is emailed.
    The cart stays as it is."""
    view_ = view(shopper)
    if not view_.rows:
        raise ValidationFailed("Your cart is empty; add the products you want a quote for.", code="cart_empty")
    unorderable = [w for w in view_.warnings if w["code"] in ("unknown_product", "product_not_orderable")]
    if unorderable:
        raise ValidationFailed(unorderable[0]["message"] + " Remove it before asking for a quote.", code=unorderable[0]["code"])
    lines = [{"sku": r.sku, "qty": r.qty} for r in view_.rows]
    return proposals.draft_from_cart(shopper.buyer, lines, (message or "").strip() or None)


# --- abandoned carts ---------------------------------------------------------------------------------------

SWEEP_PAGES = 50  # of cart_store.IDLE_PAGE carts: an hourly sweep announces up to 5,000 carts, the rest the next hour


def announce_abandoned(now: datetime | None = None) -> int:
    """Announce `cart.abandoned` for every cart left with lines for the settings' hours (the hourly
    `announce_abandoned_carts` function on AWS, the local stack's timer here). Keyed by the cart and its version,
    so a cart is announced once per version however often the sweep runs or fails half-way; a cart changed since
    it was read is left for the next sweep. Returns how many carts were announced."""
    from chalicelib.services import events  # noqa: PLC0415 - the cart's requests never announce
    from chalicelib.store import settings as settings_store  # noqa: PLC0415
    from chalicelib.store.users import find_user  # noqa: PLC0415

    now = now or datetime.now(timezone.utc)
    hours = settings_store.load().cart_abandoned_hours
    announced = 0
    for _page in range(SWEEP_PAGES):
        carts = cart_store.idle_since(now - timedelta(hours=hours))
        for cart in carts:
            contact = find_user(cart.contact_id)
            active = contact is not None and contact.active  # a disabled contact's cart is dropped from the sweep
            if active:
                events.announce("cart.abandoned", f"{cart.contact_id}:{cart.cart_id}:{cart.version}",
                                client_id=cart.client_id, contact_id=cart.contact_id, email=contact.email,
                                name=contact.name, lines_count=cart.line_count, skus=[line.sku for line in cart.lines],
                                updated_at=cart.updated_at.isoformat(),
                                idle_hours=int((now - cart.updated_at).total_seconds() // 3600))
            if cart_store.announced(cart) and active:
                announced += 1
        if len(carts) < cart_store.IDLE_PAGE:
            break
    return announced
