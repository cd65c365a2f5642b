"""Reading a client's price chain and prices from the store (the rule itself is domain/pricing.py)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from chalicelib.config import settings
from chalicelib.domain.pricing import PriceChain, PriceListTerms, ProductPrice, ResolvedPrice, build_chain, resolve_price
from chalicelib.store import price_lists
from chalicelib.store.clients import get_group
from chalicelib.store.models import ClientItem, PriceListItem, ProductItem, sku_key


def supplier_today() -> date:
    """Promotions start and end on the supplier's calendar, not UTC's."""
    return datetime.now(ZoneInfo(settings().supplier_timezone)).date()


def terms(pl: PriceListItem) -> PriceListTerms:
    return PriceListTerms(pl.id, pl.currency, bool(pl.is_promotion), pl.valid_from, pl.valid_to)


def chain_for(client: ClientItem, today: date | None = None) -> PriceChain:
    """The lists that price this client's catalogue today, highest level first."""
    group_list_id = get_group(client.group_id).price_list_id if client.group_id else None
    own = price_lists.find_price_lists(i for i in (client.price_list_id, group_list_id) if i)
    global_lists = price_lists.global_lists()
    return build_chain(
        client_currency=client.currency,
        client_list=terms(own[client.price_list_id]) if client.price_list_id in own else None,
        group_list=terms(own[group_list_id]) if group_list_id in own else None,
        promotions=[terms(pl) for pl in global_lists if pl.is_promotion],
        default_list=next((terms(pl) for pl in global_lists if pl.is_default), None),
        today=today or supplier_today(),
    )


def prices_for(chain: PriceChain, products: Iterable[ProductItem]) -> dict[str, ResolvedPrice]:
    """Resolved price per SKU key; products nothing prices in the client's currency are absent."""
    products = list(products)
    pairs = [(list_id, p.sku) for p in products for list_id in chain.list_ids]
    list_prices = price_lists.prices_for(pairs)
    resolved = {}
    for product in products:
        key = sku_key(product.sku)
        price = resolve_price(ProductPrice(key, product.base_price, product.currency), chain, list_prices)
        if price is not None:
            resolved[key] = price
    return resolved
