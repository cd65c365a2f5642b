"""Order files received for a client (staff upload, email): one record per (client, file content).

    intake    INTAKE#<client id>#<sha256 of the file>   INTAKE    (read by key: the same file twice finds it)
"""
from __future__ import annotations

from datetime import datetime, timezone

from pynamodb.attributes import ListAttribute, MapAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError

from chalicelib.store.attributes import IntegerAttribute
from chalicelib.store.models import TableItem


class IntakeErrorMap(MapAttribute):
    row = IntegerAttribute()
    sku = UnicodeAttribute(null=True)
    code = UnicodeAttribute()
    message = UnicodeAttribute()


class IntakeItem(TableItem):
    client_id = UnicodeAttribute()
    content_hash = UnicodeAttribute()
    origin = UnicodeAttribute()  # upload / email
    filename = UnicodeAttribute()
    sender = UnicodeAttribute()  # the staff member or the contact's address
    order_id = UnicodeAttribute(null=True)  # None: nothing in the file could be ordered
    errors = ListAttribute(of=IntakeErrorMap, default=list)
    received_at = UTCDateTimeAttribute()


def intake_pk(client_id: str, content_hash: str) -> str:
    return f"INTAKE#{client_id}#{content_hash}"


def find(client_id: str, content_hash: str) -> IntakeItem | None:
    try:
        return IntakeItem.get(intake_pk(client_id, content_hash), "INTAKE", consistent_read=True)
    except IntakeItem.DoesNotExist:
        return None


def record(client_id: str, content_hash: str, *, origin: str, filename: str, sender: str, order_id: str | None,
           errors: list[dict]) -> IntakeItem:
    """Remember the file (first write wins: a repeat keeps the first record)."""
    item = IntakeItem(intake_pk(client_id, content_hash), "INTAKE", client_id=client_id, content_hash=content_hash,
                      origin=origin, filename=filename[:200], sender=sender, order_id=order_id,
                      errors=[IntakeErrorMap(**e) for e in errors[:200]], received_at=datetime.now(timezone.utc))
    try:
        item.save(condition=IntakeItem.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return find(client_id, content_hash) or item
    return item
