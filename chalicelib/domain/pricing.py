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

Inside the winning list an item may carry volume tiers (`min_qty` -> price): the
lowest price among the item's own price and the tiers whose `min_qty` the ordered
quantity reaches is the price. Tiers never move a product to another level: the
level is chosen first, then the quantity picks the price inside that level's list
(for competing promotions, each promotion's price at that quantity is compared).

`explain_price` answers "why does this client pay this price": every level
consulted, with the reason it did or did not set the price. It calls the same
`build_chain` and `resolve_price` as the catalogue and ordering, so the trace can
never disagree with the price charged.
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
    name: str = ""

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
class Tier:
    """A volume price: from `min_qty` units on, each unit costs `price`."""

    min_qty: int
    price: Decimal


@dataclass(frozen=True)
class ListPrice:
    """One product's price in one list, with its volume tiers (lowest `min_qty` first)."""

    price: Decimal
    tiers: tuple[Tier, ...] = ()

    def at(self, qty: int) -> Decimal:
        """The lowest applicable price for `qty` units: the item's own price or a tier the quantity reaches."""
        return min([self.price, *(t.price for t in self.tiers if qty >= t.min_qty)])


@dataclass(frozen=True)
class ResolvedPrice:
    price: Decimal
    currency: str
    source: PriceSource
    price_list_id: str | None
    tiers: tuple[Tier, ...] = ()


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
        return pl is not None and why_not_in_force(pl, client_currency, today) is None

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


def why_not_in_force(pl: PriceListTerms, client_currency: str, today: date) -> str | None:
    """Why a list does not price this client today (wrong currency, outside its dates), or None when it does."""
    if pl.currency != client_currency:
        return f"In {pl.currency}; the client buys in {client_currency}."
    if pl.valid_from and today < pl.valid_from:
        return f"Starts on {pl.valid_from.isoformat()}."
    if pl.valid_to and today > pl.valid_to:
        return f"Ended on {pl.valid_to.isoformat()}."
    return None


def _as_list_price(value: Decimal | ListPrice) -> ListPrice:
    return value if isinstance(value, ListPrice) else ListPrice(value)


def resolve_price(
    product: ProductPrice,
    chain: PriceChain,
    list_prices: Mapping[tuple[str, str], Decimal | ListPrice],
    qty: int = 1,
) -> ResolvedPrice | None:
    """The client's price for `qty` units of one product, or None when nothing prices it in the client's currency.

    `list_prices` maps (price_list_id, sku) to the list's price (a `ListPrice` when it has tiers).
    """
    for source, lists in chain.levels:
        found = [(_as_list_price(list_prices[(pl.id, product.sku)]), pl.id) for pl in lists if (pl.id, product.sku) in list_prices]
        if found:
            price, list_id, item = min((item.at(qty), list_id, item) for item, list_id in found)
            return ResolvedPrice(price=price, currency=chain.currency, source=source, price_list_id=list_id, tiers=item.tiers)
    if product.currency == chain.currency:
        return ResolvedPrice(price=product.base_price, currency=product.currency, source=PriceSource.BASE, price_list_id=None)
    return None


@dataclass(frozen=True)
class PriceCandidates:
    """Every list that could price a client, before the rule judges them (the input of the trace)."""

    client_currency: str
    client_list: PriceListTerms | None
    group_list: PriceListTerms | None
    promotions: tuple[PriceListTerms, ...]
    default_list: PriceListTerms | None
    has_group: bool = False

    def chain(self, today: date) -> PriceChain:
        return build_chain(client_currency=self.client_currency, client_list=self.client_list,
                           group_list=self.group_list, promotions=self.promotions,
                           default_list=self.default_list, today=today)


@dataclass(frozen=True)
class TraceStep:
    level: PriceSource
    price_list_id: str | None
    name: str | None
    price: Decimal | None
    applies: bool
    reason: str


@dataclass(frozen=True)
class PriceExplanation:
    price: ResolvedPrice | None
    trace: tuple[TraceStep, ...]


def explain_price(
    product: ProductPrice,
    candidates: PriceCandidates,
    list_prices: Mapping[tuple[str, str], Decimal | ListPrice],
    today: date,
    qty: int = 1,
) -> PriceExplanation:
    """The price (by `resolve_price` itself) and, level by level, why each list did or did not set it.

    A step `applies` when its list is in force for this client and prices the product; the one that
    set the price says so, the others say what kept them out.
    """
    resolved = resolve_price(product, candidates.chain(today), list_prices, qty)
    currency = candidates.client_currency
    steps: list[TraceStep] = []

    def won(source: PriceSource, list_id: str | None) -> bool:
        return resolved is not None and resolved.source == source and resolved.price_list_id == list_id

    def step(source: PriceSource, pl: PriceListTerms | None, missing: str) -> None:
        if pl is None:
            steps.append(TraceStep(source, None, None, None, False, missing))
            return
        kept_out = why_not_in_force(pl, currency, today) or (
            "Not a promotion." if source is PriceSource.PROMOTION and not pl.is_promotion else None)
        item = list_prices.get((pl.id, product.sku))
        price = _as_list_price(item).at(qty) if item is not None else None
        if kept_out:
            steps.append(TraceStep(source, pl.id, pl.name, price, False, kept_out))
        elif item is None:
            steps.append(TraceStep(source, pl.id, pl.name, None, False, f"Has no price for {product.sku}."))
        elif won(source, pl.id):
            tier = " (volume price for this quantity)" if price is not None and price < _as_list_price(item).price else ""
            steps.append(TraceStep(source, pl.id, pl.name, price, True, f"Sets the price{tier}: the first level with a price."))
        elif resolved is not None and resolved.source == source:
            steps.append(TraceStep(source, pl.id, pl.name, price, True, "Another promotion has a lower price."))
        else:
            steps.append(TraceStep(source, pl.id, pl.name, price, True, "Has a price, but a higher level sets it."))

    step(PriceSource.CLIENT, candidates.client_list, "The client has no price list of its own.")
    step(PriceSource.GROUP, candidates.group_list,
         "The client's group has no price list." if candidates.has_group else "The client is in no group.")
    if candidates.promotions:
        for promotion in sorted(candidates.promotions, key=lambda pl: pl.id):
            step(PriceSource.PROMOTION, promotion, "")
    else:
        steps.append(TraceStep(PriceSource.PROMOTION, None, None, None, False, "No promotion exists."))
    step(PriceSource.DEFAULT, candidates.default_list, "There is no default price list.")
    if product.currency != currency:
        steps.append(TraceStep(PriceSource.BASE, None, None, product.base_price, False,
                               f"The base price is in {product.currency}; the client buys in {currency}."))
    elif won(PriceSource.BASE, None):
        steps.append(TraceStep(PriceSource.BASE, None, None, product.base_price, True, "Sets the price: no list prices it."))
    else:
        steps.append(TraceStep(PriceSource.BASE, None, None, product.base_price, True, "Not reached: a list prices it."))
    return PriceExplanation(resolved, tuple(steps))
