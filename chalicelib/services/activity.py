"""Portal activity per contact: the last sign-in on the contact's user item, and per day the sign-ins and the
pages a signed-in buyer viewed (one UpdateItem ADD each; docs/decisions.md says why no more is counted)."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from chalicelib.domain.reports import CONTACT
from chalicelib.store import aggregates as store

ONE = Decimal(1)


def record_login(user_id: str, role: str, *, at: datetime | None = None) -> None:
    """A sign-in: `last_login_at` on the user (staff too), and the day's sign-in count for a buyer."""
    at = at or datetime.now(timezone.utc)
    store.record_login(user_id, at)
    if role == "buyer":
        store.add_activity(CONTACT, user_id, at.date(), {"logins": ONE})


def record_page_view(user_id: str, *, at: datetime | None = None) -> None:
    """A page a signed-in buyer viewed (not assets, not form posts' redirects twice: the page only)."""
    at = at or datetime.now(timezone.utc)
    store.add_activity(CONTACT, user_id, at.date(), {"page_views": ONE})
