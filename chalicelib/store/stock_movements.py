"""The stock movement log: every counted-stock change staff make, with its reason.

    stock movement   pk PRODUCT#<SKU>   sk MOVE#<at ISO>#<random>   (newest first: Query, descending)

Movements live in the product's own partition, so the product page reads its latest ones with one Query;
the movement is written in the same transaction as the stock change (store/products.adjust_stock).
"""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.store.attributes import IntegerAttribute
from chalicelib.store.models import TableItem, product_pk, sku_key

MOVE_PREFIX = "MOVE#"


class StockMovementItem(TableItem):
    sku = UnicodeAttribute()
    delta = IntegerAttribute()
    reason = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    actor_id = UnicodeAttribute()
    actor_name = UnicodeAttribute()
    at = UTCDateTimeAttribute()


def new_movement(sku: str, delta: int, reason: str, note: str | None, actor_id: str, actor_name: str) -> StockMovementItem:
    at = datetime.now(timezone.utc)
    return StockMovementItem(product_pk(sku), f"{MOVE_PREFIX}{at.isoformat()}#{secrets.token_hex(3)}",
                             sku=sku_key(sku), delta=delta, reason=reason, note=note, actor_id=actor_id,
                             actor_name=actor_name, at=at)


def latest(sku: str, *, limit: int = 50, before: str | None = None) -> tuple[list[StockMovementItem], str | None]:
    """The product's movements, newest first, one Query a page; the sort key to read on from, or None."""
    condition = StockMovementItem.sk < before if before else StockMovementItem.sk.startswith(MOVE_PREFIX)
    if before:
        condition = StockMovementItem.sk.between(MOVE_PREFIX, before)
    result = StockMovementItem.query(product_pk(sku), range_key_condition=condition, scan_index_forward=False,
                                     limit=limit, page_size=limit)
    items = [m for m in result if m.sk != before]
    last = result.last_evaluated_key
    return items, (last["sk"]["S"] if last else None)
