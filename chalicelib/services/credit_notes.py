"""Credit notes: credit all or part of an issued invoice (lines and quantities), with a reason.

A credit note lowers what the invoice still asks (`amount_credited`) and the client's balance, shows in the
statement as a credit, has its own gapless series (CN-<year>-000001), a PDF and a UBL CreditNote, and is
emailed to the client. An invoice credited in full is `cancelled`.

What can be credited is what the invoice sold minus what earlier credit notes took back, per SKU. The last
credit note (everything left) takes exactly what is left of the invoice's amounts per VAT category, so the
credits of an invoice always add up to its total to the cent.
"""
from __future__ import annotations

import secrets
from dataclasses import replace
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.aws import client
from chalicelib.config import settings as app_settings
from chalicelib.documents.models import InvoiceDocument
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.invoicing import InvoiceStatus
from chalicelib.domain.money import format_money, to_money
from chalicelib.domain.orders import order_totals
from chalicelib.domain.tax import exemption_note
from chalicelib.services import invoicing, mail
from chalicelib.services.ordering import as_line, line_map
from chalicelib.services.pricing import supplier_today
from chalicelib.store import credit_notes as store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store.models import InvoiceItem, VatMap, sku_key

logger = Logger(service="b2b-portal", child=True)
ATTEMPTS = 10
CREDITABLE = (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID, InvoiceStatus.OVERDUE)


def credited_quantities(invoice_id: str) -> dict[str, int]:
    """Per SKU (key form), what earlier credit notes already took back."""
    taken: dict[str, int] = {}
    for note in store.for_invoice(invoice_id):
        for line in note.lines:
            taken[sku_key(line.sku)] = taken.get(sku_key(line.sku), 0) + line.qty
    return taken


def _wanted(invoice: InvoiceItem, lines: list[dict[str, Any]] | None, taken: dict[str, int]) -> dict[str, int]:
    left = {sku_key(m.sku): m.qty - taken.get(sku_key(m.sku), 0) for m in invoice.lines}
    if not lines:
        wanted = {sku: qty for sku, qty in left.items() if qty > 0}
        if not wanted:
            raise Conflict(f"Invoice {invoice.number} is already credited in full.", code="invoice_fully_credited")
        return wanted
    wanted: dict[str, int] = {}
    for i, line in enumerate(lines):
        key = sku_key(str(line.get("sku", "")))
        qty = line.get("qty")
        if key not in left:
            raise ValidationFailed(f"{line.get('sku')} is not on invoice {invoice.number}.", code="unknown_product",
                                   field=f"lines[{i}].sku")
        if key in wanted:
            raise ValidationFailed(f"{line.get('sku')} is on an earlier line already.", code="duplicate_sku",
                                   field=f"lines[{i}].sku")
        if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
            raise ValidationFailed("Quantity must be a whole number of at least 1.", code="invalid_quantity",
                                   field=f"lines[{i}].qty")
        if qty > left[key]:
            raise ValidationFailed(f"Only {left[key]} of {line.get('sku')} can still be credited on this invoice.",
                                   code="above_max_qty", field=f"lines[{i}].qty")
        wanted[key] = qty
    return wanted


def _amounts(invoice: InvoiceItem, wanted: dict[str, int], full: bool) -> tuple[list[Any], list[VatMap], Decimal, Decimal]:
    """The credit note's lines, VAT breakdown, subtotal and VAT (the invoice's discount applies to them too)."""
    lines = [line_map(replace(as_line(m), qty=wanted[sku_key(m.sku)])) for m in invoice.lines if sku_key(m.sku) in wanted]
    totals = order_totals([as_line(m) for m in lines], invoice.discount_percent)
    net, vat = dict(totals.net_by_category), dict(totals.vat_by_category)
    if full:  # what is left of each category, to the cent: all credits of an invoice add up to it
        net, vat = {}, {}
        for row in invoice.vat_breakdown:
            key = (row.category or ("S" if row.rate else "Z"), row.rate)
            net[key], vat[key] = row.taxable, row.vat
        for note in store.for_invoice(invoice.id):
            for row in note.vat_breakdown:
                key = (row.category or ("S" if row.rate else "Z"), row.rate)
                net[key] = net.get(key, Decimal(0)) - row.taxable
                vat[key] = vat.get(key, Decimal(0)) - row.vat
    reasons = {(r.category or ("S" if r.rate else "Z"), r.rate): (r.exemption_reason, r.exemption_code) for r in invoice.vat_breakdown}
    breakdown = [VatMap(rate=rate, taxable=to_money(net[(cat, rate)]), vat=to_money(vat[(cat, rate)]), category=cat,
                        exemption_reason=reasons.get((cat, rate), (None, None))[0],
                        exemption_code=reasons.get((cat, rate), (None, None))[1])
                 for (cat, rate) in sorted(net) if net[(cat, rate)] or vat[(cat, rate)]]
    subtotal = sum((row.taxable for row in breakdown), Decimal(0))
    vat_total = sum((row.vat for row in breakdown), Decimal(0))
    return lines, breakdown, subtotal, vat_total


def create(invoice_id: str, *, reason: str, lines: list[dict[str, Any]] | None, actor: str) -> store.CreditNoteItem:
    """Credit an issued invoice in full (no `lines`) or in part; the documents and the email follow."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why the invoice is credited.", code="missing_field", field="reason")
    for _attempt in range(ATTEMPTS):
        invoice = invoice_store.get(invoice_id)
        if InvoiceStatus(invoice.status) not in CREDITABLE:
            raise Conflict(f"Invoice {invoice.number} is {invoice.status}; it cannot be credited.", code="invoice_not_creditable")
        taken = credited_quantities(invoice.id)
        wanted = _wanted(invoice, lines, taken)
        left_after = {sku_key(m.sku): m.qty - taken.get(sku_key(m.sku), 0) - wanted.get(sku_key(m.sku), 0) for m in invoice.lines}
        full = all(q == 0 for q in left_after.values())
        note_lines, breakdown, subtotal, vat_total = _amounts(invoice, wanted, full)
        total = subtotal + vat_total
        if full:
            status = InvoiceStatus.CANCELLED
        elif invoice.amount_paid + (invoice.amount_credited or 0) + total >= invoice.total:
            status = InvoiceStatus.PAID
        else:
            status = InvoiceStatus(invoice.status)
        vat_tax_currency = to_money(vat_total * invoice.exchange_rate) if invoice.exchange_rate else None
        note = store.CreditNoteItem(
            id=f"cn_{secrets.token_hex(8)}", number="", invoice_id=invoice.id, invoice_number=invoice.number,
            invoice_issue_date=invoice.issue_date, order_id=invoice.order_id, order_number=invoice.order_number,
            client_id=invoice.client_id, client_name=invoice.client_name, contact_email=invoice.contact_email,
            client_reference=invoice.client_reference, reason=reason[:500], issue_date=supplier_today(),
            currency=invoice.currency, lines=note_lines, vat_breakdown=breakdown, discount_percent=invoice.discount_percent,
            subtotal=subtotal, vat_total=vat_total, total=total, full="yes" if full else "no",
            tax_currency=invoice.tax_currency, exchange_rate=invoice.exchange_rate, vat_total_tax_currency=vat_tax_currency,
            created_by=actor, created_at=order_store.now())
        try:
            stored = store.issue(note, invoice, status.value)
        except Conflict as exc:
            if exc.code != "stale_version":
                raise
            continue
        try:
            deliver(stored.id)
        except Exception:  # noqa: BLE001 - the credit stands; the PDF renders on first download, finance can resend
            logger.exception("Credit note documents or email failed", extra={"credit_note_id": stored.id})
        return store.get(stored.id)
    raise Conflict("The invoice keeps changing; try again.", code="stale_version")


def document(note: store.CreditNoteItem) -> InvoiceDocument:
    lines = invoicing.document_lines(note.lines)
    return InvoiceDocument(
        number=note.number, issue_date=note.issue_date, due_date=note.issue_date, currency=note.currency,
        supplier=invoicing.supplier_party(), client=invoicing.client_party(note.client_id), lines=lines,
        vat_breakdown=invoicing.document_breakdown(note.vat_breakdown), subtotal=note.subtotal,
        discount_percent=note.discount_percent, vat_total=note.vat_total, total=note.total, order_number=note.order_number,
        client_reference=note.client_reference, tax_currency=note.tax_currency, exchange_rate=note.exchange_rate,
        vat_total_tax_currency=note.vat_total_tax_currency, kind="credit_note", invoice_number=note.invoice_number,
        invoice_issue_date=note.invoice_issue_date, reason=note.reason,
        legal_notes=exemption_note((line.vat_category, line.vat_exemption_reason) for line in lines))


def render(credit_note_id: str) -> store.CreditNoteItem:
    """PDF and UBL CreditNote in S3 (keys by number: a retry overwrites)."""
    from chalicelib.documents import pdf, ubl  # noqa: PLC0415 - heavy

    note = store.get(credit_note_id)
    if note.pdf_key:
        return note
    doc = document(note)
    bucket = app_settings().documents_bucket
    pdf_key = f"credit-notes/{note.client_id}/{note.number}.pdf"
    xml_key = f"credit-notes/{note.client_id}/{note.number}.xml"
    client("s3").put_object(Bucket=bucket, Key=xml_key, Body=ubl.credit_note_xml(doc), ContentType="application/xml")
    client("s3").put_object(Bucket=bucket, Key=pdf_key, Body=pdf.render_credit_note(doc), ContentType="application/pdf")
    return store.set_documents(note, pdf_key=pdf_key, xml_key=xml_key)


def deliver(credit_note_id: str) -> None:
    """Render, then email the client once (claimed by a conditional write)."""
    note = render(credit_note_id)
    if store.mark_notified(note, "issued"):
        mail.deliver("credit_note_issued", note.contact_email, credit_note=view(note))


def view(note: store.CreditNoteItem) -> dict[str, Any]:
    return {"id": note.id, "number": note.number, "invoice_number": note.invoice_number, "client_name": note.client_name,
            "issue_date": note.issue_date.isoformat(), "reason": note.reason, "total": format_money(note.total),
            "currency": note.currency}
