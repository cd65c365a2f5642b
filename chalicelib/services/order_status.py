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
from chalicelib.domain.fulfilment import DeliveryStatus, fulfilment_status
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store.models import OrderFlags, OrderItem, sku_key
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


def save_release(order: OrderItem, *, actions: tuple[Any, ...] = (),
                 also_update: tuple[tuple[Any, list[Any], Any], ...] = (), **change: Any) -> OrderItem:
    """`order_store.save_change(order, ...)` that ends an accepted order without delivery (cancel): its reservation
    and its uninvoiced exposure are given back in the same transaction (with `also_update`, the caller's other
    items: the order's delivery notes)."""
    for _attempt in range(ATTEMPTS):
        products = find_products(line.sku for line in order.lines)
        stock_actions, stock_writes = stock.release_writes(order, products)
        credit_actions, credit_writes = credit.release_writes(order)
        try:
            return order_store.save_change(order, actions=(*actions, *stock_actions, *credit_actions),
                                           also_update=(*also_update, *stock_writes, *credit_writes), **change)
        except order_store.SideEffectConflict:
            time.sleep(random.uniform(0.005, 0.03))
    raise Conflict("Stock is changing too fast; try again.", code="busy")


# --- fulfilment_status and invoice_status: kept on the order as its delivery notes and invoices change ---------

def changed_document_order(new_image: dict[str, Any] | None, old_image: dict[str, Any] | None) -> str | None:
    """The order whose delivery note or invoice changed status (or was paid), from a table-stream record's images
    (DynamoDB JSON); None for any other change. The table stream calls `refresh` for it: one place for both."""
    image = new_image or {}
    pk, sk = image.get("pk", {}).get("S", ""), image.get("sk", {}).get("S", "")
    if not ((pk.startswith("DN#") and sk == "DN") or (pk.startswith("INVOICE#") and sk == "INVOICE")):
        return None
    old = old_image or {}
    watched = ("status", "amount_paid", "lines")
    if old and all(old.get(k) == image.get(k) for k in watched):
        return None
    return image.get("order_id", {}).get("S") or None


def invoice_status_of(order_total: Decimal, invoices: list[Any]) -> str:
    """What the order's invoices say: none issued, issued, partly paid, paid (all of it), or one of them overdue."""
    issued = [i for i in invoices if i.status not in ("draft", "cancelled")]
    if not issued:
        return "not_invoiced"
    if any(i.status == "overdue" for i in issued):
        return "overdue"
    billed = sum((i.total for i in issued), Decimal(0))
    paid = sum((i.amount_paid or Decimal(0) for i in issued), Decimal(0))
    if all(i.status == "paid" for i in issued) and billed >= order_total:
        return "paid"
    if paid > 0:
        return "partially_paid"
    return "invoiced"


def fulfilment_status_of(order: OrderItem, notes: list[Any]) -> str | None:
    """How far delivery got (accepted orders only): the words of domain/fulfilment.fulfilment_status."""
    if order.status != "accepted":
        return None
    on_notes: dict[str, int] = {}
    for dn in notes:
        for line in dn.lines:
            on_notes[sku_key(line.sku)] = on_notes.get(sku_key(line.sku), 0) + line.qty
    covered = all(on_notes.get(sku_key(m.sku), 0) >= m.qty for m in order.lines)
    return fulfilment_status([DeliveryStatus(dn.status) for dn in notes], covered)


def refresh(order_id: str) -> tuple[str | None, str | None]:
    """Work out the order's fulfilment and invoice status from its notes and invoices and store them when they
    changed (a bookkeeping write, no new version). Safe to repeat; a constant number of reads."""
    order = order_store.get(order_id)
    fulfilment = fulfilment_status_of(order, dn_store.for_order(order_id))
    invoicing = invoice_status_of(order.total, invoice_store.for_order(order_id))
    if (fulfilment, invoicing) != (order.fulfilment_status, order.invoice_status):
        order_store.set_flags(order_id, [OrderFlags.fulfilment_status.set(fulfilment), OrderFlags.invoice_status.set(invoicing)])
    return fulfilment, invoicing
