"""Invoices: issue (on acceptance, on shipping, or by hand), documents to S3, payments, statements, reminders."""
from __future__ import annotations

import json
import os
import random
import secrets
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.adapters.payments import PaymentError, PaymentEvent, gateway_from_env
from chalicelib.aws import client
from chalicelib import config as app_config
from chalicelib.config import settings as app_settings
from chalicelib.documents.models import DocumentLine, InvoiceDocument, Party, StatementDocument, StatementEntry, VatBreakdown
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.invoicing import (
    OPEN_STATUSES, InvoiceStatus, check_can_pay, due_date, reminders_due, split_gateway_payment,
    status_after_applied, status_after_payment,
)
from chalicelib.domain.money import format_money, to_money
from chalicelib.domain.tax import LEGAL_WORDING, VatCategory, exemption_note
from chalicelib.domain.orders import OrderStatus, order_totals
from chalicelib.services import settings as settings_service
from chalicelib.services import credit, events, mail
from chalicelib.services import tax as vat
from chalicelib.services.ordering import as_line, line_map
from chalicelib.services.pricing import supplier_today
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store import users as user_store
from chalicelib.store.clients import get_client
from chalicelib.store.models import ClientCreditItem, GatewayEventItem, InvoiceItem, PaymentItem, VatMap, sku_key

logger = Logger(service="b2b-portal", child=True)
PRESIGNED_SECONDS = 300
# How long a claimed email ("sending") belongs to the attempt that claimed it; longer than any Lambda
# timeout of the steps that send, so a live attempt is never doubled. After it, a retry sends again.
SENDING_LEASE = timedelta(minutes=5)
WRITE_ATTEMPTS = 30  # concurrent payments on one invoice serialize on its version


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
        return apply_credits(existing)  # a retry finishes what a failed attempt began
    order = order_store.get(order_id)
    if order.status != OrderStatus.ACCEPTED.value:
        raise Conflict(f"Order {order.number} is {order.status}; only accepted orders are invoiced.", code="order_not_accepted")
    client_item = get_client(order.client_id)
    lines = list(order.lines)
    delivery_date = None
    if source_id != order_id:
        note = dn_store.get(source_id)
        shipped = {sku_key(line.sku): line.qty for line in note.lines}
        lines = [line_map(replace(as_line(m), qty=shipped[sku_key(m.sku)])) for m in order.lines if sku_key(m.sku) in shipped]
        shipped_at = note.shipped_at or note.delivered_at
        delivery_date = supplier_day(shipped_at) if shipped_at else None
    # VAT per line for this client (lines priced before categories existed are decided now)
    lines = [m if m.vat_category else line_map(vat.for_line(client_item, as_line(m))) for m in lines]
    totals = order_totals([as_line(m) for m in lines], order.discount_percent)
    today = supplier_today()
    tax_currency, rate, rate_day, vat_in_tax_currency = _tax_currency(order.currency, totals.vat_total)
    invoice = InvoiceItem(
        id=invoice_id_for(source_id), number="", order_id=order.id, order_number=order.number, source_id=source_id,
        client_id=order.client_id, client_name=order.client_name, contact_email=order.contact_email,
        client_reference=order.client_reference, status=InvoiceStatus.UNPAID.value, issue_date=today,
        due_date=due_date(today, client_item.payment_term_days), payment_term_days=client_item.payment_term_days,
        currency=order.currency, lines=lines,
        vat_breakdown=[VatMap(rate=rate_, taxable=totals.net_by_category[(category, rate_)], vat=vat_amount, category=category,
                              exemption_reason=_reason(lines, category, rate_), exemption_code=_vatex(category))
                       for (category, rate_), vat_amount in sorted(totals.vat_by_category.items())],
        discount_percent=order.discount_percent, subtotal=totals.subtotal, vat_total=totals.vat_total, total=totals.total,
        amount_paid=Decimal(0), created_at=order_store.now(), tax_currency=tax_currency, exchange_rate=rate,
        exchange_rate_date=rate_day, vat_total_tax_currency=vat_in_tax_currency, delivery_date=delivery_date,
        einvoice_status="not_applicable" if app_config.einvoice_kind() == "none" else "pending",
    )
    try:
        stored = invoice_store.issue(invoice, *credit.invoice_updates(order, totals.total))
    except Conflict:  # issued meanwhile by a parallel start (Express workflows are not deduplicated by name)
        stored = invoice_store.get(invoice.id)
    return apply_credits(stored)


def _tax_currency(currency: str, vat_total: Decimal) -> tuple[str | None, Decimal | None, date | None, Decimal | None]:
    """In another currency than the books: the accounting currency, the rate fixed now and the VAT in it."""
    accounting = app_config.accounting_currency()
    if currency.upper() == accounting:
        return None, None, None, None
    from chalicelib.adapters.exchange_rates import rates_from_env  # noqa: PLC0415 - only foreign-currency invoices need it

    rate = rates_from_env().rate(currency, accounting)
    return accounting, rate.rate, rate.day, to_money(vat_total * rate.rate)


def _reason(lines: list[Any], category: str, rate: Decimal) -> str | None:
    return next((m.vat_exemption_reason for m in lines if (m.vat_category or "S") == category and m.vat_rate == rate
                 and m.vat_exemption_reason), None)


def _vatex(category: str) -> str | None:
    wording = LEGAL_WORDING.get(VatCategory(category)) if category in VatCategory._value2member_map_ else None
    return wording.vatex if wording else None


def supplier_day(moment: datetime) -> date:
    """The supplier's calendar day of a moment (dates of supply are the supplier's)."""
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    return moment.astimezone(ZoneInfo(app_settings().supplier_timezone)).date()


# --- documents ---------------------------------------------------------------------------

def supplier_party() -> Party:
    legal = settings_service.supplier()  # the back office's saved legal data over the environment
    return Party(name=legal.name, vat_number=legal.vat_number, street=legal.street, city=legal.city,
                 postcode=legal.postcode, country=legal.country, email=legal.email,
                 registration_number=legal.registration_number, iban=legal.iban, county=legal.county or None)


def client_party(client_id: str) -> Party:
    c = get_client(client_id)
    address = c.addresses[0] if c.addresses else None
    return Party(name=c.name, vat_number=c.vat_number, street=address.line1 if address else "", city=address.city if address else "",
                 postcode=address.postcode if address else "", country=address.country if address else app_config.supplier().country,
                 county=address.county if address else None)


def document_lines(lines: list[Any]) -> list[DocumentLine]:
    return [DocumentLine(m.sku, m.name, m.qty, m.unit, m.unit_price, m.vat_rate, m.line_total,
                         m.vat_category or ("S" if m.vat_rate else "Z"), m.vat_exemption_reason) for m in lines]


def document_breakdown(rows: list[VatMap]) -> list[VatBreakdown]:
    return [VatBreakdown(v.rate, v.taxable, v.vat, v.category or ("S" if v.rate else "Z"), v.exemption_reason, v.exemption_code)
            for v in rows]


def invoice_document(invoice: InvoiceItem) -> InvoiceDocument:
    lines = document_lines(invoice.lines)
    before_delivery = None if invoice.delivery_date else (
        "Issued before delivery: the date of supply is the delivery date on the delivery note.")
    client = client_party(invoice.client_id)
    return InvoiceDocument(
        number=invoice.number, issue_date=invoice.issue_date, due_date=invoice.due_date, currency=invoice.currency,
        supplier=supplier_party(), client=client, lines=lines,
        vat_breakdown=document_breakdown(invoice.vat_breakdown),
        subtotal=invoice.subtotal, discount_percent=invoice.discount_percent, vat_total=invoice.vat_total, total=invoice.total,
        order_number=invoice.order_number, client_reference=invoice.client_reference, payment_term_days=invoice.payment_term_days,
        tax_currency=invoice.tax_currency, exchange_rate=invoice.exchange_rate,
        vat_total_tax_currency=invoice.vat_total_tax_currency, delivery_date=invoice.delivery_date,
        delivery_country=client.country if invoice.delivery_date else None, delivery_note=before_delivery,
        legal_notes=exemption_note((line.vat_category, line.vat_exemption_reason) for line in lines),
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
    if doc.client.vat_number or (invoice.einvoice_status or "not_applicable") != "not_applicable":
        xml_key = f"invoices/{invoice.client_id}/{invoice.number}.xml"
        client("s3").put_object(Bucket=bucket, Key=xml_key, Body=ubl.invoice_xml(doc), ContentType="application/xml")
        actions.append(InvoiceItem.xml_key.set(xml_key))
    return invoice_store.change(invoice, actions=tuple(actions))


def send(invoice_id: str) -> None:
    """Email the issued invoice to the client, once (see `_notify_once`); an address SES refuses is marked
    failed on the invoice and does not fail the workflow."""
    invoice = invoice_store.get(invoice_id)
    events.announce("invoice.issued", invoice.id, invoice_id=invoice.id, client_id=invoice.client_id, order_id=invoice.order_id)
    if "issued" in (invoice.notified or set()):
        return
    pdf = _pdf_attachment(invoice)
    claimed = _notify_once(invoice, "issued", "invoice_issued", invoice=invoice_view(invoice),
                           attachments=[pdf] if pdf else None, pdf_attached=pdf is not None)
    if claimed is None:
        mine = invoice_store.notification(invoice.id, "issued")
        if mine is not None and mine.status == "sending":  # another attempt is sending it right now
            raise Conflict(f"Invoice {invoice.number} is being emailed by another attempt.", code="notification_in_progress")
    invoice_store.change(invoice, actions=(InvoiceItem.notified.add({"issued"}),))


def _pdf_attachment(invoice: InvoiceItem) -> mail.Attachment | None:
    """The invoice PDF to attach to its email, when it is stored and small enough for SES (else the email links it)."""
    if not invoice.pdf_key:
        return None
    body = client("s3").get_object(Bucket=app_settings().documents_bucket, Key=invoice.pdf_key)["Body"].read()
    attachment = mail.Attachment(f"{invoice.number}.pdf", body)
    return attachment if mail.fits([attachment]) else None


def send_receipt(invoice: InvoiceItem, *, payment_key: str, amount: Decimal, paid_on: date, method: str) -> None:
    """Email the client a receipt for one payment, once per payment (claimed like every invoice email). A receipt
    that cannot go now is logged, never a reason to fail the payment that is recorded already."""
    try:
        _notify_once(invoice, f"receipt:{payment_key}", "payment_receipt", invoice=invoice_view(invoice),
                     payment={"amount": format_money(amount), "paid_on": paid_on.isoformat(), "method": method})
    except Exception:  # noqa: BLE001 - see the docstring
        logger.exception("payment receipt not sent", extra={"invoice_id": invoice.id, "payment": payment_key})


def _notify_once(invoice: InvoiceItem, key: str, template: str, /, **context: Any) -> bool | None:
    """Claim (conditional write: `sending`), send, then record `sent` or `failed`: None when it was not ours to send.

    At least once only in one window: an attempt that dies after SES accepted the email and before
    `sent` is written leaves `sending`; after SENDING_LEASE a retry sends it again. A transient SES error
    releases the claim and raises, so the step's retry sends it.
    """
    claim = invoice_store.claim_notification(invoice.id, key, invoice.contact_email, lease=SENDING_LEASE)
    if claim is None:
        return None
    try:
        delivery = mail.deliver(template, invoice.contact_email, **context)
    except Exception:
        invoice_store.release_notification(claim)
        raise
    invoice_store.finish_notification(claim, sent=delivery.delivered, message_id=delivery.message_id, error=delivery.error)
    if not delivery.delivered:
        logger.warning("Invoice email refused", extra={"invoice_id": invoice.id, "key": key, "error": delivery.error})
    return delivery.delivered


def download_url(key: str, filename: str) -> str:
    return client("s3").generate_presigned_url(
        "get_object", ExpiresIn=PRESIGNED_SECONDS,
        Params={"Bucket": app_settings().documents_bucket, "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{filename}"'})


def start(order_id: str, source_id: str | None = None) -> None:
    """Run the invoicing workflow for an order (or one delivery note).

    The name only spares a second execution where Step Functions deduplicates (Standard; moto also does
    it for Express, AWS does not): a second run is harmless because every step is once at the data level
    (the invoice's conditional put, the email's claim).
    """
    source_id = source_id or order_id
    sfn = client("stepfunctions")
    try:
        sfn.start_execution(stateMachineArn=os.environ["INVOICING_STATE_MACHINE_ARN"], name=f"inv-{source_id}",
                            input=json.dumps({"order_id": order_id, "source_id": source_id}))
    except sfn.exceptions.ExecutionAlreadyExists:
        pass


# --- payments ----------------------------------------------------------------------------------

def record_payment(invoice_id: str, *, amount: Decimal, paid_on: date, method: str, reference: str | None,
                   actor: str) -> InvoiceItem:
    """Record a (partial) payment entered by staff; the invoice becomes partially paid or paid and the client's
    balance drops. Overpayment is refused (422): only money the gateway already took becomes a credit."""
    payment_id = f"pay_{secrets.token_hex(8)}"
    for _attempt in range(WRITE_ATTEMPTS):  # the invoicing workflow or a webhook may be writing the invoice meanwhile
        invoice = invoice_store.get(invoice_id)
        check_can_pay(InvoiceStatus(invoice.status))
        status = status_after_payment(total=invoice.total, paid_before=invoice.amount_paid, amount=amount,
                                      due=invoice.due_date, today=supplier_today())
        payment = PaymentItem(id=payment_id, invoice_id=invoice.id, amount=amount, paid_on=paid_on, method=method,
                              reference=reference, recorded_by=actor, created_at=order_store.now())
        try:
            paid = invoice_store.record_payment(invoice, payment, status.value)
        except Conflict as exc:
            if exc.code == "payment_exists":
                return invoice_store.get(invoice_id)
            if exc.code != "stale_version":
                raise
            _pause()
            continue
        expire_checkouts(invoice_id, keep=None)
        send_receipt(paid, payment_key=payment_id, amount=amount, paid_on=paid_on, method=method)
        events.announce("payment.received", payment_id, quiet=True, invoice_id=invoice_id, client_id=paid.client_id, amount=str(amount), method=method)
        events.announce(f"invoice.{'paid' if paid.status == 'paid' else 'partially_paid'}", payment_id, quiet=True, invoice_id=invoice_id, client_id=paid.client_id)
        return paid
    raise Conflict("The invoice keeps changing; try again.", code="stale_version")


def record_online_payment(event: PaymentEvent) -> GatewayEventItem:
    """Money the gateway took is always recorded, whatever happened meanwhile.

    What is still due is paid; the rest (all of it on a paid or cancelled invoice) becomes the client's
    credit, with a task for finance. Another currency than the invoice's is kept as a mismatch for finance
    (nothing applied). The event id makes it once: a replay is counted on the stored event.
    """
    for _attempt in range(WRITE_ATTEMPTS):
        invoice = invoice_store.get(event.invoice_id)
        item = GatewayEventItem(event_id=event.id, invoice_id=invoice.id, session_id=event.session_id, amount=event.amount,
                                currency=event.currency, applied=Decimal(0), credit=Decimal(0), received_at=order_store.now())
        if event.currency != invoice.currency:
            item.outcome = "mismatch"
            item.message = (f"Paid {format_money(event.amount)} {event.currency}, but the invoice is in {invoice.currency}: "
                            "nothing was applied. Refund the payment or record it by hand.")
            if not invoice_store.record_refused_event(invoice, item):
                return _redelivered(invoice, event.id)
            _finance_tasks(invoice, item)
            return item
        applied, credit = split_gateway_payment(amount=event.amount, status=InvoiceStatus(invoice.status),
                                                amount_due=invoice.amount_due)
        item.applied, item.credit = applied, credit
        item.outcome = "credit" if credit else "recorded"
        if event.expected_amount is not None and event.expected_amount != event.amount:
            item.outcome = "mismatch"
            item.message = (f"The checkout was for {format_money(event.expected_amount)} {invoice.currency}; "
                            f"the gateway reports {format_money(event.amount)}.")
        status = status_after_applied(total=invoice.total, paid=invoice.amount_paid + applied, status=InvoiceStatus(invoice.status))
        payment = PaymentItem(id=event.id, invoice_id=invoice.id, amount=applied, paid_on=event.paid_at.date(), method="online",
                              reference=event.reference, recorded_by="payment-gateway", created_at=item.received_at) if applied else None
        credit_item = ClientCreditItem(
            id=credit_id_for(event.id), client_id=invoice.client_id, currency=invoice.currency, amount=credit, remaining=credit,
            source_invoice_id=invoice.id, source_invoice_number=invoice.number, created_at=item.received_at) if credit else None
        try:
            invoice_store.record_gateway_payment(invoice, item, status.value, payment=payment, credit=credit_item)
        except Conflict as exc:
            if exc.code == "event_exists":
                return _redelivered(invoice, event.id)
            if exc.code != "stale_version":
                raise
            _pause()
            continue
        _finance_tasks(invoice, item)
        if applied:
            send_receipt(invoice_store.get(invoice.id), payment_key=event.id, amount=applied,
                         paid_on=event.paid_at.date(), method="online")
        return item
    raise Conflict("The invoice keeps changing; the gateway will retry.", code="stale_version")


def _redelivered(invoice: InvoiceItem, event_id: str) -> GatewayEventItem:
    """A replayed event: counted, and its finance tasks made sure of (the first delivery may have died after recording)."""
    item = invoice_store.count_redelivery(invoice.id, event_id)
    _finance_tasks(invoice, item)
    return item


def _finance_tasks(invoice: InvoiceItem, event: GatewayEventItem) -> None:
    """A finance task (an admin's when there is no finance staff) for a credit to refund, or a mismatch to sort out."""
    if event.outcome == "mismatch":
        kind, title = f"payment_mismatch_{event.event_id}", f"Check the online payment for invoice {invoice.number}: {event.message}"
    elif event.credit > 0:
        kind = credit_task_kind(credit_id_for(event.event_id))
        title = (f"{invoice.client_name} paid {format_money(event.credit)} {event.currency} beyond invoice {invoice.number}: "
                 "refund it, or it is applied to the client's next invoice")
    else:
        return
    people = user_store.staff_with_roles(("finance",)) or user_store.staff_with_roles(("admin",))
    if people:  # one task per invoice and kind (the order's task key): the first finance person holds it
        order_store.add_task(invoice.order_id, kind, people[0].id, title)


def credit_id_for(event_id: str) -> str:
    return f"cr_{event_id}"


def credit_task_kind(credit_id: str) -> str:
    return f"client_credit_{credit_id}"


def refund_credit(client_id: str, credit_id: str, reference: str) -> ClientCreditItem:
    """Finance paid back what is left of a credit (outside the platform: a bank transfer, a gateway refund)."""
    credit = invoice_store.get_credit(client_id, credit_id)
    if credit.remaining <= 0:
        raise Conflict("Nothing is left of this credit: it was applied or refunded.", code="credit_used")
    refunded = invoice_store.refund_credit(credit, supplier_today(), reference)
    _close_credit_task(refunded)
    return refunded


def _close_credit_task(credit: ClientCreditItem) -> None:
    order_store.close_task(invoice_store.get(credit.source_invoice_id).order_id, credit_task_kind(credit.id))


def apply_credits(invoice: InvoiceItem) -> InvoiceItem:
    """The client's credits (same currency, oldest first) pay what is due on a newly issued invoice. Retry-safe:
    a credit pays a given invoice at most once (the payment id names both)."""
    for credit in invoice_store.open_credits(invoice.client_id, invoice.currency):
        for _attempt in range(WRITE_ATTEMPTS):
            if InvoiceStatus(invoice.status) not in OPEN_STATUSES or invoice.amount_due <= 0:
                return invoice
            amount = min(credit.remaining, invoice.amount_due)
            if amount <= 0:
                break
            status = status_after_applied(total=invoice.total, paid=invoice.amount_paid + amount, status=InvoiceStatus(invoice.status))
            payment = PaymentItem(id=f"credit_{credit.id}", invoice_id=invoice.id, amount=amount, paid_on=supplier_today(),
                                  method="credit", reference=f"Credit from invoice {credit.source_invoice_number}",
                                  recorded_by="system", created_at=order_store.now())
            try:
                invoice = invoice_store.apply_credit(invoice, credit, payment, status.value)
                if amount == credit.remaining:
                    _close_credit_task(credit)  # all used: nothing left to refund
                break
            except Conflict as exc:
                if exc.code == "payment_exists":
                    break
                if exc.code != "stale_version":
                    raise
                _pause()
                invoice = invoice_store.get(invoice.id)
                credit = invoice_store.get_credit(invoice.client_id, credit.id)
    return invoice


def expire_checkouts(invoice_id: str, *, keep: str | None) -> None:
    """Expire the invoice's open checkouts (but `keep`): their amount is no longer what is due.

    Best effort: a checkout the gateway cannot expire any more (being paid right now) still lands,
    as a payment or a credit, when its webhook arrives.
    """
    for checkout in invoice_store.open_checkouts(invoice_id):
        if checkout.session_id == keep:
            continue
        try:
            expired = gateway_from_env().expire_checkout(checkout.session_id)
        except PaymentError:
            logger.warning("Checkout not expired", extra={"session_id": checkout.session_id, "invoice_id": invoice_id})
            continue
        invoice_store.close_checkout(invoice_id, checkout.session_id, "expired" if expired else "closed")


def _pause() -> None:
    time.sleep(random.uniform(0.002, 0.03))


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
    offsets = settings_service.reminder_offsets()
    for invoice in invoices:
        _remind(invoice, today, offsets)
    if after:
        return {"today": today.isoformat(), "cursor": f"{status}|{after}", "done": False}
    following = order.index(status) + 1
    if following < len(order):
        return {"today": today.isoformat(), "cursor": f"{order[following]}|", "done": False}
    return {"today": today.isoformat(), "cursor": None, "done": True}


def _remind(invoice: InvoiceItem, today: date, offsets: tuple[int, ...]) -> None:
    """Overdue, and the reminder due today: the email is claimed per (invoice, reminder level), sent, and only
    then counted in `reminders_sent`. A refused address marks the reminder failed; the run goes on."""
    sent = {int(x) for x in invoice.reminders_sent}
    due = reminders_due(due=invoice.due_date, today=today, offsets=offsets, sent=sent)
    if invoice.status != InvoiceStatus.OVERDUE.value:
        try:
            invoice = invoice_store.change(invoice, status=InvoiceStatus.OVERDUE.value)
        except Conflict:
            return  # paid meanwhile (or a parallel run): the next run looks again
    if not due:
        return
    key = f"reminder:{due[-1]}"
    events.announce("invoice.overdue", f"{invoice.id}:{key}", invoice_id=invoice.id, client_id=invoice.client_id, days_overdue=(today - invoice.due_date).days)
    if _notify_once(invoice, key, "invoice_overdue", invoice=invoice_view(invoice), days=(today - invoice.due_date).days) is None:
        claim = invoice_store.notification(invoice.id, key)
        if claim is None or claim.status == "sending":
            return  # another attempt is sending it: it counts it, or the next run does
    try:
        invoice_store.change(invoice, actions=(InvoiceItem.reminders_sent.set(sorted(sent | set(due))),))
    except Conflict:
        pass  # a payment meanwhile: the next run counts it, and its claim keeps the email from going twice


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

