"""The audit log's use cases: record a staff change, read the log.

Any service that changes master data or decides for the supplier calls `record(...)` after the change
is stored:

    from chalicelib.services import audit
    audit.record(actor, "client.updated", "client", client.id, before={"credit_limit": "5000.00"},
                 after={"credit_limit": "8000.00"})

`actor` is whoever acted: a Principal of api/security.py (or anything with `user_id` and `name`), a
`(user_id, name)` pair, or a plain string for the system. `before`/`after` are dicts (Decimal, date and
datetime are written as text) or None (a creation has no before, a deletion no after).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chalicelib.store import audit as audit_store
from chalicelib.store.audit import AuditEntryItem

SYSTEM = ("system", "System")


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor_id: str
    actor_name: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def changed_fields(self) -> list[str]:
        """Fields whose value differs between before and after (all of them for a creation or deletion)."""
        before, after = self.before or {}, self.after or {}
        return [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat().replace("+00:00", "Z"), "actor": self.actor_name, "actor_id": self.actor_id,
                "action": self.action, "entity_type": self.entity_type, "entity_id": self.entity_id,
                "before": self.before, "after": self.after}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"cannot record {type(value).__name__} in the audit log")


def _text(state: dict[str, Any] | None) -> str | None:
    return None if state is None else json.dumps(state, default=_plain, sort_keys=True, ensure_ascii=False)


def actor_of(actor: Any) -> tuple[str, str]:
    if actor is None:
        return SYSTEM
    if isinstance(actor, str):
        return actor, actor
    if isinstance(actor, tuple):
        return str(actor[0]), str(actor[1])
    return str(actor.user_id), str(getattr(actor, "name", "") or getattr(actor, "email", "") or actor.user_id)


def entry(actor: Any, action: str, entity_type: str, entity_id: str,
          before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEntryItem:
    """The stored form of an entry, for a caller that writes it inside its own transaction."""
    actor_id, actor_name = actor_of(actor)
    return audit_store.new_entry(actor_id=actor_id, actor_name=actor_name, action=action, entity_type=entity_type,
                                 entity_id=str(entity_id), before=_text(before), after=_text(after))


def record(actor: Any, action: str, entity_type: str, entity_id: str,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEntry:
    """Write one audit entry (who, when, action, entity, before/after) and return it."""
    item = entry(actor, action, entity_type, entity_id, before, after)
    audit_store.save(item)
    return _entry(item)


def _entry(item: AuditEntryItem) -> AuditEntry:
    return AuditEntry(item.at, item.actor_id, item.actor_name, item.action, item.entity_type, item.entity_id,
                      json.loads(item.before) if item.before else None, json.loads(item.after) if item.after else None)


def page(*, entity_type: str | None = None, entity_id: str | None = None, limit: int = 50,
         after: str | None = None) -> tuple[list[AuditEntry], str | None]:
    """One page of the log, newest first; `entity_id` needs `entity_type`."""
    items, last = audit_store.page(entity_type=entity_type, entity_id=entity_id, limit=limit, after=after)
    return [_entry(i) for i in items], last


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
