"""The one place an order's acceptance and its end move stock reservations and credit exposure with it, and where
the order's `fulfilment_status` and `invoice_status` are worked out from its delivery notes and invoices."""
from __future__ import annotations

import random
import time
from decimal import Decimal
from typing import Any

from chalicelib.domain.errors import Conflict
from chalicelib.services import credit, stock
from chalicelib.store import orders as order_store
from chalicelib.store.models import OrderItem
from chalicelib.store.products import find_products

ATTEMPTS = 12


def save_acceptance(order: OrderItem, *, strict: bool, total: Decimal | None = None,
                    actions: tuple[Any, ...] = (), **change: Any) -> OrderItem:
    """`order_store.save_change(order, ...)` that accepts the order, with its stock reserved and its total added to
    the client's exposure in the same transaction. A product that changed meanwhile: read again and retry.
    `strict`: every line must be reserved in full (409 `insufficient_stock`)."""
    for _attempt in range(ATTEMPTS):
        products = find_products(line.sku for line in order.lines)
        stock_actions, stock_writes = stock.reserve_writes(order, products, strict=strict)
        credit_actions, credit_writes = credit.accept_writes(order, order.total if total is None else total)
        try:
            return order_store.save_change(order, actions=(*actions, *stock_actions, *credit_actions),
                                           also_update=(*stock_writes, *credit_writes), **change)
        except order_store.SideEffectConflict:
            time.sleep(random.uniform(0.005, 0.03))
    raise Conflict("Stock is changing too fast; try again.", code="busy")


def save_release(order: OrderItem, *, actions: tuple[Any, ...] = (), **change: Any) -> OrderItem:
    """`order_store.save_change(order, ...)` that ends an accepted order without delivery (cancel): its reservation
    and its uninvoiced exposure are given back in the same transaction."""
    for _attempt in range(ATTEMPTS):
        products = find_products(line.sku for line in order.lines)
        stock_actions, stock_writes = stock.release_writes(order, products)
        credit_actions, credit_writes = credit.release_writes(order)
        try:
            return order_store.save_change(order, actions=(*actions, *stock_actions, *credit_actions),
                                           also_update=(*stock_writes, *credit_writes), **change)
        except order_store.SideEffectConflict:
            time.sleep(random.uniform(0.005, 0.03))
    raise Conflict("Stock is changing too fast; try again.", code="busy")
