"""Invoices: due dates, payment status, overdue reminders."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from enum import Enum

from chalicelib.domain.errors import Conflict, ValidationFailed


class InvoiceStatus(str, Enum):
    DRAFT = "draft"
    UNPAID = "unpaid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


OPEN_STATUSES = (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE)
DEFAULT_REMINDER_OFFSETS = (1, 7, 14)


def due_date(issue_date: date, payment_term_days: int) -> date:
    return issue_date + timedelta(days=payment_term_days)


def status_after_payment(*, total: Decimal, paid_before: Decimal, amount: Decimal, due: date, today: date) -> InvoiceStatus:
    """Paid in full, or partially paid. Overpayment is refused.

    A partly paid invoice past its due date turns overdue again at the next reminder run.
    """
    if amount <= 0:
        raise ValidationFailed("A payment is a positive amount.", code="invalid_amount", field="amount")
    paid = paid_before + amount
    if paid > total:
        raise ValidationFailed(f"That pays {paid - total} more than is due.", code="overpayment", field="amount")
    return InvoiceStatus.PAID if paid == total else InvoiceStatus.PARTIALLY_PAID


def split_gateway_payment(*, amount: Decimal, status: InvoiceStatus, amount_due: Decimal) -> tuple[Decimal, Decimal]:
    """Money the gateway already took: (applied to the invoice, left over as the client's credit).

    Unlike a staff entry it is never refused: what an open invoice still owes is paid, the rest (all of
    it for a paid or cancelled invoice) becomes a credit for the client.
    """
    if amount <= 0:
        raise ValidationFailed("A payment is a positive amount.", code="invalid_amount", field="amount")
    applied = min(amount, amount_due) if status in OPEN_STATUSES and amount_due > 0 else Decimal(0)
    return applied, amount - applied


def status_after_applied(*, total: Decimal, paid: Decimal, status: InvoiceStatus) -> InvoiceStatus:
    """The status once `paid` in all is on the invoice (a status with no payments stays as it is)."""
    if status not in OPEN_STATUSES or paid <= 0:
        return status
    return InvoiceStatus.PAID if paid >= total else InvoiceStatus.PARTIALLY_PAID


def check_can_pay(status: InvoiceStatus) -> None:
    if status not in OPEN_STATUSES:
        raise Conflict(f"This invoice is {status.value}; it takes no payments.", code="invoice_not_open")


def reminders_due(*, due: date, today: date, offsets: tuple[int, ...], sent: set[int]) -> list[int]:
    """Reminder offsets (days overdue) reached by today and not yet sent, oldest first.

    When several were missed, one email goes out (for the latest) and all of them count as sent.
    """
    return [o for o in sorted(offsets) if today >= due + timedelta(days=o) and o not in sent]
