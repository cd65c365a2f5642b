"""Reading a client's price chain and prices from the store (the rule itself is domain/pricing.py)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from chalicelib.config import settings
from chalicelib.domain.errors import NotFound
from chalicelib.domain.pricing import (
    PriceCandidates, PriceChain, PriceExplanation, PriceListTerms, ProductPrice, ResolvedPrice, explain_price, resolve_price,
)
from chalicelib.store import price_lists
from chalicelib.store import products as product_store
from chalicelib.store.clients import get_client, get_group
from chalicelib.store.models import ClientItem, PriceListItem, ProductItem, sku_key


def supplier_today() -> date:
    """Promotions start and end on the supplier's calendar, not UTC's."""
    return datetime.now(ZoneInfo(settings().supplier_timezone)).date()


def terms(pl: PriceListItem) -> PriceListTerms:
    return PriceListTerms(pl.id, pl.currency, bool(pl.is_promotion), pl.valid_from, pl.valid_to, pl.name)


def candidates_for(client: ClientItem) -> PriceCandidates:
    """Every list that could price this client: its own, its group's, the promotions and the default."""
    group_list_id = get_group(client.group_id).price_list_id if client.group_id else None
    own = price_lists.find_price_lists(i for i in (client.price_list_id, group_list_id) if i)
    global_lists = price_lists.global_lists()
    return PriceCandidates(
        client_currency=client.currency,
        client_list=terms(own[client.price_list_id]) if client.price_list_id in own else None,
        group_list=terms(own[group_list_id]) if group_list_id in own else None,
        promotions=tuple(terms(pl) for pl in global_lists if pl.is_promotion),
        default_list=next((terms(pl) for pl in global_lists if pl.is_default), None),
        has_group=bool(client.group_id),
    )


def chain_for(client: ClientItem, today: date | None = None) -> PriceChain:
    """The lists that price this client's catalogue today, highest level first."""
    return candidates_for(client).chain(today or supplier_today())


def prices_for(chain: PriceChain, products: Iterable[ProductItem],
               quantities: Mapping[str, int] | None = None) -> dict[str, ResolvedPrice]:
    """Resolved price per SKU key (for the quantity in `quantities`, 1 when absent: volume tiers);
    products nothing prices in the client's currency are absent."""
    products = list(products)
    quantities = quantities or {}
    pairs = [(list_id, p.sku) for p in products for list_id in chain.list_ids]
    list_prices = price_lists.prices_for(pairs)
    resolved = {}
    for product in products:
        key = sku_key(product.sku)
        price = resolve_price(ProductPrice(key, product.base_price, product.currency), chain, list_prices,
                              quantities.get(key, 1))
        if price is not None:
            resolved[key] = price
    return resolved


def explain(client_id: str, sku: str, qty: int = 1, today: date | None = None) -> tuple[ProductItem, PriceExplanation]:
    """Why this client pays what it pays for `qty` units of `sku`: the domain rule's own trace."""
    client = get_client(client_id)
    product = product_store.find_products([sku]).get(sku_key(sku))
    if product is None:
        raise NotFound(f"No product {sku}.", code="product_not_found")
    candidates = candidates_for(client)
    ids = [pl.id for pl in (candidates.client_list, candidates.group_list, candidates.default_list, *candidates.promotions) if pl]
    list_prices = price_lists.prices_for([(i, product.sku) for i in ids])
    key = sku_key(product.sku)
    return product, explain_price(ProductPrice(key, product.base_price, product.currency), candidates, list_prices,
                                  today or supplier_today(), qty)


def client_currency(client_id: str) -> str:
    return get_client(client_id).currency
