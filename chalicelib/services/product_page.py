"""What the buyer's product page shows beside the catalogue row: the list price their own price is measured against."""
from __future__ import annotations

from decimal import Decimal

from chalicelib.domain.pricing import PriceChain, PriceSource
from chalicelib.services.catalogue import CatalogueEntry
from chalicelib.services.pricing import chain_for, prices_for
from chalicelib.store.clients import get_client
from chalicelib.store.models import sku_key

NEGOTIATED = (PriceSource.CLIENT, PriceSource.GROUP, PriceSource.PROMOTION)


def list_price(client_id: str, entry: CatalogueEntry) -> Decimal | None:
    """The price anyone without a negotiated one pays (default list, else base price), when the client's price
    comes from a negotiated level and differs from it; None otherwise (nothing to compare)."""
    if entry.price.source not in NEGOTIATED:
        return None
    chain = chain_for(get_client(client_id))
    public = PriceChain(levels=tuple(level for level in chain.levels if level[0] == PriceSource.DEFAULT), currency=chain.currency)
    resolved = prices_for(public, [entry.product]).get(sku_key(entry.product.sku))
    if resolved is None:
        return None
    return resolved.price if resolved.price != entry.price.price else None
