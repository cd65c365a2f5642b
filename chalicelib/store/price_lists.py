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
from chalicelib.store.clients import CLIENT_SK, GROUP_SK
from chalicelib.store.db import connection, failed_conditions
from chalicelib.store.models import (
    ClientGroupItem,
    ClientItem,
    MarkerItem,
    PriceItem,
    PriceListItem,
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


def _write_prices(price_list_id: str, prices: dict[str, Decimal]) -> None:
    with PriceItem.batch_write() as batch:
        for sku, price in prices.items():
            batch.save(PriceItem(price_list_pk(price_list_id), price_item_sk(sku), sku=sku, price=price))


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


def set_price(price_list_id: str, sku: str, price: Decimal) -> None:
    PriceItem(price_list_pk(price_list_id), price_item_sk(sku), sku=sku, price=price).save()


def lists_owned_by(*, client_id: str | None = None, group_id: str | None = None) -> list[PriceListItem]:
    return list(PriceListItem.by_owner.query(price_list_owner(client_id=client_id, group_id=group_id)))


def global_lists() -> list[PriceListItem]:
    """The default list and every promotion, active or not."""
    return list(PriceListItem.by_owner.query(GLOBAL_OWNER))


def all_lists() -> list[PriceListItem]:
    return list(PriceListItem.all_lists.query("PRICELISTS"))


def prices_for(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Decimal]:
    """List prices for (price_list_id, sku) pairs, keyed by (price_list_id, SKU key); BatchGetItem, 100 keys a call."""
    keys = {(price_list_pk(list_id), price_item_sk(sku)) for list_id, sku in pairs}
    found = PriceItem.batch_get(list(keys)) if keys else []
    return {(item.pk.removeprefix("PRICELIST#"), sku_key(item.sku)): item.price for item in found}

