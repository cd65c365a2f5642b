"""The back office's products: list and search every product, edit one, adjust its stock with a reason,
import and export the catalogue as CSV. Every change is recorded in the audit log."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chalicelib.domain.csv_import import MAX_ERRORS, ParsedFile, RowError, parse_products
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.orders import check_quantity_rules
from chalicelib.services.catalogue import name_matches
from chalicelib.services import audit
from chalicelib.store import products as product_store
from chalicelib.store import stock_movements
from chalicelib.store.models import ProductItem, sku_key
from chalicelib.store.stock_movements import StockMovementItem

EXPORT_PAGE = 200
EXPORT_COLUMNS = ("sku", "name", "category", "unit", "base_price", "currency", "vat_rate", "min_qty", "max_qty",
                  "qty_step", "portal_visible", "min_stock", "qty_on_hand", "qty_reserved")
AUDITED = ("name", "category", "unit", "base_price", "currency", "vat_rate", "min_qty", "max_qty", "qty_step",
           "min_stock", "portal_visible", "description", "datasheet_url")


def record_change(actor: Any, action: str, entity_type: str, entity_id: str,
                  before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    """Write to the audit log (services/audit.py)."""
    audit.record(actor, action, entity_type, entity_id, before, after)


def history(entity_type: str, entity_id: str, limit: int = 20) -> list[Any]:
    """The audit log's latest entries for one product or price list."""
    return audit.page(entity_type=entity_type, entity_id=entity_id, limit=limit)[0]


def _fields(product: ProductItem, names: tuple[str, ...] = AUDITED) -> dict[str, Any]:
    return {name: getattr(product, name) for name in names}


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    changed = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


@dataclass(frozen=True)
class ProductPage:
    products: list[ProductItem]
    after_sku: str | None


def list_products(*, query: str | None, category: str | None, limit: int, after_sku: str | None) -> ProductPage:
    """One page of every product in SKU order: by code prefix and/or name words, in a category.

    A constant number of AWS calls a page at any catalogue size: one Query without a search; a name search
    reads a bounded part of the word index (the page can come back short, with a cursor to read on).
    """
    query = (query or "").strip()
    if not query:
        found, last = product_store.admin_page(prefix=None, category=category, after_sku=after_sku, limit=limit)
        return ProductPage(found, last)
    by_code: list[ProductItem] = []
    code_last = None
    if " " not in query:
        by_code, code_last = product_store.admin_page(prefix=query, category=category, after_sku=after_sku, limit=limit)
    by_name, frontier = name_matches(query, category=category, after_sku=after_sku, limit=limit, visible_only=False)
    merged = {sku_key(p.sku): p for p in by_code + by_name}
    bounds = [b for b in (frontier, code_last) if b]
    stop = min(bounds) if bounds else None
    keys = sorted(k for k in merged if stop is None or k <= stop)[:limit]
    if len(keys) == limit:
        stop = keys[-1]
    return ProductPage([merged[k] for k in keys], stop)


def patch(actor: Any, sku: str, changes: dict[str, Any]) -> ProductItem:
    """Change a product's catalogue fields (API.md PATCH /admin/products/{sku}); quantity rules stay consistent."""
    if not changes:
        raise ValidationFailed("Name at least one field to change.", code="missing_field", field="name")
    before = product_store.get_product(sku)
    values = dict(changes)
    for name in ("base_price", "vat_rate"):
        if name in values:
            values[name] = Decimal(str(values[name]))
    if "vat_rate" in values and values["vat_rate"] > 100:
        raise ValidationFailed("vat_rate is a percentage from 0 to 100.", code="invalid_value", field="vat_rate")
    for name in ("name", "category", "unit"):
        if name in values:
            values[name] = values[name].strip()
    for name in ("description", "datasheet_url"):  # blank removes
        if name in values:
            values[name] = (values[name] or "").strip() or None
    merged = {**_fields(before), **values}
    check_quantity_rules(merged["min_qty"], merged["max_qty"], merged["qty_step"])
    old, new = _diff(_fields(before), merged)
    if not new:
        return before
    after = product_store.update_product(before, new)
    record_change(actor, "product.updated", "product", after.sku, old, new)
    return after


def adjust_stock(actor: Any, sku: str, delta: int, reason: str, note: str | None = None) -> ProductItem:
    """Add (or take away) counted stock with a reason, logged as a movement in the same write."""
    if delta == 0:
        raise ValidationFailed("The change is zero: enter how many units come in (+) or go out (-).",
                               code="invalid_value", field="delta")
    product = product_store.get_product(sku)
    movement = stock_movements.new_movement(product.sku, delta, reason, (note or "").strip() or None,
                                            getattr(actor, "user_id", "system"), getattr(actor, "name", "System"))
    product_store.adjust_stock(product.sku, delta, movement)
    after = product_store.get_product(sku)
    record_change(actor, "product.stock_adjusted", "product", product.sku,
                  {"qty_on_hand": after.qty_on_hand - delta}, {"qty_on_hand": after.qty_on_hand, "reason": reason, "note": note})
    return after


def movements(sku: str, limit: int = 50) -> list[StockMovementItem]:
    return stock_movements.latest(sku, limit=limit)[0]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = True
    preview: list[dict[str, Any]] = field(default_factory=list)  # first rows, what each would do

    def as_json(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "errors": [e.as_json() for e in self.errors], "dry_run": self.dry_run}


PREVIEW_ROWS = 50


def import_csv(actor: Any, text: str, *, dry_run: bool) -> ImportResult:
    """Create or update products from a catalogue CSV. Every row is checked first; a file with any error
    changes nothing. New products go in batched writes (25 items a call), changed ones in transactions of up to
    100 items (each product's update with its name words; stock counters are left alone); unchanged rows cost
    nothing."""
    parsed: ParsedFile = parse_products(text)
    result = ImportResult(errors=list(parsed.errors), dry_run=dry_run)
    if not parsed.ok:
        result.created = result.updated = 0
        return result
    existing = product_store.find_products(row["sku"] for _, row in parsed.rows)
    new_products: list[ProductItem] = []
    changed: list[tuple[ProductItem, dict[str, Any]]] = []
    for number, row in parsed.rows:
        before = existing.get(sku_key(row["sku"]))
        if before is None:
            new_products.append(ProductItem(
                sku=row["sku"], name=row["name"], category=row["category"], unit=row["unit"],
                base_price=row["base_price"], currency=row["currency"], vat_rate=row["vat_rate"],
                min_qty=row.get("min_qty"), max_qty=row.get("max_qty"), qty_step=row.get("qty_step"),
                portal_visible=row.get("portal_visible", True), qty_on_hand=0, qty_reserved=0))
            action = "create"
        else:
            merged = {**_fields(before), **{k: v for k, v in row.items() if k != "sku"}}
            try:
                check_quantity_rules(merged["min_qty"], merged["max_qty"], merged["qty_step"])
            except ValidationFailed as exc:
                result.errors.append(RowError(number, exc.field, exc.code, exc.message))
                if len(result.errors) >= MAX_ERRORS:
                    break
                continue
            _, new = _diff(_fields(before), merged)
            if new:
                changed.append((before, new))
                action = "update"
            else:
                result.unchanged += 1
                action = "unchanged"
        if len(result.preview) < PREVIEW_ROWS:
            result.preview.append({"row": number, "sku": row["sku"], "name": row["name"], "action": action})
    if result.errors:
        result.preview = []
        return result
    result.created, result.updated = len(new_products), len(changed)
    if dry_run:
        return result
    product_store.import_products(new_products)
    product_store.update_products(changed)
    record_change(actor, "product.imported", "product", "import",
                  None, {"created": [p.sku for p in new_products][:500], "updated": [b.sku for b, _ in changed][:500],
                         "created_count": result.created, "updated_count": result.updated})
    return result


def export_csv() -> str:
    """Every product as CSV in SKU order (the import's columns, then stock); one Query per 200 products."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    after = None
    while True:
        found, after = product_store.admin_page(prefix=None, category=None, after_sku=after, limit=EXPORT_PAGE)
        for p in found:
            writer.writerow([p.sku, p.name, p.category, p.unit, p.base_price, p.currency, p.vat_rate,
                             p.min_qty or "", p.max_qty or "", p.qty_step or "", "yes" if p.portal_visible else "no",
                             p.min_stock if p.min_stock is not None else "", p.qty_on_hand, p.qty_reserved])
        if not after:
            return out.getvalue()
