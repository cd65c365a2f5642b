"""Delivery notes and the stock they move."""
from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.store.db import connection, one_page
from chalicelib.store.models import DeliveryNoteItem, OrderFlags, OrderItem, ProductItem, product_pk
from chalicelib.store.numbering import save_numbered
from chalicelib.store.orders import now

DN_SK = "DN"


def dn_pk(dn_id: str) -> str:
    return f"DN#{dn_id}"


def _index(dn: DeliveryNoteItem) -> None:
    created = dn.created_at.isoformat()
    dn.gsi1pk, dn.gsi1sk = f"CLIENT#{dn.client_id}#DNS", f"{created}#{dn.id}"
    dn.gsi2pk, dn.gsi2sk = f"ORDER#{dn.order_id}#DNS", f"{created}#{dn.id}"
    dn.gsi3pk, dn.gsi3sk = f"DNS#{dn.status}", f"{created}#{dn.id}"


def create(dn: DeliveryNoteItem) -> DeliveryNoteItem:
    """Store a new delivery note with the next DN number, while its order is still accepted (409
    `order_not_accepted`: a cancel landed first); 409 `document_exists` when its id is taken."""
    dn.pk, dn.sk = dn_pk(dn.id), DN_SK
    not_accepted = Conflict(f"Order {dn.order_number} is no longer accepted; only accepted orders are delivered.",
                            code="order_not_accepted")
    save_numbered(dn, series=f"DN-{dn.created_at.year}", index=lambda: _index(dn),
                  also_require=[(OrderItem, f"ORDER#{dn.order_id}", "ORDER", OrderItem.status == "accepted", not_accepted)],
                  exists_message="This delivery note already exists.")
    return get(dn.id)


def get(dn_id: str) -> DeliveryNoteItem:
    try:
        return DeliveryNoteItem.get(dn_pk(dn_id), DN_SK, consistent_read=True)
    except DeliveryNoteItem.DoesNotExist as exc:
        raise NotFound(f"No delivery note {dn_id}.", code="delivery_note_not_found") from exc


def find(dn_id: str) -> DeliveryNoteItem | None:
    try:
        return get(dn_id)
    except NotFound:
        return None


def for_order(order_id: str) -> list[DeliveryNoteItem]:
    return list(DeliveryNoteItem.by_order.query(f"ORDER#{order_id}#DNS"))


def for_client(client_id: str, *, limit: int, after: str | None) -> tuple[list[DeliveryNoteItem], str | None]:
    condition = DeliveryNoteItem.gsi1sk < after if after else None
    return one_page(DeliveryNoteItem.by_client.query(f"CLIENT#{client_id}#DNS", range_key_condition=condition,
                                                     scan_index_forward=False, page_size=limit + 1), limit, "gsi1sk")


def by_status(status: str, *, limit: int, after: str | None) -> tuple[list[DeliveryNoteItem], str | None]:
    condition = DeliveryNoteItem.gsi3sk > after if after else None
    return one_page(DeliveryNoteItem.by_status.query(f"DNS#{status}", range_key_condition=condition, page_size=limit + 1),
                    limit, "gsi3sk")


def change(dn: DeliveryNoteItem, *, status: str | None = None, actions: tuple[Any, ...] = (),
           condition: Any = None) -> DeliveryNoteItem:
    """Update the note as read (optimistic lock), moving its status index with its status."""
    all_actions = [*actions, DeliveryNoteItem.updated_at.set(now())]
    if status:
        all_actions += [DeliveryNoteItem.status.set(status), DeliveryNoteItem.gsi3pk.set(f"DNS#{status}")]
    try:
        dn.update(actions=all_actions, condition=condition)  # one item: a conditional UpdateItem (version checked by PynamoDB)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("The delivery note changed meanwhile; reload it and try again.", code="stale_version") from exc
        raise
    return dn  # UpdateItem answered with the stored item


def approve_with_stock(dn: DeliveryNoteItem, ship: dict[str, int], on_hand: dict[str, int],
                       lines: list[Any], backorder_id: str | None, reserved: dict[str, int] | None = None,
                       release: dict[str, int] | None = None, order_reserved: str | None = None) -> DeliveryNoteItem:
    """Approve the note and take its stock out, once: one transaction with every product's decrement.

    Each product update holds only if its stock is still what was read, so stock never goes below
    zero and a concurrent change makes the caller read again. `stock_applied` on the note makes a
    retry decrement nothing. `release`: the order's reservation these units end (qty_reserved goes down with
    qty_on_hand; `reserved` is what was read); `order_reserved`: what the order holds afterwards (JSON). The order
    must still be accepted: a cancel that lands first (services/cancellation.py) makes the approval read again.
    """
    reserved, release = reserved or {}, release or {}
    with TransactWrite(connection=connection()) as tx:
        actions = [DeliveryNoteItem.status.set("approved"), DeliveryNoteItem.gsi3pk.set("DNS#approved"),
                   DeliveryNoteItem.stock_applied.set(True), DeliveryNoteItem.lines.set(lines),
                   DeliveryNoteItem.updated_at.set(now())]
        if backorder_id is not None:
            actions.append(DeliveryNoteItem.backorder_id.set(backorder_id))
        tx.update(dn, actions=actions, condition=DeliveryNoteItem.stock_applied.does_not_exist()
                  | (DeliveryNoteItem.stock_applied == False))  # noqa: E712 - a DynamoDB condition, not a bool test
        for sku, qty in ship.items():
            product_actions = [ProductItem.qty_on_hand.add(-qty)]
            condition = (ProductItem.qty_on_hand == on_hand[sku]) & (ProductItem.qty_on_hand >= qty)
            if release.get(sku):
                product_actions.append(ProductItem.qty_reserved.add(-release[sku]))
                condition = condition & (ProductItem.qty_reserved == reserved[sku])
            tx.update(ProductItem(product_pk(sku), "PRODUCT"), actions=product_actions, condition=condition)
        still_accepted = OrderItem.status == "accepted"
        if order_reserved is not None:
            tx.update(OrderFlags(f"ORDER#{dn.order_id}", "ORDER"), actions=[OrderFlags.reserved.set(order_reserved)],
                      condition=still_accepted)
        else:
            tx.condition_check(OrderItem, f"ORDER#{dn.order_id}", "ORDER", condition=still_accepted)
    return get(dn.id)
