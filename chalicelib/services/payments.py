"""Online payment of invoices through the payment gateway adapter (Stripe Checkout, or the local sandbox)."""
from __future__ import annotations

from typing import Any

from chalicelib.adapters.payments import CheckoutSession, InvalidSignature, PaymentError, PaymentUnavailable, gateway_from_env
from chalicelib.domain.errors import BadRequest, Conflict, Unavailable
from chalicelib.domain.invoicing import OPEN_STATUSES, InvoiceStatus
from chalicelib.services import invoicing
from chalicelib.store.models import InvoiceItem
from chalicelib.urls import portal_link


def start_checkout(invoice: InvoiceItem, email: str) -> CheckoutSession:
    """A hosted checkout for what is still due on the invoice."""
    if InvoiceStatus(invoice.status) not in OPEN_STATUSES or invoice.amount_due <= 0:
        raise Conflict(f"Invoice {invoice.number} is {invoice.status}; nothing to pay.", code="invoice_not_open")
    try:
        return gateway_from_env().create_checkout(
            invoice.id, invoice.number, invoice.amount_due, invoice.currency,
            portal_link(f"/invoices/{invoice.id}?paid=1"), portal_link(f"/invoices/{invoice.id}"), email)
    except PaymentUnavailable as exc:
        raise Unavailable("Online payment is not reachable right now; try again in a few minutes.",
                          code="payment_gateway_unavailable") from exc
    except PaymentError as exc:
        raise Conflict(f"Online payment cannot take this invoice: {exc}", code="payment_refused") from exc


def handle_webhook(payload: bytes, signature: str) -> dict[str, Any]:
    """A verified gateway event becomes a payment, once: the event id is the payment id."""
    try:
        event = gateway_from_env().parse_webhook(payload, signature)
    except InvalidSignature as exc:
        raise BadRequest("The webhook signature is not valid.", code="invalid_signature") from exc
    if event is None:
        return {"received": True, "recorded": False}
    invoicing.record_payment(event.invoice_id, amount=event.amount, paid_on=event.paid_at.date(), method="online",
                             reference=event.reference, actor="payment-gateway", payment_id=event.id)
    return {"received": True, "recorded": True}
