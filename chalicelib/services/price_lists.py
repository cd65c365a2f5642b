"""Price list administration: create, clone, edit the header (owner, validity), edit items with volume tiers,
import and export items as CSV, delete. Every change is recorded in the audit log."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.domain.csv_import import RowError, checked_tiers, format_tiers, parse_price_items
from chalicelib.domain.errors import NotFound, ValidationFailed, referenced
from chalicelib.domain.pricing import ListPrice, Tier
from chalicelib.services.products_admin import record_change
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


def set_price(price_list_id: str, sku: str, price: Decimal, tiers: list[dict[str, Any]] | None = None,
              actor: Any = None) -> PriceItem:
    """Set one product's price in a list, with its volume tiers (none when absent)."""
    store.get_price_list(price_list_id)
    product = product_store.find_products([sku]).get(sku_key(sku))
    if product is None:
        raise NotFound(f"No product {sku}.", code="product_not_found")
    checked = checked_tiers([Tier(t["min_qty"], Decimal(str(t["price"]))) for t in tiers or []], price)
    before = store.find_price(price_list_id, product.sku)
    store.set_price(price_list_id, product.sku, ListPrice(price, checked))
    after = store.find_price(price_list_id, product.sku)
    record_change(actor, "price_list.item_set", "price_list", price_list_id,
                  _item_audit(before), _item_audit(after))
    return after


def delete_price(price_list_id: str, sku: str, actor: Any = None) -> None:
    """Take a product off a list (404 when the list does not price it)."""
    store.get_price_list(price_list_id)
    before = store.find_price(price_list_id, sku)
    if before is None:
        raise NotFound(f"This list has no price for {sku}.", code="price_not_found")
    store.delete_price(price_list_id, sku)
    record_change(actor, "price_list.item_removed", "price_list", price_list_id, _item_audit(before), None)


def _item_audit(item: PriceItem | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {"sku": item.sku, "price": item.price, "tiers": format_tiers(store.list_price(item).tiers) or None}


def _header(pl: PriceListItem) -> dict[str, Any]:
    return {"name": pl.name, "client_id": pl.client_id, "group_id": pl.group_id, "is_default": bool(pl.is_default),
            "valid_from": pl.valid_from, "valid_to": pl.valid_to}


def update(price_list_id: str, changes: dict[str, Any], actor: Any = None) -> PriceListItem:
    """Change a list's name, owner (a client, a group or the default: one at a time) or validity window."""
    if not changes:
        raise ValidationFailed("Name at least one field to change.", code="missing_field", field="name")
    before = store.get_price_list(price_list_id)
    merged = {**_header(before), **changes}
    if merged.get("client_id") and "client_id" in changes:
        merged["group_id"] = merged["group_id"] if "group_id" in changes else None
        merged["is_default"] = merged["is_default"] if "is_default" in changes else False
    if merged.get("group_id") and "group_id" in changes:
        merged["client_id"] = merged["client_id"] if "client_id" in changes else None
        merged["is_default"] = merged["is_default"] if "is_default" in changes else False
    if merged.get("is_default") and "is_default" in changes:
        merged["client_id"] = merged["client_id"] if "client_id" in changes else None
        merged["group_id"] = merged["group_id"] if "group_id" in changes else None
    if before.is_promotion and (merged.get("client_id") or merged.get("group_id") or merged.get("is_default")):
        raise ValidationFailed("A promotion applies to every client; it cannot be assigned.",
                               code="conflicting_assignment", field=next(k for k in ("client_id", "group_id", "is_default") if merged.get(k)))
    checked = _new_list({**merged, "name": merged["name"], "currency": before.currency,
                         "is_promotion": before.is_promotion}, check_owner=_owner_changed(before, merged))
    after = PriceListItem(id=before.id, name=checked.name, currency=before.currency, client_id=checked.client_id,
                          group_id=checked.group_id, is_default=checked.is_default, is_promotion=before.is_promotion,
                          valid_from=checked.valid_from, valid_to=checked.valid_to)
    store.update_price_list(before, after)
    old, new = _header(before), _header(after)
    changed = [k for k in new if old[k] != new[k]]
    if changed:
        record_change(actor, "price_list.updated", "price_list", before.id, {k: old[k] for k in changed},
                      {k: new[k] for k in changed})
    return store.get_price_list(price_list_id)


def _owner_changed(before: PriceListItem, merged: dict[str, Any]) -> bool:
    return (before.client_id, before.group_id, bool(before.is_default)) != (
        merged.get("client_id"), merged.get("group_id"), bool(merged.get("is_default")))


def delete(price_list_id: str, actor: Any = None) -> None:
    """Delete a list and its prices; its client or group falls back to the next level at once."""
    before = store.get_price_list(price_list_id)
    store.delete_price_list(before)
    record_change(actor, "price_list.deleted", "price_list", price_list_id, _header(before), None)


@dataclass
class ItemImport:
    added: int = 0
    changed: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = True

    def as_json(self) -> dict[str, Any]:
        return {"created": self.added, "updated": self.changed, "errors": [e.as_json() for e in self.errors],
                "dry_run": self.dry_run}


def import_items(price_list_id: str, text: str, *, dry_run: bool, actor: Any = None) -> ItemImport:
    """Add or change a list's prices from CSV (`sku,price[,tiers]`, tiers like `10=9.50; 50=9.00`). Every row
    is checked (unknown products too) before anything is written; a file with any error changes nothing."""
    store.get_price_list(price_list_id)
    parsed = parse_price_items(text)
    result = ItemImport(errors=list(parsed.errors), dry_run=dry_run)
    if not parsed.ok:
        return result
    products = product_store.find_products(row["sku"] for _, row in parsed.rows)
    for number, row in parsed.rows:
        if sku_key(row["sku"]) not in products:
            result.errors.append(RowError(number, "sku", "unknown_product", f"No product {row['sku']}."))
    if result.errors:
        return result
    current = {sku_key(i.sku) for i in store.price_list_prices(price_list_id)}
    prices = {products[sku_key(row["sku"])].sku: row["price"] for _, row in parsed.rows}
    result.changed = sum(1 for sku in prices if sku_key(sku) in current)
    result.added = len(prices) - result.changed
    if not dry_run:
        store.write_prices(price_list_id, prices)
        record_change(actor, "price_list.imported", "price_list", price_list_id, None,
                      {"added": result.added, "changed": result.changed, "skus": sorted(prices)[:500]})
    return result


def export_items(price_list_id: str) -> str:
    """The list's items as CSV, in the import's columns."""
    store.get_price_list(price_list_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["sku", "price", "tiers"])
    for item in sorted(store.price_list_prices(price_list_id), key=lambda i: sku_key(i.sku)):
        writer.writerow([item.sku, item.price, format_tiers(store.list_price(item).tiers)])
    return out.getvalue()


def _new_list(fields: dict[str, Any], check_owner: bool = True) -> PriceListItem:
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
    if fields.get("client_id") and check_owner:
        client = referenced(lambda: client_store.get_client(fields["client_id"]), field="client_id", code="unknown_client")
        if client.currency != currency:
            raise ValidationFailed(f"The client buys in {client.currency}; this list is in {currency}.",
                                   code="currency_mismatch", field="currency")
    if fields.get("group_id") and check_owner:
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
