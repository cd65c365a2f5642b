"""Price list administration: create, clone, change one price."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.domain.errors import NotFound, ValidationFailed, referenced
from chalicelib.services.setup import new_id
from chalicelib.store import clients as client_store
from chalicelib.store import price_lists as store
from chalicelib.store import products as product_store
from chalicelib.store.models import PriceItem, PriceListItem, sku_key


def create(fields: dict[str, Any]) -> PriceListItem:
    """A new list with its prices, assigned to a client, a group, the whole supplier (default) or as a promotion."""
    prices = _checked_prices(fields.get("items", []))
    price_list = _new_list(fields)
    store.create_price_list(price_list, prices)
    return price_list


def clone(source_id: str, fields: dict[str, Any]) -> PriceListItem:
    """A copy of a list's prices under a new name and owner (typically a client's negotiated list)."""
    source = store.get_price_list(source_id)
    if not (fields.get("client_id") or fields.get("group_id")):
        raise ValidationFailed("A clone is for a client or a client group: give client_id or group_id.",
                               code="missing_field", field="client_id")
    prices = {item.sku: item.price for item in store.price_list_prices(source_id)}
    price_list = _new_list({"name": fields["name"], "currency": source.currency,
                            "client_id": fields.get("client_id"), "group_id": fields.get("group_id"),
                            "valid_from": source.valid_from, "valid_to": source.valid_to})
    store.create_price_list(price_list, prices)
    return price_list


def set_price(price_list_id: str, sku: str, price: Decimal) -> PriceItem:
    store.get_price_list(price_list_id)
    product = product_store.find_products([sku]).get(sku_key(sku))
    if product is None:
        raise NotFound(f"No product {sku}.", code="product_not_found")
    store.set_price(price_list_id, product.sku, price)
    return PriceItem(sku=product.sku, price=price)


def _new_list(fields: dict[str, Any]) -> PriceListItem:
    owners = [name for name in ("client_id", "group_id", "is_default", "is_promotion") if fields.get(name)]
    if len(owners) > 1:
        raise ValidationFailed(
            "A price list belongs to one of: a client, a client group, the default, or a promotion.",
            code="conflicting_assignment",
            field=owners[1],
        )
    valid_from, valid_to = _date(fields.get("valid_from"), "valid_from"), _date(fields.get("valid_to"), "valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationFailed("valid_to is before valid_from.", code="invalid_date_range", field="valid_to")
    if fields.get("is_promotion") and not (valid_from and valid_to):
        raise ValidationFailed("A promotion needs valid_from and valid_to.", code="missing_field",
                               field="valid_from" if not valid_from else "valid_to")
    currency = fields["currency"]
    if fields.get("client_id"):
        client = referenced(lambda: client_store.get_client(fields["client_id"]), field="client_id", code="unknown_client")
        if client.currency != currency:
            raise ValidationFailed(f"The client buys in {client.currency}; this list is in {currency}.",
                                   code="currency_mismatch", field="currency")
    if fields.get("group_id"):
        referenced(lambda: client_store.get_group(fields["group_id"]), field="group_id", code="unknown_group")
    return PriceListItem(
        id=new_id("pl"),
        name=fields["name"].strip(),
        currency=currency,
        client_id=fields.get("client_id"),
        group_id=fields.get("group_id"),
        is_default=bool(fields.get("is_default")),
        is_promotion=bool(fields.get("is_promotion")),
        valid_from=valid_from,
        valid_to=valid_to,
    )


def _date(raw: Any, field: str) -> date | None:
    if raw is None or isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"{field} must be a date like 2026-11-22.", code="invalid_date", field=field) from exc


def _checked_prices(items: list[dict[str, Any]]) -> dict[str, Decimal]:
    """Prices by the products' own SKU spelling; unknown or repeated SKUs are refused."""
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        key = sku_key(item["sku"])
        if key in seen:
            raise ValidationFailed(f"{item['sku']} appears twice.", code="duplicate_sku", field=f"items[{i}].sku")
        seen[key] = i
    products = product_store.find_products(seen)
    for key, i in seen.items():
        if key not in products:
            raise ValidationFailed(f"No product {items[i]['sku']}.", code="unknown_product", field=f"items[{i}].sku")
    return {products[sku_key(item["sku"])].sku: item["price"] for item in items}
