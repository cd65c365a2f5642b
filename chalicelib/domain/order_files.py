"""Order-line files (quick order paste, CSV, XLSX; staff and email intake): rows -> lines + per-row errors.

Pure rules on rows of cells; decoding the bytes (CSV text, a workbook) is the service's job
(chalicelib/services/order_files.py). Row numbers are the ones the person sees in their file (1-based).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

MAX_ROWS = 500
MAX_QTY = 1_000_000
SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Header words a supplier's clients put above their columns (first row only).
SKU_HEADERS = frozenset({"sku", "code", "product code", "item", "item code", "article", "cod", "cod produs"})
QTY_HEADERS = frozenset({"qty", "quantity", "qty ordered", "cantitate", "buc", "pcs"})


@dataclass(frozen=True)
class FileLine:
    row: int
    sku: str
    qty: int


@dataclass(frozen=True)
class RowError:
    row: int
    sku: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "sku": self.sku, "code": self.code, "message": self.message}


@dataclass
class ParsedFile:
    lines: list[FileLine] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _quantity(cell: object) -> int | None:
    """A whole quantity from a cell: 12, "12", 12.0 (spreadsheets store numbers as floats), "1 200"; else None."""
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell
    raw = _text(cell).replace(" ", "").replace("\u00a0", "")
    if not raw or not raw.isascii():
        return None
    try:
        value = Decimal(raw.replace(",", ".")) if raw.count(",") == 1 and "." not in raw else Decimal(raw)
    except InvalidOperation:
        return None
    return int(value) if value == value.to_integral_value() else None


def _columns(first: Sequence[object]) -> tuple[int, int] | None:
    """(sku column, qty column) when the first row is a header row, else None."""
    words = [_text(c).lower() for c in first]
    sku = next((i for i, w in enumerate(words) if w in SKU_HEADERS), None)
    qty = next((i for i, w in enumerate(words) if w in QTY_HEADERS), None)
    return (sku, qty) if sku is not None and qty is not None else None


def lines_from_rows(rows: Iterable[Sequence[object]]) -> ParsedFile:
    """Order lines from a file's rows: SKU and quantity (first two columns, or the columns a header row names).

    Blank rows are skipped; a SKU twice adds up; every bad row is reported with its row number, never dropped silently.
    """
    parsed = ParsedFile()
    merged: dict[str, FileLine] = {}
    sku_col, qty_col = 0, 1
    for number, cells in enumerate(rows, start=1):
        cells = list(cells)
        if not any(_text(c) for c in cells):
            continue
        if number == 1 and (header := _columns(cells)) is not None:
            sku_col, qty_col = header
            continue
        if len(merged) >= MAX_ROWS:
            parsed.errors.append(RowError(number, None, "too_many_lines", f"Only the first {MAX_ROWS} lines are read."))
            break
        sku = _text(cells[sku_col]) if sku_col < len(cells) else ""
        raw_qty = cells[qty_col] if qty_col < len(cells) else None
        if not sku:
            parsed.errors.append(RowError(number, None, "missing_field", "This row has a quantity but no product code."))
            continue
        if not SKU_PATTERN.match(sku):
            parsed.errors.append(RowError(number, sku[:64], "unknown_product", f"'{sku[:64]}' is not a product code."))
            continue
        qty = _quantity(raw_qty)
        if qty is None or not 1 <= qty <= MAX_QTY:
            shown = _text(raw_qty) or "nothing"
            parsed.errors.append(RowError(number, sku, "invalid_quantity",
                                          f"The quantity of {sku} must be a whole number of at least 1 (found {shown})."))
            continue
        key = sku.upper()
        if key in merged:
            before = merged[key]
            merged[key] = FileLine(before.row, before.sku, min(before.qty + qty, MAX_QTY))
        else:
            merged[key] = FileLine(number, sku, qty)
    parsed.lines = list(merged.values())
    return parsed


def pasted_rows(text: str) -> list[list[str]]:
    """Rows of a pasted block or CSV text: comma, semicolon or tab separated (what spreadsheets copy)."""
    import csv  # noqa: PLC0415 - stdlib, pure
    import io  # noqa: PLC0415

    sample = text[:2048]
    delimiter = "\t" if "\t" in sample else (";" if sample.count(";") > sample.count(",") else ",")
    rows = []
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        if len(row) == 1 and len(row[0].split()) == 2:  # "CAB-001 12", typed without a separator
            row = row[0].split()
        rows.append(row)
    return rows
