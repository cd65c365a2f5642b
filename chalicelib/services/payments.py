"""Online payment of invoices through the payment gateway adapter (Stripe Checkout, or the local sandbox).

Money the gateway took is always recorded (services/invoicing.record_online_payment); this module
talks to the gateway: checkouts, their expiry, the webhook.
"""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.adapters.payments import CheckoutSession, InvalidSignature, PaymentError, PaymentUnavailable, gateway_from_env
from chalicelib.domain.errors import BadRequest, Conflict, NotFound, Unavailable
from chalicelib.domain.invoicing import OPEN_STATUSES, InvoiceStatus
from chalicelib.services import invoicing
from chalicelib.store import invoices as invoice_store
from chalicelib.store.models import InvoiceItem
from chalicelib.urls import portal_link

logger = Logger(service="b2b-portal", child=True)

def start_checkout(invoice: InvoiceItem, email: str) -> CheckoutSession:
    """A hosted checkout for what is still due on the invoice; the invoice's older checkouts are expired."""
    if InvoiceStatus(invoice.status) not in OPEN_STATUSES or invoice.amount_due <= 0:
        raise Conflict(f"Invoice {invoice.number} is {invoice.status}; nothing to pay.", code="invoice_not_open")
    try:
        session = gateway_from_env().create_checkout(
            invoice.id, invoice.number, invoice.amount_due, invoice.currency,
            portal_link(f"/invoices/{invoice.id}?paid=1"), portal_link(f"/invoices/{invoice.id}"), email)
    except PaymentUnavailable as exc:
        raise Unavailable("Online payment is not reachable right now; try again in a few minutes.",
                          code="payment_gateway_unavailable") from exc
    except PaymentError as exc:
        raise Conflict(f"Online payment cannot take this invoice: {exc}", code="payment_refused") from exc
    invoicing.expire_checkouts(invoice.id, keep=None)
    invoice_store.add_checkout(invoice.id, session.id, invoice.amount_due, invoice.currency)
    return session


def handle_webhook(payload: bytes, signature: str) -> dict[str, Any]:
    """A verified gateway event is recorded before we answer 2xx (any error -> non-2xx -> the gateway retries)."""
    try:
        event = gateway_from_env().parse_webhook(payload, signature)
    except InvalidSignature as exc:
        raise BadRequest("The webhook signature is not valid.", code="invalid_signature") from exc
    if event is None:
        return {"received": True, "recorded": False}
    try:
        outcome = invoicing.record_online_payment(event)
    except NotFound:
        # Money for an invoice we do not know: 404 makes the gateway retry (and show it failing); say so loudly.
        logger.error("Paid checkout for an unknown invoice", extra={"event_id": event.id, "invoice_id": event.invoice_id,
                                                                     "amount": str(event.amount), "currency": event.currency})
        raise
    invoice_store.close_checkout(event.invoice_id, event.session_id, "paid")
    invoicing.expire_checkouts(event.invoice_id, keep=event.session_id)
    return {"received": True, "recorded": True, "outcome": outcome.outcome, "duplicate": outcome.deliveries > 1}
