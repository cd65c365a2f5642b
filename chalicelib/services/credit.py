"""Credit exposure: what a client owes (open receivables) plus what it has committed to (accepted orders not yet
invoiced). The one figure the review's credit check, the cart's headroom, the dashboard and the client page use.

Constant cost: both parts are running amounts on the client item (`balance` moves with invoices and payments in
store/invoices.py, `uninvoiced_accepted` moves in the same transaction as an order's acceptance and its invoices),
so reading the exposure is one GetItem, never a query over orders.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.domain.money import to_money
from chalicelib.store.clients import get_client
from chalicelib.store.models import ClientItem, OrderFlags, OrderItem, client_pk


def credit_exposure(client: str | ClientItem) -> Decimal:
    """Open receivables + accepted orders not yet invoiced."""
    item = get_client(client) if isinstance(client, str) else client
    return to_money((item.balance or Decimal(0)) + (item.uninvoiced_accepted or Decimal(0)))


def credit_available(client: str | ClientItem) -> Decimal:
    """Credit limit - exposure (negative when the client is over its limit). Takes a client id or a client read."""
    item = get_client(client) if isinstance(client, str) else client
    return to_money(item.credit_limit - credit_exposure(item))


# --- the writes that keep `uninvoiced_accepted` true (made inside the caller's transaction) -------------------

def _client(client_id: str) -> ClientItem:
    return ClientItem(client_pk(client_id), "CLIENT")


def accept_writes(order: OrderItem, total: Decimal) -> tuple[list[Any], list[tuple[Any, list[Any], Any]]]:
    """An order becomes accepted: its total joins the client's exposure (the order remembers how much)."""
    if order.exposure:  # already counted (a retried acceptance)
        return [], []
    return [OrderItem.exposure.set(total)], [(_client(order.client_id), [ClientItem.uninvoiced_accepted.add(total)], None)]


def invoice_updates(order: OrderItem, invoiced: Decimal) -> tuple[list[Any], list[tuple[Any, list[Any]]]]:
    """An invoice for (part of) the order: that much leaves the uninvoiced part (the invoice enters `balance`).
    Returns the client's actions (joined to the invoice's own client update) and the order's update."""
    amount = min(invoiced, order.exposure or Decimal(0))
    if amount <= 0:
        return [], []
    return [ClientItem.uninvoiced_accepted.add(-amount)], [(OrderFlags(order.pk, order.sk), [OrderFlags.exposure.add(-amount)])]


def release_writes(order: OrderItem) -> tuple[list[Any], list[tuple[Any, list[Any], Any]]]:
    """An accepted order ends without its invoice (cancelled): what is still counted leaves the exposure."""
    if not order.exposure:
        return [], []
    return [OrderItem.exposure.set(Decimal(0))], [(_client(order.client_id), [ClientItem.uninvoiced_accepted.add(-order.exposure)], None)]
