"""VAT for a client's lines: domain/tax.py's rule applied with the supplier's configuration and the client's data."""
from __future__ import annotations

from dataclasses import replace

from chalicelib import config as app_config
from chalicelib.domain import tax
from chalicelib.domain.orders import OrderLine
from chalicelib.store.models import ClientItem, ProductItem


def client_country(client: ClientItem) -> str:
    """The client's country for VAT: its first (billing) address; the supplier's own when it has none."""
    return client.addresses[0].country if client.addresses else app_config.supplier().country


def treatment(client: ClientItem, *, rate, kind: str | None = None, exempt_reason: str | None = None) -> tax.VatTreatment:
    return tax.determine(supplier_country=app_config.supplier().country, client_country=client_country(client),
                         client_vat_number=client.vat_number, product_rate=rate, kind=kind or "goods",
                         exempt_reason=exempt_reason, intra_community_goods_as_k=app_config.intra_community_goods_as_k())


def for_product(client: ClientItem, product: ProductItem, line: OrderLine) -> OrderLine:
    """An order line priced for `client`, with the VAT category, rate and reason of this sale."""
    t = treatment(client, rate=product.vat_rate, kind=getattr(product, "kind", None),
                  exempt_reason=getattr(product, "vat_exempt_reason", None))
    return replace(line, vat_rate=t.rate, vat_category=t.code, vat_exemption_reason=t.exemption_reason)


def for_line(client: ClientItem, line: OrderLine) -> OrderLine:
    """A stored line without a category (priced before categories existed): decided now, as goods."""
    t = treatment(client, rate=line.vat_rate)
    return replace(line, vat_rate=t.rate, vat_category=t.code, vat_exemption_reason=t.exemption_reason)
