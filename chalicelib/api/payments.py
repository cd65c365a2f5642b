"""POST /payments/webhook: the payment gateway's callback (public; the signature is the authentication).

Also the shapes finance reads about an invoice's money and emails: gateway events, notifications, credits.
"""
from __future__ import annotations

from typing import Any

from chalicelib.api.http import ApiBlueprint, json_response
from chalicelib.domain.money import display_amount
from chalicelib.services import payments
from chalicelib.store import invoices as invoice_store
from chalicelib.store.models import ClientCreditItem, GatewayEventItem, NotificationItem

payments_api = ApiBlueprint(__name__)

OUTCOME_LABELS = {"recorded": "Payment recorded", "credit": "Recorded, excess kept as client credit",
                  "mismatch": "Mismatch: check it"}
NOTIFICATION_LABELS = {"sending": "Sending", "sent": "Sent", "failed": "Failed (not delivered)"}


@payments_api.route("/payments/webhook", methods=["POST"], content_types=["application/json"])
def gateway_webhook():
    request = payments_api.current_request
    signature = request.headers.get("stripe-signature", "")
    return json_response(payments.handle_webhook(request.raw_body or b"", signature))


def gateway_event_json(e: GatewayEventItem) -> dict[str, Any]:
    label = OUTCOME_LABELS.get(e.outcome, e.outcome)
    if e.deliveries > 1:
        label += f" (duplicate: delivered {int(e.deliveries)} times, recorded once)"
    return {"event_id": e.event_id, "session_id": e.session_id, "outcome": e.outcome, "outcome_label": label,
            "amount": display_amount(e.amount), "currency": e.currency, "applied": display_amount(e.applied),
            "credit": display_amount(e.credit), "deliveries": int(e.deliveries), "duplicate": e.deliveries > 1,
            "message": e.message, "received_at": e.received_at}


def notification_json(n: NotificationItem) -> dict[str, Any]:
    kind, _, level = n.key.partition(":")
    label = f"Reminder ({level} days overdue)" if kind == "reminder" else "Invoice email"
    return {"key": n.key, "label": label, "to": n.recipient, "status": n.status,
            "status_label": NOTIFICATION_LABELS.get(n.status, n.status), "at": n.finished_at or n.claimed_at, "error": n.error}


def credit_json(c: ClientCreditItem) -> dict[str, Any]:
    return {"id": c.id, "amount": display_amount(c.amount), "remaining": display_amount(c.remaining), "currency": c.currency,
            "source_invoice_id": c.source_invoice_id, "source_invoice_number": c.source_invoice_number, "created_at": c.created_at}


def invoice_activity(invoice_id: str) -> dict[str, Any]:
    """What finance sees beside the invoice: every gateway event and what became of it, and every email."""
    return {"webhook_events": [gateway_event_json(e) for e in invoice_store.gateway_events(invoice_id)],
            "notifications": [notification_json(n) for n in invoice_store.notifications(invoice_id)]}
