"""Negotiated price resolution: the supplier's price hierarchy, in one place.

For a client and a product the first level that has a price wins:

1. the price list assigned directly to the client;
2. the price list assigned to the client's group;
3. an active promotional price list (today inside its date window);
4. the default price list;
5. the product's base price.

A list only applies when it is in the client's currency; a product whose
base price is in another currency and that no applicable list prices is not
orderable by that client. When several promotions are active and price the
same product, the lowest price wins (ties go to the list with the smaller id,
so the answer never depends on read order).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum


class PriceSource(str, Enum):
    CLIENT = "client"
    GROUP = "group"
    PROMOTION = "promotion"
    DEFAULT = "default"
    BASE = "base"


@dataclass(frozen=True)
class PriceListTerms:
    """What pricing needs to know of a price list (not its items)."""

    id: str
    currency: str
    is_promotion: bool = False
    valid_from: date | None = None
    valid_to: date | None = None

    def is_active_on(self, day: date) -> bool:
        if self.valid_from and day < self.valid_from:
            return False
        if self.valid_to and day > self.valid_to:
            return False
        return True


@dataclass(frozen=True)
class PriceChain:
    """The price lists that apply to one client today, highest level first."""

    levels: tuple[tuple[PriceSource, tuple[PriceListTerms, ...]], ...]
    currency: str

    @property
    def list_ids(self) -> list[str]:
        return [pl.id for _, lists in self.levels for pl in lists]


@dataclass(frozen=True)
class ResolvedPrice:
    price: Decimal
    currency: str
    source: PriceSource
    price_list_id: str | None


@dataclass(frozen=True)
class ProductPrice:
    """The product's own base price."""

    sku: str
    base_price: Decimal
    currency: str


def build_chain(
    *,
    client_currency: str,
    client_list: PriceListTerms | None,
    group_list: PriceListTerms | None,
    promotions: Iterable[PriceListTerms],
    default_list: PriceListTerms | None,
    today: date,
) -> PriceChain:
    """Order the candidate lists by level, dropping those that do not apply today or in this currency."""

    def applies(pl: PriceListTerms | None) -> bool:
        return pl is not None and pl.currency == client_currency and pl.is_active_on(today)

    active_promotions = tuple(
        sorted((pl for pl in promotions if pl.is_promotion and applies(pl)), key=lambda pl: pl.id)
    )
    candidates = (
        (PriceSource.CLIENT, (client_list,) if applies(client_list) else ()),
        (PriceSource.GROUP, (group_list,) if applies(group_list) else ()),
        (PriceSource.PROMOTION, active_promotions),
        (PriceSource.DEFAULT, (default_list,) if applies(default_list) else ()),
    )
    return PriceChain(levels=tuple((src, lists) for src, lists in candidates if lists), currency=client_currency)


def resolve_price(
    product: ProductPrice,
    chain: PriceChain,
    list_prices: Mapping[tuple[str, str], Decimal],
) -> ResolvedPrice | None:
    """The client's price for one product, or None when nothing prices it in the client's currency.

    `list_prices` maps (price_list_id, sku) to the list's price for the product.
    """
    for source, lists in chain.levels:
        found = [(list_prices[(pl.id, product.sku)], pl.id) for pl in lists if (pl.id, product.sku) in list_prices]
        if found:
            price, list_id = min(found)
            return ResolvedPrice(price=price, currency=chain.currency, source=source, price_list_id=list_id)
    if product.currency == chain.currency:
        return ResolvedPrice(price=product.base_price, currency=product.currency, source=PriceSource.BASE, price_list_id=None)
    return None
