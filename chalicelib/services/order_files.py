"""Reading order-line files (CSV text, pasted lines, XLSX workbooks) and checking each line against what the
client may order: the one parser behind the portal's quick order and the staff / email intake."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.order_files import FileLine, ParsedFile, RowError, lines_from_rows, pasted_rows
from chalicelib.domain.orders import OrderLine, Orderable, check_quantity
from chalicelib.services.pricing import chain_for, prices_for
from chalicelib.store.models import ClientItem, ProductItem, sku_key
from chalicelib.store.products import find_products

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_FILE_BYTES = 2_000_000
MAX_XLSX_ROWS = 2_000


def is_xlsx(filename: str | None = None, content_type: str | None = None, content: bytes = b"") -> bool:
    """A workbook by its declared type or name, or by its bytes (an .xlsx is a zip file)."""
    return ((content_type or "").split(";")[0].strip() == XLSX or (filename or "").lower().endswith((".xlsx", ".xlsm"))
            or content[:4] == b"PK\x03\x04")


def read(content: bytes, *, filename: str | None = None, content_type: str | None = None) -> ParsedFile:
    """Lines and per-row errors of an order file: an .xlsx workbook's first sheet, or CSV / pasted text."""
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed(f"The file is larger than {MAX_FILE_BYTES // 1_000_000} MB.", code="file_too_large")
    if is_xlsx(filename, content_type, content):
        return lines_from_rows(_sheet_rows(content))
    if (filename or "").lower().endswith((".xls", ".ods", ".numbers")):
        raise ValidationFailed("Save the spreadsheet as .xlsx or .csv and upload it again.", code="unsupported_file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", "replace")  # Excel's "CSV" on Windows
    return lines_from_rows(pasted_rows(text))


def _sheet_rows(content: bytes) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook  # noqa: PLC0415 - only spreadsheets pay for importing it

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationFailed("This is not a readable .xlsx workbook.", code="unreadable_file") from exc
    try:
        sheet = book.worksheets[0]
        return [row for _, row in zip(range(MAX_XLSX_ROWS), sheet.iter_rows(values_only=True))]
    finally:
        book.close()


@dataclass(frozen=True)
class CheckedLine:
    """One wanted line at the client's prices today, or why it cannot be ordered (a RowError)."""

    row: int
    sku: str
    qty: int
    line: OrderLine | None
    problem: RowError | None
    product: ProductItem | None = None


def check_lines(client: ClientItem, wanted: list[FileLine], *, quantities_strict: bool = True) -> list[CheckedLine]:
    """Price every line on its own (one read for the products, one resolution of the price chain).

    Unknown, hidden or unpriced products are problems; with `quantities_strict`, so are quantities outside the
    product's min / max (a cart keeps them and warns instead).
    """
    products = find_products(line.sku for line in wanted)
    prices = prices_for(chain_for(client), [p for p in products.values() if p.portal_visible])
    checked = []
    for want in wanted:
        product, price = products.get(sku_key(want.sku)), prices.get(sku_key(want.sku))
        problem = None
        if product is None:
            problem = RowError(want.row, want.sku, "unknown_product", f"We have no product {want.sku}.")
        elif not product.portal_visible or price is None:
            problem = RowError(want.row, want.sku, "product_not_orderable", f"{product.sku} cannot be ordered.")
        elif quantities_strict:
            try:
                check_quantity(Orderable(product.sku, product.min_qty, product.max_qty), want.qty, "qty")
            except ValidationFailed as exc:
                problem = RowError(want.row, product.sku, exc.code, exc.message)
        line = None
        if product is not None and price is not None and problem is None:
            line = OrderLine(product.sku, product.name, want.qty, price.price, product.vat_rate, product.unit,
                             price.source.value, price.price_list_id)
        checked.append(CheckedLine(want.row, product.sku if product else want.sku, want.qty, line, problem, product))
    return checked
