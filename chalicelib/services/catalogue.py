"""The portal catalogue: visible products at the calling client's own prices."""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.pricing import PriceChain, ResolvedPrice
from chalicelib.domain.search import name_words
from chalicelib.domain.errors import NotFound
from chalicelib.services.pricing import chain_for, prices_for
from chalicelib.store import products as product_store
from chalicelib.store.clients import get_client
from chalicelib.store.models import ProductItem, sku_key


MAX_WORD_ROUNDS = 2  # pages of a word's postings read per request: a search request costs the same at any catalogue size


@dataclass(frozen=True)
class CatalogueEntry:
    product: ProductItem
    price: ResolvedPrice


@dataclass(frozen=True)
class CataloguePage:
    entries: list[CatalogueEntry]
    after_sku: str | None


def browse(client_id: str, *, category: str | None, query: str | None, limit: int, after_sku: str | None) -> CataloguePage:
    """One page of the client's catalogue in SKU order.

    `query` matches SKUs starting with it and names holding all of its words;
    products with no price for this client are left out. A name search reads a bounded part of the
    word index per request: a page can come back short (even empty) with a cursor to read on.
    """
    chain = chain_for(get_client(client_id))
    candidates, frontier = _candidates(category=category, query=(query or "").strip(), limit=limit + 1, after_sku=after_sku)
    if len(candidates) > limit:
        candidates, cursor = candidates[:limit], sku_key(candidates[limit - 1].sku)
    else:
        cursor = frontier
    return CataloguePage(_priced(chain, candidates), cursor)


def one(client_id: str, sku: str) -> CatalogueEntry:
    """One product as the client sees it; 404 when hidden or not priced for this client."""
    product = product_store.find_products([sku]).get(sku_key(sku))
    if product is None or not product.portal_visible:
        raise NotFound(f"No product {sku} in your catalogue.", code="product_not_found")
    entries = _priced(chain_for(get_client(client_id)), [product])
    if not entries:
        raise NotFound(f"No product {sku} in your catalogue.", code="product_not_found")
    return entries[0]


def _priced(chain: PriceChain, candidates: list[ProductItem]) -> list[CatalogueEntry]:
    prices = prices_for(chain, candidates)
    return [CatalogueEntry(p, prices[sku_key(p.sku)]) for p in candidates if sku_key(p.sku) in prices]


def _candidates(*, category: str | None, query: str, limit: int, after_sku: str | None) -> tuple[list[ProductItem], str | None]:
    """Candidates in SKU order, and where a bounded name search stopped (None when it read everything)."""
    if not query:
        return list(product_store.catalogue_page(category=category, prefix=None, after_sku=after_sku, limit=limit)), None
    by_code: list[ProductItem] = []
    if " " not in query:
        by_code = list(product_store.catalogue_page(category=category, prefix=query, after_sku=after_sku, limit=limit))
    by_name, frontier = name_matches(query, category=category, after_sku=after_sku, limit=limit)
    merged = {sku_key(p.sku): p for p in by_code + by_name}
    keys = sorted(k for k in merged if frontier is None or k <= frontier)  # nothing past where the name search stopped
    return [merged[k] for k in keys][:limit], frontier


def name_matches(query: str, *, category: str | None, after_sku: str | None, limit: int,
                 visible_only: bool = True) -> tuple[list[ProductItem], str | None]:
    """Products (visible ones, unless staff ask) whose name holds every word of the query, in SKU order, reading at most
    MAX_WORD_ROUNDS pages of the longest word's postings; the SKU it stopped at when it did not finish."""
    words = name_words(query)
    if not words:
        return [], None
    lead = max(words, key=len)  # the longest word is usually the rarest
    matches: list[ProductItem] = []
    cursor = after_sku
    for _round in range(MAX_WORD_ROUNDS):
        skus = product_store.skus_with_word(lead, after_sku=cursor, category=category, limit=limit)
        if not skus:
            return matches, None
        found = product_store.find_products(skus)
        for key in skus:
            product = found.get(key)
            if product and (product.portal_visible or not visible_only) and set(words) <= set(name_words(product.name)):
                matches.append(product)
        if len(skus) < limit:
            return matches[:limit], None
        cursor = skus[-1]
        if len(matches) >= limit:
            return matches[:limit], None
    return matches[:limit], cursor
