"""Price lists, their items, and who they are assigned to.

A list is assigned to at most one owner: a client, a client group, or the
whole supplier (the default list, or a promotion). The assignment is written
on the owner's own item (`price_list_id` on the client or group) or on the
default marker, in the same transaction as the list, so a client or group can
never end up with two lists.
"""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.pricing import ListPrice, Tier
from chalicelib.store.clients import CLIENT_SK, GROUP_SK
from chalicelib.store.db import connection, failed_conditions
from chalicelib.store.models import (
    ClientGroupItem,
    ClientItem,
    MarkerItem,
    PriceItem,
    PriceListItem,
    TierMap,
    client_pk,
    group_pk,
    price_item_sk,
    price_list_owner,
    price_list_pk,
    sku_key,
)

PRICE_LIST_SK = "PRICELIST"
DEFAULT_MARKER = "PRICELIST_DEFAULT"
GLOBAL_OWNER = price_list_owner(is_global=True)


def create_price_list(price_list: PriceListItem, prices: dict[str, Decimal]) -> None:
    """Store a list and its prices; the list becomes visible (and assigned) only once all prices are in."""
    price_list.pk, price_list.sk = price_list_pk(price_list.id), PRICE_LIST_SK
    is_global = bool(price_list.is_default or price_list.is_promotion)
    price_list.gsi1pk = price_list_owner(client_id=price_list.client_id, group_id=price_list.group_id, is_global=is_global)
    price_list.gsi1sk = price_list.id
    price_list.gsi2pk, price_list.gsi2sk = "PRICELISTS", f"{price_list.name.lower()}#{price_list.id}"

    _write_prices(price_list.id, prices)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(price_list, condition=PriceListItem.pk.does_not_exist())
            if price_list.client_id:
                tx.update(
                    ClientItem(client_pk(price_list.client_id), CLIENT_SK),
                    actions=[ClientItem.price_list_id.set(price_list.id)],
                    condition=ClientItem.pk.exists() & ClientItem.price_list_id.does_not_exist(),
                )
            elif price_list.group_id:
                tx.update(
                    ClientGroupItem(group_pk(price_list.group_id), GROUP_SK),
                    actions=[ClientGroupItem.price_list_id.set(price_list.id)],
                    condition=ClientGroupItem.pk.exists() & ClientGroupItem.price_list_id.does_not_exist(),
                )
            elif price_list.is_default:
                tx.save(
                    MarkerItem(DEFAULT_MARKER, DEFAULT_MARKER, ref=price_list.id),
                    condition=MarkerItem.pk.does_not_exist(),
                )
    except TransactWriteError as exc:
        _delete_prices(price_list.id, prices)
        failed = failed_conditions(exc)
        if len(failed) > 1 and failed[1]:
            owner = "client" if price_list.client_id else "client group" if price_list.group_id else "supplier"
            raise Conflict(
                f"This {owner} already has a price list (or does not exist); edit that list instead.",
                code="price_list_exists",
                field="client_id" if price_list.client_id else "group_id" if price_list.group_id else "is_default",
            ) from exc
        raise


def _price_item(price_list_id: str, sku: str, price: Decimal | ListPrice) -> PriceItem:
    item = price if isinstance(price, ListPrice) else ListPrice(price)
    tiers = [TierMap(min_qty=t.min_qty, price=t.price) for t in item.tiers] or None
    return PriceItem(price_list_pk(price_list_id), price_item_sk(sku), sku=sku, price=item.price, tiers=tiers)


def list_price(item: PriceItem) -> ListPrice:
    return ListPrice(item.price, tuple(Tier(t.min_qty, t.price) for t in sorted(item.tiers or [], key=lambda t: t.min_qty)))


def _write_prices(price_list_id: str, prices: dict[str, Decimal | ListPrice]) -> None:
    """Batched puts, 25 a call: safe to repeat (a put of the same price is the same item)."""
    with PriceItem.batch_write() as batch:
        for sku, price in prices.items():
            batch.save(_price_item(price_list_id, sku, price))


def write_prices(price_list_id: str, prices: dict[str, Decimal | ListPrice]) -> None:
    _write_prices(price_list_id, prices)


def _delete_prices(price_list_id: str, prices: Iterable[str]) -> None:
    with PriceItem.batch_write() as batch:
        for sku in prices:
            batch.delete(PriceItem(price_list_pk(price_list_id), price_item_sk(sku)))


def get_price_list(price_list_id: str) -> PriceListItem:
    try:
        return PriceListItem.get(price_list_pk(price_list_id), PRICE_LIST_SK)
    except PriceListItem.DoesNotExist as exc:
        raise NotFound(f"No price list {price_list_id}.", code="price_list_not_found") from exc


def find_price_lists(ids: Iterable[str]) -> dict[str, PriceListItem]:
    keys = [(price_list_pk(i), PRICE_LIST_SK) for i in set(ids)]
    return {pl.id: pl for pl in PriceListItem.batch_get(keys)} if keys else {}


def price_list_prices(price_list_id: str) -> list[PriceItem]:
    return list(PriceItem.query(price_list_pk(price_list_id), PriceItem.sk.startswith("ITEM#")))


def set_price(price_list_id: str, sku: str, price: Decimal | ListPrice) -> None:
    _price_item(price_list_id, sku, price).save()


def find_price(price_list_id: str, sku: str) -> PriceItem | None:
    try:
        return PriceItem.get(price_list_pk(price_list_id), price_item_sk(sku))
    except PriceItem.DoesNotExist:
        return None


def delete_price(price_list_id: str, sku: str) -> None:
    PriceItem(price_list_pk(price_list_id), price_item_sk(sku)).delete()


def _owner_release(tx: TransactWrite, pl: PriceListItem) -> None:
    """Take the list off its owner (client, group or the default marker), only if the owner still points at it."""
    if pl.client_id:
        tx.update(ClientItem(client_pk(pl.client_id), CLIENT_SK), actions=[ClientItem.price_list_id.remove()],
                  condition=ClientItem.price_list_id == pl.id)
    elif pl.group_id:
        tx.update(ClientGroupItem(group_pk(pl.group_id), GROUP_SK), actions=[ClientGroupItem.price_list_id.remove()],
                  condition=ClientGroupItem.price_list_id == pl.id)
    elif pl.is_default:
        tx.delete(MarkerItem(DEFAULT_MARKER, DEFAULT_MARKER), condition=MarkerItem.ref == pl.id)


def _owner_claim(tx: TransactWrite, pl: PriceListItem) -> None:
    """Give the list to its new owner, refused when that owner has a list already."""
    if pl.client_id:
        tx.update(ClientItem(client_pk(pl.client_id), CLIENT_SK), actions=[ClientItem.price_list_id.set(pl.id)],
                  condition=ClientItem.pk.exists() & ClientItem.price_list_id.does_not_exist())
    elif pl.group_id:
        tx.update(ClientGroupItem(group_pk(pl.group_id), GROUP_SK), actions=[ClientGroupItem.price_list_id.set(pl.id)],
                  condition=ClientGroupItem.pk.exists() & ClientGroupItem.price_list_id.does_not_exist())
    elif pl.is_default:
        tx.save(MarkerItem(DEFAULT_MARKER, DEFAULT_MARKER, ref=pl.id), condition=MarkerItem.pk.does_not_exist())


def _owner(pl: PriceListItem) -> tuple[str | None, str | None, bool]:
    return pl.client_id, pl.group_id, bool(pl.is_default)


def update_price_list(before: PriceListItem, after: PriceListItem) -> None:
    """Store a list's new header; when its owner changes, the old owner lets go and the new one takes it in the
    same transaction (409 `price_list_exists` when the new owner has a list already)."""
    after.pk, after.sk = before.pk, before.sk
    after.gsi1pk = price_list_owner(client_id=after.client_id, group_id=after.group_id,
                                    is_global=bool(after.is_default or after.is_promotion))
    after.gsi1sk = after.id
    after.gsi2pk, after.gsi2sk = "PRICELISTS", f"{after.name.lower()}#{after.id}"
    moved = _owner(before) != _owner(after)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(after, condition=PriceListItem.pk.exists())
            if moved:
                _owner_release(tx, before)
                _owner_claim(tx, after)
    except TransactWriteError as exc:
        if not any(failed_conditions(exc)):
            raise
        get_price_list(before.id)  # 404 when the list went meanwhile
        if moved:  # items go grouped by kind, not in call order: the claim is what fails in practice
            field = "client_id" if after.client_id else "group_id" if after.group_id else "is_default"
            raise Conflict("That client, group or the default already has a price list (or does not exist); "
                           "edit that list instead.", code="price_list_exists", field=field) from exc
        raise


def delete_price_list(pl: PriceListItem) -> None:
    """Delete a list: first it stops pricing anyone (list and assignment together), then its prices go."""
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.delete(pl, condition=PriceListItem.pk.exists())
            _owner_release(tx, pl)
    except TransactWriteError as exc:
        if any(failed_conditions(exc)):
            get_price_list(pl.id)  # 404 when it went meanwhile; else its owner changed under us
            raise Conflict("This list's assignment changed meanwhile; reload and try again.", code="stale") from exc
        raise
    _delete_prices(pl.id, [item.sku for item in price_list_prices(pl.id)])


def lists_owned_by(*, client_id: str | None = None, group_id: str | None = None) -> list[PriceListItem]:
    return list(PriceListItem.by_owner.query(price_list_owner(client_id=client_id, group_id=group_id)))


def global_lists() -> list[PriceListItem]:
    """The default list and every promotion, active or not."""
    return list(PriceListItem.by_owner.query(GLOBAL_OWNER))


def all_lists() -> list[PriceListItem]:
    return list(PriceListItem.all_lists.query("PRICELISTS"))


def prices_for(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ListPrice]:
    """List prices (with tiers) for (price_list_id, sku) pairs, keyed by (price_list_id, SKU key); BatchGetItem,
    100 keys a call."""
    keys = {(price_list_pk(list_id), price_item_sk(sku)) for list_id, sku in pairs}
    found = PriceItem.batch_get(list(keys)) if keys else []
    return {(item.pk.removeprefix("PRICELIST#"), sku_key(item.sku)): list_price(item) for item in found}

