"""JSON shapes of the stored entities, in one place."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.domain.money import display_amount
from chalicelib.services.catalogue import CatalogueEntry
from chalicelib.store.models import ClientItem, PriceListItem, ProductItem, UserItem


def product_json(p: ProductItem) -> dict[str, Any]:
    return {
        "sku": p.sku, "name": p.name, "category": p.category, "unit": p.unit,
        "base_price": display_amount(p.base_price), "currency": p.currency, "vat_rate": p.vat_rate,
        "min_qty": p.min_qty, "max_qty": p.max_qty, "portal_visible": p.portal_visible,
        "qty_on_hand": p.qty_on_hand, "qty_reserved": p.qty_reserved, "qty_available": p.qty_available,
    }


def catalogue_json(entry: CatalogueEntry, *, show_stock: bool) -> dict[str, Any]:
    p, price = entry.product, entry.price
    body = {
        "sku": p.sku, "name": p.name, "category": p.category, "unit": p.unit,
        "price": display_amount(price.price), "currency": price.currency, "vat_rate": p.vat_rate,
        "price_source": price.source.value, "min_qty": p.min_qty, "max_qty": p.max_qty,
    }
    if show_stock:
        body["qty_available"] = p.qty_available
    return body


def client_json(c: ClientItem, contacts: list[UserItem] | None = None) -> dict[str, Any]:
    body = {
        "id": c.id, "name": c.name, "vat_number": c.vat_number, "group_id": c.group_id,
        "payment_term_days": c.payment_term_days, "credit_limit": display_amount(c.credit_limit), "currency": c.currency,
        "sale_agent_id": c.sale_agent_id, "auto_approve": c.auto_approve, "price_list_id": c.price_list_id,
        "balance": display_amount(c.balance or Decimal(0)), "addresses": [a.as_dict() for a in c.addresses],
    }
    if contacts is not None:
        body["contacts"] = [contact_json(u) for u in contacts]
    return body


def contact_json(u: UserItem) -> dict[str, Any]:
    return {
        "id": u.id, "email": u.email, "first_name": u.first_name, "last_name": u.last_name,
        "client_id": u.client_id, "permissions": u.permissions.as_dict() if u.permissions else {},
    }


def price_list_json(pl: PriceListItem) -> dict[str, Any]:
    return {
        "id": pl.id, "name": pl.name, "currency": pl.currency, "client_id": pl.client_id, "group_id": pl.group_id,
        "is_default": pl.is_default, "is_promotion": pl.is_promotion,
        "valid_from": pl.valid_from, "valid_to": pl.valid_to,
    }
