"""The words people read for the platform's internal codes: one place, used by every page, email and PDF.

Templates never print a raw code: `{{ order.status | label("order_status") }}`. A code without a word yet
reads as itself with underscores turned into spaces and a capital first letter, so nothing shows `snake_case`;
add the real word here when you add the code.
"""
from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "order_status": {"draft": "Awaiting review", "sent": "Sent to you", "declined": "Declined", "accepted": "Accepted",
                     "expired": "Expired", "awaiting_approval": "Awaiting your company's approval",
                     "cancelled": "Cancelled"},
    "review_status": {"pending": "Awaiting review", "approved": "Approved", "modified": "Changes proposed",
                      "rejected": "Rejected"},
    "delivery_status": {"ready_for_packing": "Ready for packing", "approved": "Approved", "packed": "Packed",
                        "shipped": "Shipped", "delivered": "Delivered", "awb_failed": "AWB failed", "preparing": "Preparing",
                        "returned": "Returned", "cancelled": "Cancelled"},
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
                       "credit": "Client credit", "other": "Other"},
    "fulfilment_status": {"not_started": "Not started", "preparing": "Preparing", "partially_shipped": "Partly shipped",
                          "shipped": "Shipped", "delivered": "Delivered"},
    "cart_warning": {"above_available_stock": "Above stock", "beyond_credit": "Beyond credit", "below_min_qty": "Below minimum", "qty_step": "Not a pack multiple",
                     "above_max_qty": "Above maximum",
                     "unknown_product": "Unknown product", "product_not_orderable": "Cannot be ordered"},
    "approval": {"pending": "Waiting for your company's approver", "approved": "Approved by your company",
                 "rejected": "Rejected by your company"},
    "contact_status": {"active": "Active", "disabled": "Disabled"},
    "client_status": {"active": "Active", "disabled": "Portal off"},
    "account_status": {"active": "Active", "disabled": "Disabled"},
    "permission": {"place_orders": "Place orders", "view_stock": "See stock", "orders": "See orders",
                   "invoices": "See invoices", "proposals": "See proposals", "deliveries": "See deliveries",
                   "download_documents": "Download documents", "manage_company": "Manage company users",
                   "approve_orders": "Approve orders"},
    "audit_action": {"client.created": "Client created", "contact.created": "Contact created",
                     "staff.created": "Staff member invited", "client.updated": "Client changed", "client.disabled": "Portal switched off",
                     "client.enabled": "Portal switched on", "contact.updated": "Contact changed",
                     "contact.disabled": "Contact disabled", "contact.enabled": "Contact enabled",
                     "contact.password_reset": "Password reset sent", "contact.invited": "Invitation sent",
                     "staff.updated": "Staff member changed", "staff.disabled": "Staff login disabled",
                     "staff.enabled": "Staff login enabled", "settings.updated": "Settings changed",
                     "order.approved": "Order approved", "order.rejected": "Order rejected",
                     "order.modified": "Changes proposed"},
    "entity_type": {"client": "Client", "contact": "Contact", "staff": "Staff member", "settings": "Settings",
                    "order": "Sales Order", "product": "Product", "price_list": "Price list"},
    "invoice_trigger": {"accept": "When the order is accepted", "shipping": "When the goods ship",
                        "manual": "Only when finance issues it"},
    "initial_status": {"draft": "Awaiting review (draft)", "sent": "Sent (no review)"},
    "stock_reason": {"count": "Stock count", "received": "Goods received", "damaged": "Damaged or lost",
                     "returned": "Returned by a client", "correction": "Correction"},
    "catalogue_change": {"product.updated": "Product changed", "product.stock_adjusted": "Stock adjusted",
                     "product.imported": "Imported from CSV", "price_list.updated": "Header changed",
                     "price_list.item_set": "Price set", "price_list.item_removed": "Price removed",
                     "price_list.imported": "Prices imported from CSV", "price_list.deleted": "Deleted"},
    "import_action": {"create": "New product", "update": "Changed", "unchanged": "No change"},
    "vat_category": {"S": "Standard rate", "Z": "Zero rate", "E": "Exempt", "AE": "Reverse charge",
                     "K": "Intra-community supply", "G": "Export outside the EU", "O": "Not subject to VAT"},
    "einvoice_status": {"not_applicable": "Not sent to ANAF", "pending": "Waiting to be sent to ANAF",
                        "submitted": "Sent to ANAF, being processed", "accepted": "Accepted by ANAF",
                        "rejected": "Rejected by ANAF"},
    "ledger_entry": {"invoice": "Invoice", "payment": "Payment", "credit": "Client credit", "credit_note": "Credit note",
                     "refund": "Refund"},
    # what an order's invoices say about it (orders carry `invoice_status`, services/order_status.py)
    "order_invoice_status": {"not_invoiced": "Not invoiced yet", "invoiced": "Invoiced", "partially_paid": "Partly paid",
                             "paid": "Paid", "overdue": "Payment overdue"},
    "order_origin": {"portal": "Portal", "staff": "Issued by your agent", "upload": "Spreadsheet", "email": "Email",
                     "recurring": "Recurring order", "proposal": "Accepted proposal"},
    "recurring_status": {"active": "Active", "paused": "Paused", "ended": "Ended"},
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


# The pages are in English; amounts follow a client's own `locale` when one is set (e.g. "ro": 1.234,50), else this.
DEFAULT_LOCALE = "en"
