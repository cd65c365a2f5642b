"""The words people read for the platform's internal codes: one place, used by every page, email and PDF.

Templates never print a raw code: `{{ order.status | label("order_status") }}`. A code without a word yet
reads as itself with underscores turned into spaces and a capital first letter, so nothing shows `snake_case`;
add the real word here when you add the code.
"""
from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "order_status": {"draft": "Awaiting review", "sent": "Sent to you", "declined": "Declined", "accepted": "Accepted",
                     "expired": "Expired", "awaiting_approval": "Awaiting your company's approval"},
    "review_status": {"pending": "Awaiting review", "approved": "Approved", "modified": "Changes proposed",
                      "rejected": "Rejected"},
    "delivery_status": {"ready_for_packing": "Ready for packing", "approved": "Approved", "packed": "Packed",
                        "shipped": "Shipped", "delivered": "Delivered", "awb_failed": "Courier booking failed",
                        "returned": "Returned"},
    "invoice_status": {"draft": "Draft", "unpaid": "Unpaid", "partially_paid": "Partially paid", "paid": "Paid",
                       "overdue": "Overdue", "cancelled": "Cancelled"},
    "proposal_status": {"draft": "Draft", "sent": "Open", "open": "Open", "accepted": "Accepted", "declined": "Declined",
                        "revised": "Replaced by a new version", "expired": "Expired"},
    # What the buyer reads beside a price; staff pages use "price_level" for the level names.
    "price_source": {"client": "Your price", "group": "Your price", "promotion": "Promotion", "default": "List price",
                     "base": "List price"},
    "price_level": {"client": "Client price list", "group": "Group price list", "promotion": "Promotion",
                    "default": "Default price list", "base": "Base price"},
    "payment_method": {"bank_transfer": "Bank transfer", "card": "Card", "online": "Online payment", "cash": "Cash",
                       "credit": "Client credit"},
    "fulfilment_status": {"not_started": "Not started", "preparing": "Preparing", "partially_shipped": "Partly shipped",
                          "shipped": "Shipped", "delivered": "Delivered"},
    "role": {"agent": "Sales agent", "manager": "Sales manager", "admin": "Administrator", "warehouse": "Warehouse",
             "finance": "Finance", "buyer": "Buyer"},
    "automation_run": {"scheduled": "Scheduled", "running": "Running", "done": "Done", "failed": "Failed",
                       "no_match": "Conditions not met", "skipped": "Skipped"},
    "automation_action": {"email": "Email", "task": "Task", "webhook": "Webhook", "update_field": "Update a field",
                          "assign_agent": "Assign the agent", "tag": "Tag the client", "note": "Note"},
}


def label(code: object, kind: str) -> str:
    """The word for `code` of `kind` (e.g. "ready_for_packing", "delivery_status" -> "Ready for packing")."""
    text = str(getattr(code, "value", code) or "")
    word = WORDS.get(kind, {}).get(text)
    if word is not None:
        return word
    spaced = text.replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:]
