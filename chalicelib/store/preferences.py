"""A contact's email preferences, keyed by the email address the mail goes to (`NOTIFY#<email> / NOTIFY`).

Emails are addressed by email (orders and invoices keep the contact's address), so the sender finds the
preferences with one GetItem on the address it is about to write to; no item means "send everything".
"""
from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from chalicelib.store.models import TableItem

NOTIFY_SK = "NOTIFY"
TOPICS = ("order_updates", "invoices", "proposals", "comments", "approvals")


class EmailPreferencesItem(TableItem):
    """Which optional emails a portal contact receives (a topic missing from the item reads as wanted)."""

    user_id = UnicodeAttribute()
    order_updates = BooleanAttribute(default=True)
    invoices = BooleanAttribute(default=True)
    proposals = BooleanAttribute(default=True)
    comments = BooleanAttribute(default=True)
    approvals = BooleanAttribute(default=True)


def notify_pk(email: str) -> str:
    return f"NOTIFY#{email.strip().lower()}"


def load(email: str) -> dict[str, bool]:
    """The topics and whether each is wanted (all True when the contact never chose)."""
    try:
        item = EmailPreferencesItem.get(notify_pk(email), NOTIFY_SK)
    except EmailPreferencesItem.DoesNotExist:
        return dict.fromkeys(TOPICS, True)
    return {topic: bool(getattr(item, topic, True)) for topic in TOPICS}


def save(email: str, user_id: str, wanted: dict[str, bool]) -> dict[str, bool]:
    merged = {**load(email), **{k: bool(v) for k, v in wanted.items() if k in TOPICS}}
    EmailPreferencesItem(notify_pk(email), NOTIFY_SK, user_id=user_id, **merged).save()
    return merged
