"""Comments on orders and proposals: `COMMENTS#<kind>#<id> / COMMENT#<at>#<id>`, oldest first, one Query per page."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.store.db import one_page
from chalicelib.store.models import TableItem


class CommentItem(TableItem):
    """One message in the thread of an order or a proposal, written by a client contact or a staff member."""

    id = UnicodeAttribute()
    document_kind = UnicodeAttribute()  # order, proposal
    document_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    author_name = UnicodeAttribute()
    author_side = UnicodeAttribute()  # client, supplier
    body = UnicodeAttribute()
    at = UTCDateTimeAttribute()


def thread_pk(kind: str, document_id: str) -> str:
    return f"COMMENTS#{kind}#{document_id}"


def add(kind: str, document_id: str, *, author_id: str, author_name: str, author_side: str, body: str) -> CommentItem:
    at = datetime.now(timezone.utc)
    comment_id = f"cm_{secrets.token_hex(8)}"
    item = CommentItem(thread_pk(kind, document_id), f"COMMENT#{at.isoformat()}#{comment_id}", id=comment_id,
                       document_kind=kind, document_id=document_id, author_id=author_id, author_name=author_name,
                       author_side=author_side, body=body, at=at)
    item.save(condition=CommentItem.pk.does_not_exist())
    return item


def thread(kind: str, document_id: str, *, limit: int, after: str | None) -> tuple[list[CommentItem], str | None]:
    """A page of the thread, oldest first; the cursor is the last comment's sort key."""
    condition = CommentItem.sk > after if after else CommentItem.sk.startswith("COMMENT#")
    return one_page(CommentItem.query(thread_pk(kind, document_id), range_key_condition=condition, page_size=limit + 1),
                    limit, "sk")
