"""The buyer's cart: one item per contact, so it survives sign-out and follows them to any device.

    cart    CONTACT#<contact id>   CART    gsi1: CART_IDLE / <updated_at ISO>#<contact id>   (lines, not announced)

The index entry is there while the cart holds lines that nobody has been told about: the abandoned-cart sweep
(services/cart.announce_abandoned) reads the oldest ones and removes the entry once it has announced the cart, so
each version of a cart is announced once; any change puts it back with the new time.

`version` counts every change; checkout is conditional on the version the buyer reviewed, and emptying the
cart records the Idempotency-Key and order of that checkout, so a retry finds its order and a second tab a 409.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError, UpdateError

from chalicelib.domain.errors import Conflict
from chalicelib.store.attributes import IntegerAttribute
from chalicelib.store.models import Gsi1, TableItem

SK = "CART"
IDLE = "CART_IDLE"
IDLE_PAGE = 100  # idle carts one query of the sweep reads
MAX_CART_LINES = 100


def contact_pk(contact_id: str) -> str:
    return f"CONTACT#{contact_id}"


class CartLineMap(MapAttribute):
    sku = UnicodeAttribute()
    qty = IntegerAttribute()


class CartItem(TableItem):
    contact_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    cart_id = UnicodeAttribute()  # new with each cart item: order ids derived from (cart_id, version) never repeat
    lines = ListAttribute(of=CartLineMap, default=list)
    line_count = IntegerAttribute(default=0)  # the sidebar reads only this
    version = IntegerAttribute(default=0)
    last_checkout_key = UnicodeAttribute(null=True)
    last_checkout_order_id = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    idle = Gsi1()


def _idle_key(cart: CartItem) -> str:
    return f"{cart.updated_at.strftime('%Y-%m-%dT%H:%M:%S')}#{cart.contact_id}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def get(contact_id: str, client_id: str) -> CartItem:
    """The contact's cart (an unsaved empty one, version 0, when they never had one)."""
    try:
        return CartItem.get(contact_pk(contact_id), SK, consistent_read=True)
    except CartItem.DoesNotExist:
        return CartItem(contact_pk(contact_id), SK, contact_id=contact_id, client_id=client_id,
                        cart_id=secrets.token_hex(6), lines=[], line_count=0, version=0, updated_at=_now())


def line_count(contact_id: str) -> int:
    """How many lines the cart holds: one small GetItem of one attribute."""
    try:
        return CartItem.get(contact_pk(contact_id), SK, attributes_to_get=["line_count"]).line_count or 0
    except CartItem.DoesNotExist:
        return 0


def save_lines(cart: CartItem, lines: list[tuple[str, int]]) -> CartItem:
    """Store new lines if the cart is still at the version read (else 409 `cart_changed`); the version moves on."""
    read_version = cart.version or 0
    cart.lines = [CartLineMap(sku=sku, qty=qty) for sku, qty in lines]
    cart.line_count, cart.version, cart.updated_at = len(lines), read_version + 1, _now()
    cart.gsi1pk, cart.gsi1sk = (IDLE, _idle_key(cart)) if lines else (None, None)
    condition = (CartItem.pk.does_not_exist() if read_version == 0 else CartItem.version == read_version)
    try:
        cart.save(condition=condition)
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            cart.version = read_version
            raise Conflict("Your cart changed meanwhile (another tab or device); reload it.", code="cart_changed") from exc
        raise
    return cart


def checked_out(cart: CartItem, key: str | None, order_id: str) -> bool:
    """Empty the cart the order was placed from, remembering the checkout; False when it changed meanwhile
    (lines added in another tab stay for the next order)."""
    return _update_unchanged(cart, [
        CartItem.lines.set([]), CartItem.line_count.set(0), CartItem.version.set(cart.version + 1),
        CartItem.last_checkout_key.set(key), CartItem.last_checkout_order_id.set(order_id),
        CartItem.updated_at.set(_now()), CartItem.gsi1pk.remove(), CartItem.gsi1sk.remove()])


def _update_unchanged(cart: CartItem, actions: list[Any]) -> bool:
    """Apply `actions` if the cart is still at the version read; False when it changed meanwhile."""
    try:
        cart.update(actions=actions, condition=CartItem.version == cart.version)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def idle_since(moment: datetime) -> list[CartItem]:
    """Carts with lines, untouched since before `moment` and not announced yet (oldest first), IDLE_PAGE at most."""
    return list(CartItem.idle.query(IDLE, CartItem.gsi1sk < moment.strftime("%Y-%m-%dT%H:%M:%S"), limit=IDLE_PAGE))


def announced(cart: CartItem) -> bool:
    """Take the cart off the idle index if it is still the version read; False when it changed meanwhile."""
    return _update_unchanged(cart, [CartItem.gsi1pk.remove(), CartItem.gsi1sk.remove()])
