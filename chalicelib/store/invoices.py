"""Invoices, payments and the client's ledger (what the account statement reads)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.store.db import connection, failed_conditions, one_page
from chalicelib.store.models import (
    CheckoutItem, ClientCreditItem, ClientItem, GatewayEventItem, InvoiceItem, LedgerEntryItem, NotificationItem, PaymentItem, client_pk,
)
from chalicelib.store.numbering import save_numbered
from chalicelib.store.orders import now

INVOICE_SK = "INVOICE"


def invoice_pk(invoice_id: str) -> str:
    return f"INVOICE#{invoice_id}"


def status_key(status: str) -> str:
    return f"INVOICES#{status}"


def _index(invoice: InvoiceItem) -> None:
    invoice.gsi1pk, invoice.gsi1sk = f"CLIENT#{invoice.client_id}#INVOICES", f"{invoice.issue_date.isoformat()}#{invoice.number}"
    invoice.gsi2pk, invoice.gsi2sk = f"ORDER#{invoice.order_id}#INVOICES", invoice.number
    invoice.gsi3pk, invoice.gsi3sk = status_key(invoice.status), f"{invoice.due_date.isoformat()}#{invoice.id}"


def _ledger_sk(day: date, ref: str) -> str:
    return f"LEDGER#{day.isoformat()}#{now().isoformat()}#{ref}"


def issue(invoice: InvoiceItem, client_actions: list[Any] | None = None,
          also_update: list[tuple[Any, list[Any]]] | None = None) -> InvoiceItem:
    """Store a new invoice with the next number of its series, its ledger debit and the client's new balance
    (`client_actions`, `also_update`: the order's uninvoiced exposure leaving the client's, services/credit.py), atomically."""
    invoice.pk, invoice.sk = invoice_pk(invoice.id), INVOICE_SK
    entry = LedgerEntryItem(client_pk(invoice.client_id), "", entry_date=invoice.issue_date, kind="invoice",
                            reference="", description=f"Invoice for order {invoice.order_number}",
                            debit=invoice.total, credit=Decimal(0), document_id=invoice.id)

    def index() -> None:
        _index(invoice)
        entry.sk, entry.reference = _ledger_sk(invoice.issue_date, invoice.number), invoice.number

    save_numbered(invoice, series=f"INV-{invoice.issue_date.year}", index=index, also_save=[entry],
                  also_update=[(ClientItem(client_pk(invoice.client_id), "CLIENT"), [ClientItem.balance.add(invoice.total), *(client_actions or [])]),
                               *(also_update or [])],
                  exists_message="This invoice was already issued.")
    return get(invoice.id)


def get(invoice_id: str) -> InvoiceItem:
    try:
        return InvoiceItem.get(invoice_pk(invoice_id), INVOICE_SK, consistent_read=True)
    except InvoiceItem.DoesNotExist as exc:
        raise NotFound(f"No invoice {invoice_id}.", code="invoice_not_found") from exc


def find(invoice_id: str) -> InvoiceItem | None:
    try:
        return get(invoice_id)
    except NotFound:
        return None


def for_order(order_id: str) -> list[InvoiceItem]:
    return list(InvoiceItem.by_order.query(f"ORDER#{order_id}#INVOICES"))


def for_client(client_id: str, *, limit: int, after: str | None, include_drafts: bool,
               status: str | None = None) -> tuple[list[InvoiceItem], str | None]:
    """A client's invoices, newest first, optionally in one status; drafts only for staff."""
    condition = InvoiceItem.gsi1sk < after if after else None
    filter_condition = None if include_drafts else InvoiceItem.status != "draft"
    if status:
        filter_condition = InvoiceItem.status == status
    return one_page(InvoiceItem.by_client.query(f"CLIENT#{client_id}#INVOICES", range_key_condition=condition,
                                                filter_condition=filter_condition, scan_index_forward=False,
                                                page_size=limit + 1), limit, "gsi1sk")


def by_status(status: str, *, limit: int, after: str | None, due_before: date | None = None) -> tuple[list[InvoiceItem], str | None]:
    """Invoices in a status by due date (oldest first); `due_before` keeps those due before that day."""
    if after and due_before:
        condition = InvoiceItem.gsi3sk.between(after + "\x00", due_before.isoformat())
    elif after:
        condition = InvoiceItem.gsi3sk > after
    elif due_before:
        condition = InvoiceItem.gsi3sk < due_before.isoformat()
    else:
        condition = None
    return one_page(InvoiceItem.by_status.query(status_key(status), range_key_condition=condition, page_size=limit + 1),
                    limit, "gsi3sk")


def change(invoice: InvoiceItem, *, status: str | None = None, actions: tuple[Any, ...] = (), condition: Any = None) -> InvoiceItem:
    """Update the invoice as read (optimistic lock); returns it as stored."""
    all_actions = list(actions)
    if status:
        all_actions += [InvoiceItem.status.set(status), InvoiceItem.gsi3pk.set(status_key(status))]
    try:
        invoice.update(actions=all_actions, condition=condition)  # one item: a conditional UpdateItem (version checked by PynamoDB)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("The invoice changed meanwhile; reload it and try again.", code="stale_version") from exc
        raise
    return invoice  # UpdateItem answered with the stored item


def record_payment(invoice: InvoiceItem, payment: PaymentItem, status: str) -> InvoiceItem:
    """A staff-entered payment: the payment, the invoice's paid amount and status, the ledger credit and the
    client's balance, atomically. The payment id makes it idempotent (409 `payment_exists`); the invoice's
    version makes concurrent payments serialize. Gateway money goes through `record_gateway_payment`.
    """
    payment.pk, payment.sk = invoice_pk(invoice.id), f"PAYMENT#{payment.id}"
    entry = LedgerEntryItem(client_pk(invoice.client_id), _ledger_sk(payment.paid_on, payment.id),
                            entry_date=payment.paid_on, kind="payment", reference=payment.reference or payment.id,
                            description=f"Payment for invoice {invoice.number} ({payment.method})",
                            debit=Decimal(0), credit=payment.amount, document_id=invoice.id)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(payment, condition=PaymentItem.pk.does_not_exist())
            tx.save(entry)
            tx.update(invoice, actions=[InvoiceItem.amount_paid.add(payment.amount), InvoiceItem.status.set(status),
                                        InvoiceItem.gsi3pk.set(status_key(status))])
            tx.update(ClientItem(client_pk(invoice.client_id), "CLIENT"), actions=[ClientItem.balance.add(-payment.amount)])
    except TransactWriteError as exc:
        failed = failed_conditions(exc)  # puts (payment, ledger entry), then updates (invoice, client)
        if failed and failed[0]:
            raise Conflict("This payment was already recorded.", code="payment_exists") from exc
        if any(failed):
            raise Conflict("The invoice changed meanwhile; retry.", code="stale_version") from exc
        raise
    return get(invoice.id)


def record_gateway_payment(invoice: InvoiceItem, event: GatewayEventItem, status: str, *,
                           payment: PaymentItem | None, credit: ClientCreditItem | None) -> InvoiceItem:
    """Money the gateway took, atomically: the event (once per event id), the payment on the invoice, the credit
    beyond what was due, their ledger credits and the client's balance.

    409 `event_exists` for a replayed event; 409 `stale_version` when the invoice changed since it was read.
    """
    event.pk, event.sk = invoice_pk(invoice.id), f"WEBHOOK#{event.event_id}"
    day = event.received_at.date()
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(event, condition=GatewayEventItem.pk.does_not_exist())  # first put: its failure means a replay
            if payment is not None:
                payment.pk, payment.sk = invoice_pk(invoice.id), f"PAYMENT#{payment.id}"
                tx.save(payment, condition=PaymentItem.pk.does_not_exist())
                tx.save(LedgerEntryItem(client_pk(invoice.client_id), _ledger_sk(payment.paid_on, payment.id),
                                        entry_date=payment.paid_on, kind="payment", reference=payment.reference or payment.id,
                                        description=f"Payment for invoice {invoice.number} ({payment.method})",
                                        debit=Decimal(0), credit=payment.amount, document_id=invoice.id))
            if credit is not None:
                credit.pk, credit.sk = client_pk(invoice.client_id), f"CREDIT#{credit.id}"
                tx.save(credit)
                tx.save(LedgerEntryItem(client_pk(invoice.client_id), _ledger_sk(day, credit.id), entry_date=day, kind="credit",
                                        reference=invoice.number, description=f"Paid beyond invoice {invoice.number}: client credit",
                                        debit=Decimal(0), credit=credit.amount, document_id=invoice.id))
            # Always updated, so the invoice's version orders concurrent payments even when nothing is applied.
            tx.update(invoice, actions=[InvoiceItem.amount_paid.add(event.applied), InvoiceItem.status.set(status),
                                        InvoiceItem.gsi3pk.set(status_key(status))])
            tx.update(ClientItem(client_pk(invoice.client_id), "CLIENT"), actions=[ClientItem.balance.add(-event.amount)])
    except TransactWriteError as exc:
        failed = failed_conditions(exc)
        if failed and failed[0]:
            raise Conflict("This gateway event was already recorded.", code="event_exists") from exc
        if any(failed):
            raise Conflict("The invoice changed meanwhile; retry.", code="stale_version") from exc
        raise
    return get(invoice.id)


def record_refused_event(invoice: InvoiceItem, event: GatewayEventItem) -> bool:
    """An event whose money cannot go on the invoice (another currency): kept for finance. False if already kept."""
    event.pk, event.sk = invoice_pk(invoice.id), f"WEBHOOK#{event.event_id}"
    try:
        event.save(condition=GatewayEventItem.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def count_redelivery(invoice_id: str, event_id: str) -> GatewayEventItem:
    """The gateway sent an event again: counted on the stored event, nothing else changes."""
    event = GatewayEventItem(invoice_pk(invoice_id), f"WEBHOOK#{event_id}")
    event.update(actions=[GatewayEventItem.deliveries.add(1)], condition=GatewayEventItem.pk.exists())
    return event


def gateway_events(invoice_id: str) -> list[GatewayEventItem]:
    return sorted(GatewayEventItem.query(invoice_pk(invoice_id), GatewayEventItem.sk.startswith("WEBHOOK#")),
                  key=lambda e: e.received_at)


# --- hosted checkouts -----------------------------------------------------------------------------------

def add_checkout(invoice_id: str, session_id: str, amount: Decimal, currency: str) -> None:
    CheckoutItem(invoice_pk(invoice_id), f"CHECKOUT#{session_id}", session_id=session_id, amount=amount, currency=currency,
                 status="open", created_at=now()).save()


def open_checkouts(invoice_id: str) -> list[CheckoutItem]:
    return [c for c in CheckoutItem.query(invoice_pk(invoice_id), CheckoutItem.sk.startswith("CHECKOUT#"), consistent_read=True)
            if c.status == "open"]


def close_checkout(invoice_id: str, session_id: str, status: str) -> None:
    """Mark a known checkout paid or expired (a session this store never saw is left alone)."""
    try:
        CheckoutItem(invoice_pk(invoice_id), f"CHECKOUT#{session_id}").update(
            actions=[CheckoutItem.status.set(status)], condition=CheckoutItem.pk.exists())
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


# --- client credits -------------------------------------------------------------------------------------

def open_credits(client_id: str, currency: str) -> list[ClientCreditItem]:
    """The client's credits in `currency` with money left, oldest first."""
    credits = ClientCreditItem.query(client_pk(client_id), ClientCreditItem.sk.startswith("CREDIT#"), consistent_read=True)
    return sorted((c for c in credits if c.currency == currency and c.remaining > 0), key=lambda c: c.created_at)


def get_credit(client_id: str, credit_id: str) -> ClientCreditItem:
    try:
        return ClientCreditItem.get(client_pk(client_id), f"CREDIT#{credit_id}", consistent_read=True)
    except ClientCreditItem.DoesNotExist as exc:
        raise NotFound(f"No credit {credit_id} for this client.", code="credit_not_found") from exc


def credits_of(client_id: str) -> list[ClientCreditItem]:
    return sorted(ClientCreditItem.query(client_pk(client_id), ClientCreditItem.sk.startswith("CREDIT#")),
                  key=lambda c: c.created_at)


def apply_credit(invoice: InvoiceItem, credit: ClientCreditItem, payment: PaymentItem, status: str) -> InvoiceItem:
    """Part of a credit pays the invoice: the payment (once per credit and invoice), the invoice, the credit left.

    No ledger line and no balance change: the money entered the account when the credit was created.
    """
    payment.pk, payment.sk = invoice_pk(invoice.id), f"PAYMENT#{payment.id}"
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(payment, condition=PaymentItem.pk.does_not_exist())
            tx.update(invoice, actions=[InvoiceItem.amount_paid.add(payment.amount), InvoiceItem.status.set(status),
                                        InvoiceItem.gsi3pk.set(status_key(status))])
            tx.update(credit, actions=[ClientCreditItem.remaining.add(-payment.amount)])
    except TransactWriteError as exc:
        failed = failed_conditions(exc)
        if failed and failed[0]:
            raise Conflict("This credit was already applied to the invoice.", code="payment_exists") from exc
        if any(failed):
            raise Conflict("The invoice or the credit changed meanwhile; retry.", code="stale_version") from exc
        raise
    return get(invoice.id)


def refund_credit(credit: ClientCreditItem, day: date, reference: str) -> ClientCreditItem:
    """What is left of a credit was paid back: nothing left, a ledger debit and the client's balance, atomically.
    409 `stale_version` when the credit changed since it was read (applied or refunded meanwhile)."""
    amount = credit.remaining
    entry = LedgerEntryItem(client_pk(credit.client_id), _ledger_sk(day, f"refund-{credit.id}"), entry_date=day, kind="refund",
                            reference=reference, description=f"Refund of the credit from invoice {credit.source_invoice_number}",
                            debit=amount, credit=Decimal(0), document_id=credit.source_invoice_id)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(entry)
            tx.update(credit, actions=[ClientCreditItem.remaining.set(Decimal(0))])
            tx.update(ClientItem(client_pk(credit.client_id), "CLIENT"), actions=[ClientItem.balance.add(amount)])
    except TransactWriteError as exc:
        if any(failed_conditions(exc)):
            raise Conflict("The credit changed meanwhile; reload it.", code="stale_version") from exc
        raise
    return get_credit(credit.client_id, credit.id)


# --- notifications (emails about an invoice) ----------------------------------------------------------------

def _notification_key(invoice_id: str, key: str) -> tuple[str, str]:
    return invoice_pk(invoice_id), f"NOTIFY#{key}"


def claim_notification(invoice_id: str, key: str, recipient: str, *, lease: timedelta) -> NotificationItem | None:
    """Claim the right to send one email (`sending`), with a conditional write; None when it is not ours to send:
    already sent or failed, or claimed by another attempt less than `lease` ago."""
    at = now()
    pk, sk = _notification_key(invoice_id, key)
    item = NotificationItem(pk, sk, key=key, recipient=recipient, status="sending", claimed_at=at)
    stale = (NotificationItem.status == "sending") & (NotificationItem.claimed_at < at - lease)
    try:
        item.save(condition=NotificationItem.pk.does_not_exist() | stale)
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return item


def finish_notification(item: NotificationItem, *, sent: bool, message_id: str | None = None, error: str | None = None) -> None:
    item.update(actions=[NotificationItem.status.set("sent" if sent else "failed"), NotificationItem.finished_at.set(now()),
                         NotificationItem.message_id.set(message_id), NotificationItem.error.set(error)],
                condition=NotificationItem.claimed_at == item.claimed_at)


def release_notification(item: NotificationItem) -> None:
    """The send did not happen (a transient error): the next attempt may claim it at once."""
    item.delete(condition=(NotificationItem.status == "sending") & (NotificationItem.claimed_at == item.claimed_at))


def notification(invoice_id: str, key: str) -> NotificationItem | None:
    try:
        return NotificationItem.get(*_notification_key(invoice_id, key), consistent_read=True)
    except NotificationItem.DoesNotExist:
        return None


def notifications(invoice_id: str) -> list[NotificationItem]:
    return sorted(NotificationItem.query(invoice_pk(invoice_id), NotificationItem.sk.startswith("NOTIFY#")),
                  key=lambda n: n.claimed_at)


def payments(invoice_id: str) -> list[PaymentItem]:
    return list(PaymentItem.query(invoice_pk(invoice_id), PaymentItem.sk.startswith("PAYMENT#")))


def ledger(client_id: str, *, since: date) -> list[LedgerEntryItem]:
    """The client's ledger entries dated `since` or later, in date order."""
    return list(LedgerEntryItem.query(client_pk(client_id), LedgerEntryItem.sk.between(f"LEDGER#{since.isoformat()}", "LEDGER#~")))
