"""The audit log: who changed what, when, with the entity's state before and after.

    entity          pk                              sk                 gsi1pk / gsi1sk          gsi2pk / gsi2sk
    audit entry     AUDIT#<entity_type>#<entity_id> AT#<at>#<n>        AUDIT / <at>#<n>         AUDIT#<entity_type> / <at>#<n>

Entries are written once and never changed. One Query answers each page of the three views
(one entity, one entity type, everything), newest first.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.store.db import one_page
from chalicelib.store.models import Gsi1, Gsi2, TableItem

ALL = "AUDIT"


def entity_pk(entity_type: str, entity_id: str) -> str:
    return f"AUDIT#{entity_type}#{entity_id}"


def type_pk(entity_type: str) -> str:
    return f"AUDIT#{entity_type}"


class AuditEntryItem(TableItem):
    """One staff change: `before`/`after` are JSON texts of the fields that changed (or the whole state)."""

    at = UTCDateTimeAttribute()
    actor_id = UnicodeAttribute()
    actor_name = UnicodeAttribute()
    action = UnicodeAttribute()
    entity_type = UnicodeAttribute()
    entity_id = UnicodeAttribute()
    before = UnicodeAttribute(null=True)
    after = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    everything = Gsi1()
    by_type = Gsi2()


def new_entry(*, actor_id: str, actor_name: str, action: str, entity_type: str, entity_id: str,
              before: str | None, after: str | None, at: datetime | None = None) -> AuditEntryItem:
    """An entry with its keys, not yet stored (so a caller can put it in its own transaction)."""
    at = at or datetime.now(timezone.utc)
    position = f"{at.isoformat()}#{secrets.token_hex(4)}"
    return AuditEntryItem(entity_pk(entity_type, entity_id), f"AT#{position}", at=at, actor_id=actor_id,
                          actor_name=actor_name, action=action, entity_type=entity_type, entity_id=entity_id,
                          before=before, after=after, gsi1pk=ALL, gsi1sk=position,
                          gsi2pk=type_pk(entity_type), gsi2sk=position)


def save(entry: AuditEntryItem) -> None:
    entry.save(condition=AuditEntryItem.pk.does_not_exist())


def page(*, entity_type: str | None, entity_id: str | None, limit: int,
         after: str | None) -> tuple[list[AuditEntryItem], str | None]:
    """Newest first. `after` is the position (`<at>#<n>`) of the last entry of the previous page."""
    if entity_type and entity_id:
        condition = AuditEntryItem.sk < f"AT#{after}" if after else AuditEntryItem.sk.startswith("AT#")
        items, last = one_page(AuditEntryItem.query(entity_pk(entity_type, entity_id), range_key_condition=condition,
                                                    scan_index_forward=False, page_size=limit + 1), limit, "sk")
        return items, last.removeprefix("AT#") if last else None
    if entity_type:
        condition = AuditEntryItem.gsi2sk < after if after else None
        return one_page(AuditEntryItem.by_type.query(type_pk(entity_type), range_key_condition=condition,
                                                     scan_index_forward=False, page_size=limit + 1), limit, "gsi2sk")
    condition = AuditEntryItem.gsi1sk < after if after else None
    return one_page(AuditEntryItem.everything.query(ALL, range_key_condition=condition, scan_index_forward=False,
                                                    page_size=limit + 1), limit, "gsi1sk")
