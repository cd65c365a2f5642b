"""Invoices: issue (on acceptance, on shipping, or by hand), documents to S3, payments, statements, reminders."""
from __future__ import annotations

import json
from dataclasses import replace
import os
import secrets
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from chalicelib.aws import client
from chalicelib import config as app_config
from chalicelib.config import settings as app_settings
from chalicelib.documents.models import DocumentLine, InvoiceDocument, Party, StatementDocument, StatementEntry, VatBreakdown
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.invoicing import (
    DEFAULT_REMINDER_OFFSETS, InvoiceStatus, check_can_pay, due_date, reminders_due, status_after_payment,
)
from chalicelib.domain.money import format_money
from chalicelib.domain.orders import OrderStatus, order_totals
from chalicelib.services import mail
from chalicelib.services.ordering import as_line, line_map
from chalicelib.services.pricing import supplier_today
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store.clients import get_client
from chalicelib.store.models import InvoiceItem, PaymentItem, VatMap, sku_key

PRESIGNED_SECONDS = 300


def invoice_id_for(source_id: str) -> str:
    """One invoice per source (an order, or one shipped delivery note): the id says which."""
    return f"inv_{source_id}"


def issue(order_id: str, source_id: str | None = None) -> InvoiceItem:
    """Issue the invoice of an accepted order, or of one of its delivery notes (invoicing on shipping).

    Safe to repeat: the same source always gives the same invoice, numbered once.
    """
    source_id = source_id or order_id
    existing = invoice_store.find(invoice_id_for(source_id))
    if existing:
        return existing
    order = order_store.get(order_id)
    if order.status != OrderStatus.ACCEPTED.value:
        raise Conflict(f"Order {order.number} is {order.status}; only accepted orders are invoiced.", code="order_not_accepted")
    lines = list(order.lines)
    if source_id != order_id:
        shipped = {sku_key(line.sku): line.qty for line in dn_store.get(source_id).lines}
        lines = [line_map(replace(as_line(m), qty=shipped[sku_key(m.sku)])) for m in order.lines if sku_key(m.sku) in shipped]
    totals = order_totals([as_line(m) for m in lines], order.discount_percent)
    client_item = get_client(order.client_id)
    today = supplier_today()
    invoice = InvoiceItem(
        id=invoice_id_for(source_id), number="", order_id=order.id, order_number=order.number, source_id=source_id,
        client_id=order.client_id, client_name=order.client_name, contact_email=order.contact_email,
        client_reference=order.client_reference, status=InvoiceStatus.UNPAID.value, issue_date=today,
        due_date=due_date(today, client_item.payment_term_days), payment_term_days=client_item.payment_term_days,
        currency=order.currency, lines=lines,
        vat_breakdown=[VatMap(rate=rate, taxable=totals.net_by_rate[rate], vat=vat)
                       for rate, vat in sorted(totals.vat_by_rate.items())],
        discount_percent=order.discount_percent, subtotal=totals.subtotal, vat_total=totals.vat_total, total=totals.total,
        amount_paid=Decimal(0), created_at=order_store.now(),
    )
    try:
        return invoice_store.issue(invoice)
    except Conflict:
        return invoice_store.get(invoice.id)


# --- documents ---------------------------------------------------------------------------

def supplier_party() -> Party:
    legal = app_config.supplier()
    return Party(name=legal.name, vat_number=legal.vat_number, street=legal.street, city=legal.city,
                 postcode=legal.postcode, country=legal.country, email=legal.email,
                 registration_number=legal.registration_number, iban=legal.iban)


def client_party(client_id: str) -> Party:
    c = get_client(client_id)
    address = c.addresses[0] if c.addresses else None
    return Party(name=c.name, vat_number=c.vat_number, street=address.line1 if address else "", city=address.city if address else "",
                 postcode=address.postcode if address else "", country=address.country if address else "RO")


def invoice_document(invoice: InvoiceItem) -> InvoiceDocument:
    return InvoiceDocument(
        number=invoice.number, issue_date=invoice.issue_date, due_date=invoice.due_date, currency=invoice.currency,
        supplier=supplier_party(), client=client_party(invoice.client_id),
        lines=[DocumentLine(m.sku, m.name, m.qty, m.unit, m.unit_price, m.vat_rate, m.line_total) for m in invoice.lines],
        vat_breakdown=[VatBreakdown(v.rate, v.taxable, v.vat) for v in invoice.vat_breakdown],
        subtotal=invoice.subtotal, discount_percent=invoice.discount_percent, vat_total=invoice.vat_total, total=invoice.total,
        order_number=invoice.order_number, client_reference=invoice.client_reference, payment_term_days=invoice.payment_term_days,
    )


def render_documents(invoice_id: str) -> InvoiceItem:
    """The invoice PDF (and, for clients with a VAT number, the UBL e-invoice) in S3; keys by number, so a retry overwrites."""
    invoice = invoice_store.get(invoice_id)
    if invoice.pdf_key:
        return invoice
    from chalicelib.documents import pdf, ubl  # noqa: PLC0415 - heavy; only this step needs it

    doc = invoice_document(invoice)
    bucket = app_settings().documents_bucket
    pdf_key = f"invoices/{invoice.client_id}/{invoice.number}.pdf"
    client("s3").put_object(Bucket=bucket, Key=pdf_key, Body=pdf.render_invoice(doc), ContentType="application/pdf")
    actions = [InvoiceItem.pdf_key.set(pdf_key)]
    if doc.client.vat_number:
        xml_key = f"invoices/{invoice.client_id}/{invoice.number}.xml"
        client("s3").put_object(Bucket=bucket, Key=xml_key, Body=ubl.invoice_xml(doc), ContentType="application/xml")
        actions.append(InvoiceItem.xml_key.set(xml_key))
    return invoice_store.change(invoice, actions=tuple(actions))


def send(invoice_id: str) -> None:
    """Email the issued invoice to the client, once."""
    invoice = invoice_store.get(invoice_id)
    if "issued" in (invoice.notified or set()):
        return
    mail.send("invoice_issued", invoice.contact_email, invoice=invoice_view(invoice))
    invoice_store.change(invoice, actions=(InvoiceItem.notified.add({"issued"}),))


def download_url(key: str, filename: str) -> str:
    return client("s3").generate_presigned_url(
        "get_object", ExpiresIn=PRESIGNED_SECONDS,
        Params={"Bucket": app_settings().documents_bucket, "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{filename}"'})


def start(order_id: str, source_id: str | None = None) -> None:
    """Run the invoicing workflow for an order (or one delivery note); the execution name makes it once."""
    source_id = source_id or order_id
    sfn = client("stepfunctions")
    try:
        sfn.start_execution(stateMachineArn=os.environ["INVOICING_STATE_MACHINE_ARN"], name=f"inv-{source_id}",
                            input=json.dumps({"order_id": order_id, "source_id": source_id}))
    except sfn.exceptions.ExecutionAlreadyExists:
        pass


# --- payments ----------------------------------------------------------------------------------

def record_payment(invoice_id: str, *, amount: Decimal, paid_on: date, method: str, reference: str | None,
                   actor: str, payment_id: str | None = None) -> InvoiceItem:
    """Record a (partial) payment; the invoice becomes partially paid or paid and the client's balance drops."""
    payment_id = payment_id or f"pay_{secrets.token_hex(8)}"
    for _attempt in range(5):  # the invoicing workflow may be writing the invoice's documents meanwhile
        invoice = invoice_store.get(invoice_id)
        if any(p.id == payment_id for p in invoice_store.payments(invoice_id)):
            return invoice  # a replayed gateway event
        check_can_pay(InvoiceStatus(invoice.status))
        status = status_after_payment(total=invoice.total, paid_before=invoice.amount_paid, amount=amount,
                                      due=invoice.due_date, today=supplier_today())
        payment = PaymentItem(id=payment_id, invoice_id=invoice.id, amount=amount, paid_on=paid_on, method=method,
                              reference=reference, recorded_by=actor, created_at=order_store.now())
        try:
            return invoice_store.record_payment(invoice, payment, status.value)
        except Conflict as exc:
            if exc.code == "payment_exists":
                return invoice_store.get(invoice_id)
            if exc.code != "stale_version":
                raise
    raise Conflict("The invoice keeps changing; try again.", code="stale_version")


# --- statement ------------------------------------------------------------------------------------

def statement(client_id: str, period_from: date, period_to: date) -> StatementDocument:
    """Opening balance, the period's invoices and payments with a running balance, closing balance."""
    if period_to < period_from:
        raise ValidationFailed("to is before from.", code="invalid_date_range", field="to")
    client_item = get_client(client_id)
    entries = invoice_store.ledger(client_id, since=period_from)
    after = sum((e.debit - e.credit for e in entries), Decimal(0))
    opening = (client_item.balance or Decimal(0)) - after
    running, lines = opening, []
    for e in entries:
        if e.entry_date > period_to:
            break
        running += e.debit - e.credit
        lines.append(StatementEntry(e.entry_date, e.kind, e.reference, e.description, e.debit, e.credit, running))
    return StatementDocument(supplier=supplier_party(), client=client_party(client_id), currency=client_item.currency,
                             period_from=period_from, period_to=period_to, opening_balance=opening, entries=lines,
                             closing_balance=running)


def statement_pdf_url(client_id: str, period_from: date, period_to: date) -> str:
    """The statement as a PDF in S3 (rendered now: it changes with every payment), behind a short-lived link."""
    from chalicelib.documents import pdf  # noqa: PLC0415 - heavy; only this download needs it

    key = f"statements/{client_id}/{period_from}_{period_to}_{secrets.token_hex(4)}.pdf"
    client("s3").put_object(Bucket=app_settings().documents_bucket, Key=key, ContentType="application/pdf",
                            Body=pdf.render_statement(statement(client_id, period_from, period_to)))
    return download_url(key, f"statement-{period_from}-{period_to}.pdf")


# --- overdue reminders -------------------------------------------------------------------------------

def remind_overdue_page(today: date, cursor: str | None, page_size: int = 100) -> dict[str, Any]:
    """One page of the daily run: open invoices due before today become overdue and get the reminder due.

    Pages walk the open statuses in turn (`cursor` = "<status>|<position>"), each by due date on an index.
    """
    order = [InvoiceStatus.UNPAID.value, InvoiceStatus.PARTIALLY_PAID.value, InvoiceStatus.OVERDUE.value]
    status, _, position = (cursor or f"{order[0]}|").partition("|")
    invoices, after = invoice_store.by_status(status, limit=page_size, after=position or None, due_before=today)
    offsets = DEFAULT_REMINDER_OFFSETS
    for invoice in invoices:
        _remind(invoice, today, offsets)
    if after:
        return {"today": today.isoformat(), "cursor": f"{status}|{after}", "done": False}
    following = order.index(status) + 1
    if following < len(order):
        return {"today": today.isoformat(), "cursor": f"{order[following]}|", "done": False}
    return {"today": today.isoformat(), "cursor": None, "done": True}


def _remind(invoice: InvoiceItem, today: date, offsets: tuple[int, ...]) -> None:
    """Overdue, and the reminder due today: one conditional write per invoice, then at most one email."""
    sent = {int(x) for x in invoice.reminders_sent}
    due = reminders_due(due=invoice.due_date, today=today, offsets=offsets, sent=sent)
    if invoice.status == InvoiceStatus.OVERDUE.value and not due:
        return
    actions = (InvoiceItem.reminders_sent.set(sorted(sent | set(due))),) if due else ()
    try:
        invoice_store.change(invoice, status=InvoiceStatus.OVERDUE.value, actions=actions)
    except Conflict:
        return  # paid or reminded meanwhile (a payment, a parallel run): the next run looks again
    if due:
        mail.send("invoice_overdue", invoice.contact_email, invoice=invoice_view(invoice), days=(today - invoice.due_date).days)


def start_reminders(today: date, *, on_demand: bool = False) -> str:
    """Start a reminder run: the daily one is named after its day (a repeated trigger starts nothing new);
    an on-demand run gets a name of its own. Sending twice is prevented per invoice either way."""
    sfn = client("stepfunctions")
    name = f"reminders-{today.isoformat()}"
    if on_demand:
        name += f"-{datetime.now(timezone.utc).strftime('%H%M%S%f')}"
    try:
        return sfn.start_execution(stateMachineArn=os.environ["OVERDUE_REMINDERS_STATE_MACHINE_ARN"], name=name,
                                   input=json.dumps({"today": today.isoformat(), "cursor": None}))["executionArn"]
    except sfn.exceptions.ExecutionAlreadyExists:
        return os.environ["OVERDUE_REMINDERS_STATE_MACHINE_ARN"].replace(":stateMachine:", ":execution:") + f":{name}"


def invoice_view(invoice: InvoiceItem) -> dict[str, Any]:
    return {"id": invoice.id, "number": invoice.number, "client_name": invoice.client_name, "order_number": invoice.order_number,
            "issue_date": invoice.issue_date.isoformat(), "due_date": invoice.due_date.isoformat(),
            "total": format_money(invoice.total), "amount_due": format_money(invoice.amount_due), "currency": invoice.currency}

