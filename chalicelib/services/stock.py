"""Stock reservation: an accepted order holds its quantities (`qty_reserved` on the product) until its delivery
note takes them out of stock; a cancelled, declined or expired order gives them back.

`qty_available` (ProductItem.qty_available: on hand - reserved, never below zero) is the one figure the catalogue,
the review's stock check and the cart's warnings read. Every change to `qty_reserved` is a conditional write on the
product as read (on hand and reserved unchanged), so two buyers racing for the last units cannot both get them and
nothing goes negative; the loser reads again.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.domain.errors import Conflict
from chalicelib.store.models import OrderItem, ProductItem, product_pk, sku_key


def qty_available(product: ProductItem) -> int:
    """On hand - reserved, never below zero: what the catalogue, the review's stock check and the cart's warnings
    show (the one figure; ProductItem.qty_available)."""
    return product.qty_available


def reserved_of(order: OrderItem) -> dict[str, int]:
    """What this order holds now, per SKU key."""
    return json.loads(order.reserved) if order.reserved else {}


def _held(product: ProductItem) -> Any:
    """The product is as read: the arithmetic (on hand - reserved) was done on these very numbers."""
    reserved = product.qty_reserved or 0
    held = ProductItem.qty_on_hand == product.qty_on_hand
    if reserved:
        return held & (ProductItem.qty_reserved == reserved)
    return held & (ProductItem.qty_reserved.does_not_exist() | (ProductItem.qty_reserved == 0))


def reserve_writes(order: OrderItem, products: dict[str, ProductItem], *, strict: bool
                   ) -> tuple[list[Any], list[tuple[Any, list[Any], Any]]]:
    """Reserve the order's quantities. `strict` (a buyer accepting an offer): every line fully or 409
    `insufficient_stock`; otherwise (a person approved it knowing the stock check) what is there, the rest is a
    back-order. Returns the order's actions and the product writes for the caller's transaction."""
    if order.reserved is not None:  # reserved already (a retried acceptance)
        return [], []
    wanted: dict[str, int] = {}
    for line in order.lines:
        wanted[sku_key(line.sku)] = wanted.get(sku_key(line.sku), 0) + line.qty
    reserved: dict[str, int] = {}
    writes = []
    short = []
    for key, qty in sorted(wanted.items()):
        product = products.get(key)
        available = product.qty_available if product else 0
        take = min(qty, available)
        if take < qty:
            short.append(key)
        if take > 0 and product is not None:
            reserved[key] = take
            writes.append((ProductItem(product_pk(key), "PRODUCT"), [ProductItem.qty_reserved.add(take)], _held(product)))
    if strict and short:
        raise Conflict(f"Not enough stock left for {', '.join(short)}; your agent will contact you.",
                       code="insufficient_stock")
    return [OrderItem.reserved.set(json.dumps(reserved))], writes


def release_writes(order: OrderItem, products: dict[str, ProductItem]) -> tuple[list[Any], list[tuple[Any, list[Any], Any]]]:
    """Give back what the order still holds (cancelled, declined or expired after acceptance)."""
    held = reserved_of(order)
    writes = []
    for key, qty in held.items():
        product = products.get(key)
        if product is None or qty <= 0:
            continue
        give = min(qty, product.qty_reserved or 0)  # never below zero
        if give:
            writes.append((ProductItem(product_pk(key), "PRODUCT"), [ProductItem.qty_reserved.add(-give)], _held(product)))
    return [OrderItem.reserved.set(json.dumps({}))], writes


def shipped_writes(order_reserved: dict[str, int], ship: dict[str, int], products: dict[str, ProductItem]
                   ) -> tuple[dict[str, int], dict[str, int]]:
    """A delivery note takes `ship` out of stock: the order's reservation for those units ends with it.
    Returns (what leaves qty_reserved per SKU, what the order still holds)."""
    release: dict[str, int] = {}
    left = dict(order_reserved)
    for key, qty in ship.items():
        held = left.get(key, 0)
        give = min(qty, held, (products[key].qty_reserved or 0) if key in products else 0)
        if give:
            release[key] = give
            left[key] = held - give
    return release, left
