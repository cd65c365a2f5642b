"""Invoices, delivery notes and statements as A4 PDFs (fpdf2), rendered from plain document values.

fpdf is imported inside the render functions: a Lambda that never prints a PDF does not pay for it at
cold start.

Fonts: text is set in DejaVu Sans when its TTF files are found (``DOCUMENT_FONT_DIR``, then a ``fonts/``
folder beside this module, then Debian's ``fonts-dejavu-core``), so "Łódź" prints as "Łódź" and stays
extractable. Without them the PDF falls back to the Helvetica core font and each character outside
Windows-1252 is transliterated ("Brașov" -> "Brasov", "Łódź" -> "Lodz"): a document always renders,
it never fails on a name.
"""
from __future__ import annotations

import functools
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from chalicelib.documents.models import (
    DeliveryNoteDocument,
    DocumentLine,
    InvoiceDocument,
    Party,
    StatementDocument,
    VatBreakdown,
)
from chalicelib.domain.money import to_money
from chalicelib.domain.addresses import BUCHAREST, county_name, sector_label

FONT_DIR_ENV = "DOCUMENT_FONT_DIR"
_FONT_DIRS = (Path(__file__).with_name("fonts"), Path("/usr/share/fonts/truetype/dejavu"))
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
_UNICODE_FAMILY = "dejavu"
_CORE_FAMILY = "helvetica"
_CORE_ENCODING = "windows-1252"

# Page geometry, millimetres (A4 is 210 x 297).
MARGIN = 14.0
CONTENT_WIDTH = 210.0 - 2 * MARGIN
BOTTOM_MARGIN = 18.0

INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (206, 212, 218)
SHADE = (241, 243, 245)
ACCENT = (31, 78, 121)

COUNTRY_NAMES = {
    "AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "CH": "Switzerland", "CY": "Cyprus",
    "CZ": "Czechia", "DE": "Germany", "DK": "Denmark", "EE": "Estonia", "ES": "Spain", "FI": "Finland",
    "FR": "France", "GB": "United Kingdom", "GR": "Greece", "HR": "Croatia", "HU": "Hungary",
    "IE": "Ireland", "IS": "Iceland", "IT": "Italy", "LI": "Liechtenstein", "LT": "Lithuania",
    "LU": "Luxembourg", "LV": "Latvia", "MD": "Moldova", "MT": "Malta", "NL": "Netherlands",
    "NO": "Norway", "PL": "Poland", "PT": "Portugal", "RO": "Romania", "RS": "Serbia", "SE": "Sweden",
    "SI": "Slovenia", "SK": "Slovakia", "UA": "Ukraine", "US": "United States",
}

# Letters that Unicode does not decompose into an ASCII base plus accents.
_TRANSLITERATIONS = {
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ŀ": "L", "ŀ": "l",
    "Ŋ": "N", "ŋ": "n", "Ŧ": "T", "ŧ": "t", "ẞ": "SS", "ĸ": "k", "\u2212": "-", "\u2010": "-",
    "\u2011": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
}


def unicode_font_dir() -> Path | None:
    """The first folder holding DejaVu Sans (regular and bold), or None when PDFs fall back to Helvetica."""
    configured = os.environ.get(FONT_DIR_ENV)
    for folder in ([Path(configured)] if configured else []) + list(_FONT_DIRS):
        if all((folder / name).is_file() for name in _FONT_FILES.values()):
            return folder
    return None


def to_core_charset(text: str, encoding: str = _CORE_ENCODING) -> str:
    """`text` with every character the core fonts cannot show replaced by its closest ASCII spelling."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if _encodable(char, encoding):
            out.append(char)
            continue
        plain = _TRANSLITERATIONS.get(char) or "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(plain if plain and _encodable(plain, encoding) else "?")
    return "".join(out)


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


# --- formatting ------------------------------------------------------------------------------------

def money(value: Decimal) -> str:
    """An amount with two decimals and thousands separators: 12,345.60."""
    return f"{to_money(value) + Decimal(0):,.2f}"


def unit_price(value: Decimal) -> str:
    """A unit price keeps up to four decimals (0.0125) and never fewer than two (12.50)."""
    exponent = value.normalize().as_tuple().exponent if value else 0
    places = min(max(2, -exponent), 4) if isinstance(exponent, int) else 2
    shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) + Decimal(0)
    return f"{shown:,.{places}f}"


def percent(value: Decimal) -> str:
    """19 -> "19%", 5.5 -> "5.5%"."""
    text = f"{value.normalize():f}"
    return f"{text}%"


def day(value: date) -> str:
    """Dates print as ISO 8601 (2026-03-31): unambiguous in every client's country."""
    return value.isoformat()


def quantity(value: int | Decimal) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value.normalize():,f}"


def _count(number: int, noun: str) -> str:
    return f"{quantity(number)} {noun}{'' if number == 1 else 's'}"


def _address_lines(party: Party) -> list[str]:
    county = getattr(party, "county", None)
    region = county_name(county) if county and county != BUCHAREST else ""
    city = sector_label(party.city) if county == BUCHAREST else party.city
    if county == BUCHAREST and not city.lower().startswith(("bucharest", "bucurești", "bucuresti")):
        city = f"Bucharest, {city}"
    return [party.street, f"{party.postcode} {city}".strip(),
            ", ".join(x for x in (region, COUNTRY_NAMES.get(party.country, party.country)) if x)]


# --- the page --------------------------------------------------------------------------------------

@functools.cache
def _sheet_class() -> type:
    from fpdf import FPDF  # noqa: PLC0415 - lazy on purpose, see the module docstring

    class Sheet(FPDF):
        """An A4 page with a running title on follow-on pages and 'Page x of y' in the footer."""

        def __init__(self, running_title: str, footer_note: str, font_dir: Path | None) -> None:
            super().__init__(orientation="portrait", unit="mm", format="A4")
            self.running_title = running_title
            self.footer_note = footer_note
            self.set_margins(MARGIN, MARGIN, MARGIN)
            self.set_auto_page_break(True, margin=BOTTOM_MARGIN)
            if font_dir is not None:
                for style, name in _FONT_FILES.items():
                    self.add_font(_UNICODE_FAMILY, style, str(font_dir / name))
                self.text_family = _UNICODE_FAMILY
            else:
                self.text_family = _CORE_FAMILY
                self.core_fonts_encoding = _CORE_ENCODING
            self.set_creator("B2B ordering platform")
            self.set_title(running_title)
            self.style(9)

        def normalize_text(self, text: str) -> str:
            if not self.is_ttf_font:
                text = to_core_charset(text, self.core_fonts_encoding)
            return super().normalize_text(text)

        def style(self, size: float, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
            self.set_font(self.text_family, "B" if bold else "", size)
            self.set_text_color(*color)

        def header(self) -> None:
            if self.page_no() == 1:
                return
            self.style(8, color=MUTED)
            self.cell(CONTENT_WIDTH, 5, self.running_title, new_x="LMARGIN", new_y="NEXT")
            self.set_draw_color(*RULE)
            self.line(MARGIN, self.get_y() + 1, MARGIN + CONTENT_WIDTH, self.get_y() + 1)
            self.ln(4)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_draw_color(*RULE)
            self.line(MARGIN, self.get_y() - 1.5, MARGIN + CONTENT_WIDTH, self.get_y() - 1.5)
            self.style(7.5, color=MUTED)
            self.cell(CONTENT_WIDTH - 30, 4, self.footer_note)
            self.cell(30, 4, f"Page {self.page_no()} of {{nb}}", align="R")

    return Sheet


def _new_sheet(running_title: str, supplier: Party) -> Any:
    footer = " · ".join(filter(None, [
        supplier.name,
        f"VAT {supplier.vat_number}" if supplier.vat_number else None,
        f"Reg. {supplier.registration_number}" if supplier.registration_number else None,
        supplier.email,
    ]))
    sheet = _sheet_class()(running_title, footer, unicode_font_dir())
    sheet.set_author(supplier.name)
    sheet.add_page()
    return sheet


def _letterhead(pdf: Any, supplier: Party, title: str, facts: Sequence[tuple[str, str]]) -> None:
    """Supplier at the top left; the document title and its key facts (number, dates...) at the top right."""
    top = pdf.get_y()
    left_width = 96.0
    pdf.style(13, bold=True, color=ACCENT)
    pdf.multi_cell(left_width, 6, supplier.name, new_x="LMARGIN", new_y="NEXT")
    pdf.style(8.5)
    for text in _address_lines(supplier) + _identifiers(supplier):
        pdf.cell(left_width, 4.2, text, new_x="LMARGIN", new_y="NEXT")
    left_bottom = pdf.get_y()

    right_x, right_width, label_width = MARGIN + CONTENT_WIDTH - 78, 78.0, 32.0
    pdf.set_xy(right_x, top)
    pdf.style(18, bold=True, color=ACCENT)
    pdf.cell(right_width, 9, title.upper(), align="R", new_x="LEFT", new_y="NEXT")
    pdf.ln(1.5)
    for label, value in facts:
        pdf.set_x(right_x)
        pdf.style(8.5, color=MUTED)
        pdf.cell(label_width, 4.8, label)
        pdf.style(8.5, bold=True)
        pdf.multi_cell(right_width - label_width, 4.8, value, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 5)
    pdf.set_draw_color(*RULE)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + CONTENT_WIDTH, pdf.get_y())
    pdf.ln(4)


def _identifiers(party: Party) -> list[str]:
    return [text for text in (
        f"VAT no. {party.vat_number}" if party.vat_number else None,
        f"Reg. no. {party.registration_number}" if party.registration_number else None,
        party.email,
    ) if text]


def _party_blocks(pdf: Any, blocks: Sequence[tuple[str, Party]]) -> None:
    """Side-by-side address blocks ("Bill to", "Deliver to"...) with name, address and VAT number."""
    top, gap = pdf.get_y(), 8.0
    width = (CONTENT_WIDTH - gap * (len(blocks) - 1)) / len(blocks)
    bottom = top
    for index, (label, party) in enumerate(blocks):
        x = MARGIN + index * (width + gap)
        pdf.set_xy(x, top)
        pdf.style(7.5, bold=True, color=MUTED)
        pdf.cell(width, 4.5, label.upper(), new_x="LEFT", new_y="NEXT")
        pdf.style(10, bold=True)
        pdf.multi_cell(width, 5, party.name, new_x="LEFT", new_y="NEXT")
        pdf.style(8.5)
        for text in _address_lines(party) + _identifiers(party):
            pdf.multi_cell(width, 4.2, text, new_x="LEFT", new_y="NEXT")
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(MARGIN, bottom + 6)


def _table(pdf: Any, headings: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
           aligns: Sequence[str], *, width: float = CONTENT_WIDTH, align: str = "LEFT",
           bold_last_row: bool = False, font_size: float = 8) -> None:
    """A ruled table whose heading row repeats at the top of every page it runs onto."""
    from fpdf.fonts import FontFace  # noqa: PLC0415 - lazy, as fpdf itself

    pdf.style(font_size)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    headings_style = FontFace(emphasis="BOLD", color=INK, fill_color=SHADE, size_pt=font_size)
    with pdf.table(col_widths=tuple(widths), width=width, align=align, text_align=tuple(aligns),
                   borders_layout="HORIZONTAL_LINES", headings_style=headings_style, line_height=4.4,
                   padding=(0.9, 1.5), repeat_headings=1, v_align="TOP") as table:
        heading = table.row()
        for text in headings:
            heading.cell(text)
        for index, cells in enumerate(rows):
            row = table.row()
            emphasis = FontFace(emphasis="BOLD") if bold_last_row and index == len(rows) - 1 else None
            for text in cells:
                row.cell(text, style=emphasis)
    pdf.style(9)


def _section_title(pdf: Any, text: str, space_needed: float = 20) -> None:
    if pdf.will_page_break(space_needed):
        pdf.add_page()
    pdf.ln(3)
    pdf.style(10, bold=True, color=ACCENT)
    pdf.cell(CONTENT_WIDTH, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _paragraph(pdf: Any, text: str, size: float = 8.5, color: tuple[int, int, int] = INK) -> None:
    pdf.style(size, color=color)
    pdf.multi_cell(CONTENT_WIDTH, 4.4, text, new_x="LMARGIN", new_y="NEXT")


def _output(pdf: Any) -> bytes:
    return bytes(pdf.output())


# --- invoice ---------------------------------------------------------------------------------------

def vat_label(rate: Decimal, category: str | None) -> str:
    """"21%" for standard-rated lines; "0% AE" (reverse charge), "0% G" (export)... where the category matters."""
    if not category or category == "S":
        return percent(rate)
    return f"{percent(rate)} {category}" if category != "O" else "n/a O"


def _line_rows(lines: Sequence[DocumentLine], with_prices: bool) -> list[list[str]]:
    if with_prices:
        return [[line.sku, line.name, quantity(line.qty), line.unit, unit_price(line.unit_price),
                 vat_label(line.vat_rate, getattr(line, "vat_category", None)), money(line.line_total)] for line in lines]
    return [[str(index), line.sku, line.name, quantity(line.qty), line.unit]
            for index, line in enumerate(lines, start=1)]


def render_invoice(doc: InvoiceDocument) -> bytes:
    """The invoice (or credit note) as an A4 PDF: parties, dates and references, the lines, VAT per category and
    rate, the totals, the VAT in the accounting currency and the legal notes of exempt categories."""
    credit = doc.kind == "credit_note"
    title = "Credit note" if credit else "Invoice"
    pdf = _new_sheet(f"{title} {doc.number} · {doc.client.name}", doc.supplier)
    if credit:
        facts = [("Credit note no.", doc.number), ("Issue date", day(doc.issue_date)),
                 ("Credits invoice", doc.invoice_number or ""),
                 ("Invoice date", day(doc.invoice_issue_date) if doc.invoice_issue_date else ""),
                 ("Order no.", doc.order_number)]
    else:
        facts = [("Invoice no.", doc.number), ("Issue date", day(doc.issue_date)), ("Due date", day(doc.due_date)),
                 ("Payment terms", f"{doc.payment_term_days} days net"), ("Order no.", doc.order_number)]
        if doc.delivery_date:
            facts.append(("Date of supply", day(doc.delivery_date)))
    if doc.client_reference:
        facts.append(("Your reference", doc.client_reference))
    facts.append(("Currency", doc.currency))
    _letterhead(pdf, doc.supplier, title, facts)
    _party_blocks(pdf, [("Bill to", doc.client)])

    _table(pdf, ["SKU", "Description", "Qty", "Unit", "Unit price", "VAT", "Amount"],
           _line_rows(doc.lines, with_prices=True),
           widths=(27, 60, 15, 13, 23, 16, 28), aligns=("LEFT", "LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT"))
    _invoice_totals(pdf, doc)
    _tax_notes(pdf, doc)
    if credit:
        _section_title(pdf, "Reason", space_needed=20)
        _paragraph(pdf, f"{doc.reason or 'Credit'}. {money(doc.total)} {doc.currency} is deducted from what you owe "
                        f"on invoice {doc.invoice_number}.")
    else:
        _payment_instructions(pdf, doc)
    return _output(pdf)


def render_credit_note(doc: InvoiceDocument) -> bytes:
    """A credit note: the invoice layout, titled and referenced as a credit against its invoice."""
    return render_invoice(replace(doc, kind="credit_note"))


def _tax_notes(pdf: Any, doc: InvoiceDocument) -> None:
    """The legal wording of exempt / reverse-charged sales, the VAT in the accounting currency, the date of supply note."""
    notes = list(doc.legal_notes)
    if doc.tax_currency and doc.tax_currency != doc.currency and doc.exchange_rate:
        notes.append(f"VAT in {doc.tax_currency}: {money(doc.vat_total_tax_currency or Decimal(0))} {doc.tax_currency} "
                     f"(exchange rate 1 {doc.currency} = {doc.exchange_rate.normalize():f} {doc.tax_currency}, "
                     f"National Bank of Romania reference rate).")
    if doc.delivery_note and doc.kind != "credit_note":
        notes.append(doc.delivery_note)
    if not notes:
        return
    _section_title(pdf, "VAT", space_needed=20)
    for note in notes:
        _paragraph(pdf, note)


def _invoice_totals(pdf: Any, doc: InvoiceDocument) -> None:
    """VAT per rate on the left, the totals on the right, kept together on one page."""
    lines_total = sum((line.line_total for line in doc.lines), Decimal(0))
    taxable = sum((row.taxable for row in doc.vat_breakdown), Decimal(0))
    totals = [("Subtotal", money(lines_total))]
    if doc.discount_percent:
        totals += [(f"Discount {percent(doc.discount_percent)}", money(taxable - lines_total)),
                   ("Net after discount", money(taxable))]
    totals += [("VAT", money(doc.vat_total)), (f"Total {doc.currency}", money(doc.total))]

    height = 6 + 5.5 * max(len(doc.vat_breakdown) + 2, len(totals) + 1)
    if pdf.will_page_break(height + 6):
        pdf.add_page()
    pdf.ln(5)
    top = pdf.get_y()
    vat_rows = [[vat_label(row.rate, getattr(row, "category", None)), money(row.taxable), money(row.vat)]
                for row in doc.vat_breakdown]
    vat_rows.append(["Total", money(taxable), money(doc.vat_total)])
    _table(pdf, ["VAT rate", f"Taxable ({doc.currency})", f"VAT ({doc.currency})"], vat_rows,
           widths=(22, 34, 30), aligns=("LEFT", "RIGHT", "RIGHT"), width=86, bold_last_row=True)
    vat_bottom = pdf.get_y()

    pdf.set_y(top)
    label_width, value_width = 48.0, 34.0
    x = MARGIN + CONTENT_WIDTH - label_width - value_width
    for label, value in totals[:-1]:
        pdf.set_x(x)
        pdf.style(9, color=MUTED)
        pdf.cell(label_width, 5.5, label)
        pdf.style(9)
        pdf.cell(value_width, 5.5, value, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    label, value = totals[-1]
    pdf.set_x(x)
    pdf.set_fill_color(*ACCENT)
    pdf.style(10.5, bold=True, color=(255, 255, 255))
    pdf.cell(label_width, 8, f" {label}", fill=True)
    pdf.cell(value_width, 8, f"{value} ", align="R", fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(vat_bottom, pdf.get_y()) + 4)


def _payment_instructions(pdf: Any, doc: InvoiceDocument) -> None:
    _section_title(pdf, "Payment", space_needed=30)
    account = f" to IBAN {doc.supplier.iban}" if doc.supplier.iban else ""
    _paragraph(pdf, f"Please pay {money(doc.total)} {doc.currency} by {day(doc.due_date)}{account}, "
                    f"quoting invoice {doc.number}.")
    if doc.notes:
        _section_title(pdf, "Notes")
        _paragraph(pdf, doc.notes)


# --- delivery note ---------------------------------------------------------------------------------

def render_delivery_note(doc: DeliveryNoteDocument) -> bytes:
    """The delivery note as an A4 PDF: where it goes, what is in it (quantities, no prices), parcels, courier."""
    pdf = _new_sheet(f"Delivery note {doc.number} · {doc.client.name}", doc.supplier)
    facts = [("Delivery note no.", doc.number), ("Date", day(doc.issue_date)), ("Order no.", doc.order_number)]
    if doc.courier:
        facts.append(("Courier", doc.courier))
    if doc.awb:
        facts.append(("AWB", doc.awb))
    _letterhead(pdf, doc.supplier, "Delivery note", facts)
    _party_blocks(pdf, [("Deliver to", doc.delivery_address), ("Customer", doc.client)])

    _table(pdf, ["#", "SKU", "Description", "Qty", "Unit"], _line_rows(doc.lines, with_prices=False),
           widths=(10, 32, 104, 18, 18), aligns=("RIGHT", "LEFT", "LEFT", "RIGHT", "LEFT"))
    units = sum(line.qty for line in doc.lines)
    pdf.ln(1.5)
    _paragraph(pdf, f"{_count(len(doc.lines), 'line')}, {_count(units, 'unit')} in all.", size=8, color=MUTED)

    if doc.parcels or doc.courier or doc.awb:
        _section_title(pdf, "Shipment", space_needed=14 + 5 * len(doc.parcels))
        shipped_by = " · ".join(filter(None, [f"Courier: {doc.courier}" if doc.courier else None,
                                             f"AWB: {doc.awb}" if doc.awb else None]))
        if shipped_by:
            _paragraph(pdf, shipped_by)
            pdf.ln(1.5)
        if doc.parcels:
            rows = [[str(index), f"{parcel.weight_kg:,.2f} kg",
                     f"{parcel.length_cm} × {parcel.width_cm} × {parcel.height_cm} cm"]
                    for index, parcel in enumerate(doc.parcels, start=1)]
            weight = sum((parcel.weight_kg for parcel in doc.parcels), Decimal(0))
            rows.append([_count(len(doc.parcels), "parcel"), f"{weight:,.2f} kg", ""])
            _table(pdf, ["Parcel", "Weight", "Dimensions (L × W × H)"], rows, widths=(30, 30, 60),
                   aligns=("LEFT", "RIGHT", "LEFT"), width=120, bold_last_row=True)

    if doc.backorder_note:
        _section_title(pdf, "Backorder")
        _paragraph(pdf, doc.backorder_note)

    _signature_lines(pdf)
    return _output(pdf)


def _signature_lines(pdf: Any) -> None:
    if pdf.will_page_break(28):
        pdf.add_page()
    pdf.ln(10)
    top, width = pdf.get_y(), (CONTENT_WIDTH - 16) / 3
    pdf.set_draw_color(*INK)
    for index, label in enumerate(("Received by (name)", "Signature", "Date")):
        x = MARGIN + index * (width + 8)
        pdf.line(x, top + 8, x + width, top + 8)
        pdf.set_xy(x, top + 9)
        pdf.style(7.5, color=MUTED)
        pdf.cell(width, 4, label)
    pdf.set_xy(MARGIN, top + 14)


# --- statement -------------------------------------------------------------------------------------

def render_statement(doc: StatementDocument) -> bytes:
    """The client's statement of account for a period: opening balance, each invoice and payment, closing balance."""
    period = f"{day(doc.period_from)} – {day(doc.period_to)}"
    pdf = _new_sheet(f"Statement {period} · {doc.client.name}", doc.supplier)
    _letterhead(pdf, doc.supplier, "Statement", [("Period", period), ("Statement date", day(doc.period_to)),
                                                 ("Currency", doc.currency)])
    _party_blocks(pdf, [("Account of", doc.client)])

    debit = sum((entry.debit for entry in doc.entries), Decimal(0))
    credit = sum((entry.credit for entry in doc.entries), Decimal(0))
    _table(pdf, ["Opening balance", "Invoiced", "Paid", "Closing balance"],
           [[money(doc.opening_balance), money(debit), money(credit), money(doc.closing_balance)]],
           widths=(1, 1, 1, 1), aligns=("RIGHT",) * 4, font_size=9)
    pdf.ln(5)

    rows = [[day(doc.period_from), "", "Opening balance", "", "", money(doc.opening_balance)]]
    rows += [[day(entry.date), entry.reference, entry.description,
              money(entry.debit) if entry.debit else "", money(entry.credit) if entry.credit else "",
              money(entry.balance)] for entry in doc.entries]
    rows.append([day(doc.period_to), "", "Closing balance", money(debit), money(credit), money(doc.closing_balance)])
    _table(pdf, ["Date", "Document", "Description", "Debit", "Credit", "Balance"], rows,
           widths=(24, 31, 55, 24, 24, 24), aligns=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
           bold_last_row=True)

    pdf.ln(4)
    if doc.closing_balance > 0:
        account = f" to IBAN {doc.supplier.iban}" if doc.supplier.iban else ""
        _paragraph(pdf, f"Balance due to {doc.supplier.name}: {money(doc.closing_balance)} {doc.currency}"
                        f"{account}.")
    elif doc.closing_balance < 0:
        _paragraph(pdf, f"Credit in your favour: {money(-doc.closing_balance)} {doc.currency}.")
    else:
        _paragraph(pdf, "Your account is settled. Thank you.")
    _paragraph(pdf, "Please tell us within 14 days if anything on this statement does not match your records.",
               size=8, color=MUTED)
    return _output(pdf)


# --- Sales Order and proposal ----------------------------------------------------------------------------

@dataclass(frozen=True)
class OfferDocument:
    """A Sales Order (any origin) or a proposal as the client reads it: lines at their prices and the totals."""

    title: str  # "Sales Order", "Proposal"
    number: str
    issue_date: date
    status: str  # the human word
    currency: str
    supplier: Party
    client: Party
    delivery_address: Party | None
    lines: list[DocumentLine]
    vat_breakdown: list[VatBreakdown]
    subtotal: Decimal
    discount_percent: Decimal
    vat_total: Decimal
    total: Decimal
    valid_until: date | None = None
    client_reference: str | None = None
    notes: str | None = None


def render_offer(doc: OfferDocument) -> bytes:
    """A Sales Order or a proposal as an A4 PDF: parties, status and validity, the lines, VAT per rate, totals."""
    pdf = _new_sheet(f"{doc.title} {doc.number} · {doc.client.name}", doc.supplier)
    facts = [(f"{doc.title} no.", doc.number), ("Date", day(doc.issue_date)), ("Status", doc.status)]
    if doc.valid_until:
        facts.append(("Valid until", day(doc.valid_until)))
    if doc.client_reference:
        facts.append(("Your reference", doc.client_reference))
    facts.append(("Currency", doc.currency))
    _letterhead(pdf, doc.supplier, doc.title, facts)
    blocks = [("Customer", doc.client)]
    if doc.delivery_address is not None:
        blocks.append(("Deliver to", doc.delivery_address))
    _party_blocks(pdf, blocks)
    _table(pdf, ["SKU", "Description", "Qty", "Unit", "Unit price", "VAT", "Amount"],
           _line_rows(doc.lines, with_prices=True),
           widths=(27, 63, 15, 13, 23, 13, 28), aligns=("LEFT", "LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT"))
    _invoice_totals(pdf, doc)  # type: ignore[arg-type] - the same totals block: lines, VAT per rate, discount, total
    if doc.notes:
        _section_title(pdf, "Notes")
        _paragraph(pdf, doc.notes)
    return _output(pdf)
