"""Order files the tests upload: spreadsheets built with openpyxl, as a buyer's or a client's would be."""
from __future__ import annotations

import io
from typing import Any, Iterable

from openpyxl import Workbook


def xlsx(rows: Iterable[Iterable[Any]]) -> bytes:
    """An .xlsx workbook whose first sheet holds `rows`."""
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
