"""Reading the supplier's CSV files (product catalogue, price list items): every row checked, every problem
reported with its row and column, nothing half-read.

Row numbers are the file's line numbers as a spreadsheet shows them: the header is row 1. A file with any
error is refused as a whole by the services (a dry run shows the same errors without writing anything).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chalicelib.domain.orders import check_quantity_rules
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.pricing import ListPrice, Tier

MAX_ROWS = 10_000
MAX_ERRORS = 200  # a file that wrong is reported in part: fix these first
PRODUCT_REQUIRED = ("sku", "name", "category", "unit", "base_price", "currency", "vat_rate")
PRODUCT_OPTIONAL = ("min_qty", "max_qty", "qty_step", "portal_visible")
PRODUCT_COLUMNS = PRODUCT_REQUIRED + PRODUCT_OPTIONAL
PRICE_REQUIRED = ("sku", "price")
PRICE_COLUMNS = ("sku", "price", "tiers")

_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_MONEY = re.compile(r"^\d{1,12}(\.\d{1,4})?$")
_PERCENT = re.compile(r"^\d{1,3}(\.\d{1,2})?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_WHOLE = re.compile(r"^[0-9]{1,7}$")
_TRUE, _FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n"}


@dataclass(frozen=True)
class RowError:
    row: int
    field: str | None
    code: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "code": self.code, "message": self.message}


@dataclass
class ParsedFile:
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (row number, checked values)
    errors: list[RowError] = field(default_factory=list)
    columns: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


class _RowProblem(Exception):
    def __init__(self, field: str, code: str, message: str):
        super().__init__(message)
        self.field, self.code, self.message = field, code, message


def _read(text: str, required: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[ParsedFile, list[tuple[int, dict[str, str]]]]:
    parsed = ParsedFile()
    text = text.lstrip("\ufeff")  # spreadsheets save UTF-8 with a byte-order mark
    try:
        records = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        parsed.errors.append(RowError(1, None, "invalid_csv", f"The file is not readable CSV: {exc}."))
        return parsed, []
    if not records or not any(c.strip() for c in records[0]):
        parsed.errors.append(RowError(1, None, "empty_file", "The file is empty: the first row names the columns."))
        return parsed, []
    header = [c.strip().lower() for c in records[0]]
    unknown = [c for c in header if c not in allowed]
    missing = [c for c in required if c not in header]
    repeated = sorted({c for c in header if header.count(c) > 1})
    for name in unknown:
        parsed.errors.append(RowError(1, name, "unknown_column", f"Unknown column '{name}'; the columns are {', '.join(allowed)}."))
    for name in missing:
        parsed.errors.append(RowError(1, name, "missing_column", f"The column '{name}' is missing."))
    for name in repeated:
        parsed.errors.append(RowError(1, name, "duplicate_column", f"The column '{name}' appears twice."))
    if parsed.errors:
        return parsed, []
    parsed.columns = tuple(header)
    data = [(n, r) for n, r in enumerate(records[1:], start=2) if any(c.strip() for c in r)]
    if len(data) > MAX_ROWS:
        parsed.errors.append(RowError(MAX_ROWS + 2, None, "too_many_rows",
                                      f"At most {MAX_ROWS:,} rows a file; split it and import each part."))
        return parsed, []
    rows = []
    for number, record in data:
        if len(record) != len(header):
            parsed.errors.append(RowError(number, None, "wrong_column_count",
                                          f"Row {number} has {len(record)} values; the header has {len(header)}."))
            continue
        rows.append((number, {name: value.strip() for name, value in zip(header, record)}))
    return parsed, rows


def _text(values: dict[str, str], name: str, max_len: int) -> str:
    value = values.get(name, "")
    if not value:
        raise _RowProblem(name, "missing_value", f"{name} is empty.")
    if len(value) > max_len:
        raise _RowProblem(name, "invalid_value", f"{name} is longer than {max_len} characters.")
    return value


def _money(values: dict[str, str], name: str) -> Decimal:
    value = values.get(name, "")
    if not _MONEY.match(value):
        raise _RowProblem(name, "invalid_amount", f"{name} '{value}' is not an amount like 12.50.")
    return Decimal(value)


def _whole(values: dict[str, str], name: str) -> int | None:
    value = values.get(name, "")
    if not value:
        return None
    if not _WHOLE.match(value) or int(value) < 1:
        raise _RowProblem(name, "invalid_quantity", f"{name} '{value}' is not a whole number of at least 1.")
    return int(value)


def _flag(values: dict[str, str], name: str, default: bool) -> bool:
    value = values.get(name, "").lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _RowProblem(name, "invalid_value", f"{name} '{values[name]}' is not yes or no.")


def _product(values: dict[str, str]) -> dict[str, Any]:
    sku = values.get("sku", "")
    if not _SKU.match(sku):
        raise _RowProblem("sku", "invalid_sku", f"SKU '{sku}' is not a product code (letters, digits, . _ -).")
    currency = values.get("currency", "")
    if not _CURRENCY.match(currency):
        raise _RowProblem("currency", "invalid_currency", f"currency '{currency}' is not a code like EUR.")
    vat = values.get("vat_rate", "")
    if not _PERCENT.match(vat) or Decimal(vat) > 100:
        raise _RowProblem("vat_rate", "invalid_vat_rate", f"vat_rate '{vat}' is not a percentage from 0 to 100.")
    row = {"sku": sku, "name": _text(values, "name", 200), "category": _text(values, "category", 100),
           "unit": _text(values, "unit", 20), "base_price": _money(values, "base_price"), "currency": currency,
           "vat_rate": Decimal(vat)}
    for name in ("min_qty", "max_qty", "qty_step"):
        if name in values:
            row[name] = _whole(values, name)
    if "portal_visible" in values:
        row["portal_visible"] = _flag(values, "portal_visible", True)
    try:
        check_quantity_rules(row.get("min_qty"), row.get("max_qty"), row.get("qty_step"))
    except ValidationFailed as exc:
        raise _RowProblem(exc.field or "min_qty", exc.code, exc.message) from exc
    return row


def parse_products(text: str) -> ParsedFile:
    """The product rows of a catalogue CSV (header `sku,name,category,unit,base_price,currency,vat_rate[,min_qty,
    max_qty,qty_step,portal_visible]`), each checked; a SKU twice in the file is an error on its second row."""
    return _parse(text, PRODUCT_REQUIRED, PRODUCT_COLUMNS, _product)


def parse_tiers(raw: str, price: Decimal, field: str = "tiers") -> tuple[Tier, ...]:
    """Volume tiers written `10=9.50; 50=9.00` (from 10 units 9.50 each, from 50 units 9.00)."""
    tiers = []
    for part in (p.strip() for p in raw.replace(",", ";").split(";")):
        if not part:
            continue
        qty, _, tier_price = (s.strip() for s in part.partition("="))
        if not _WHOLE.match(qty) or int(qty) < 2 or not _MONEY.match(tier_price):
            raise ValidationFailed(f"Tier '{part}' is not 'quantity=price' like 10=9.50 (from 2 units up).",
                                   code="invalid_tier", field=field)
        tiers.append(Tier(int(qty), Decimal(tier_price)))
    return checked_tiers(tiers, price, field)


def checked_tiers(tiers: list[Tier], price: Decimal, field: str = "tiers") -> tuple[Tier, ...]:
    """Tiers sorted by quantity; the same quantity twice, or a volume price not below the item's price, is refused."""
    ordered = sorted(tiers, key=lambda t: t.min_qty)
    for a, b in zip(ordered, ordered[1:]):
        if a.min_qty == b.min_qty:
            raise ValidationFailed(f"Two tiers start at {a.min_qty} units.", code="duplicate_tier", field=field)
    for tier in ordered:
        if tier.price >= price:
            raise ValidationFailed(f"The volume price from {tier.min_qty} units ({tier.price}) must be below the price ({price}).",
                                   code="tier_not_lower", field=field)
    return tuple(ordered)


def format_tiers(tiers: tuple[Tier, ...]) -> str:
    return "; ".join(f"{t.min_qty}={t.price}" for t in tiers)


def _price(values: dict[str, str]) -> dict[str, Any]:
    sku = values.get("sku", "")
    if not _SKU.match(sku):
        raise _RowProblem("sku", "invalid_sku", f"SKU '{sku}' is not a product code (letters, digits, . _ -).")
    price = _money(values, "price")
    try:
        tiers = parse_tiers(values.get("tiers", ""), price)
    except ValidationFailed as exc:
        raise _RowProblem("tiers", exc.code, exc.message) from exc
    return {"sku": sku, "price": ListPrice(price, tiers)}


def parse_price_items(text: str) -> ParsedFile:
    """The items of a price list CSV (header `sku,price[,tiers]`), each checked."""
    return _parse(text, PRICE_REQUIRED, PRICE_COLUMNS, _price)


def _parse(text: str, required: tuple[str, ...], allowed: tuple[str, ...], check: Any) -> ParsedFile:
    parsed, rows = _read(text, required, allowed)
    seen: dict[str, int] = {}
    for number, values in rows:
        if len(parsed.errors) >= MAX_ERRORS:
            break
        try:
            row = check(values)
        except _RowProblem as problem:
            parsed.errors.append(RowError(number, problem.field, problem.code, problem.message))
            continue
        key = row["sku"].upper()
        if key in seen:
            parsed.errors.append(RowError(number, "sku", "duplicate_sku", f"{row['sku']} is on row {seen[key]} already."))
            continue
        seen[key] = number
        parsed.rows.append((number, row))
    if not parsed.errors and not parsed.rows and parsed.columns:
        parsed.errors.append(RowError(2, None, "empty_file", "The file has a header but no rows."))
    return parsed
