"""The supplier's settings as the back office edits them (one stored item, defaults until an admin saves):
review and auto-approval, escalation hours, delivery note mode, invoice trigger, reminder offsets, order
confirmation emails, discount limits per role, stock visibility, and the supplier's legal data on documents.

Legal data: a field saved here wins over the stage's environment (SUPPLIER_* variables, config.supplier());
an empty field falls back to the environment again.
"""
from __future__ import annotations

from dataclasses import fields as dataclass_fields, replace
from decimal import Decimal
from typing import Any

from chalicelib import config
from chalicelib.domain.access import DEFAULT_DISCOUNT_LIMITS
from chalicelib.domain.invoicing import DEFAULT_REMINDER_OFFSETS
from chalicelib.services import audit
from chalicelib.store import settings as settings_store
from chalicelib.store.models import SettingsItem

SUPPLIER_FIELDS = tuple(f.name for f in dataclass_fields(config.SupplierDetails))


def discount_limits(item: SettingsItem | None = None) -> dict[str, str | None]:
    item = item or settings_store.load()
    stored = item.discount_limits.as_dict() if item.discount_limits is not None else None
    return dict(stored) if stored else dict(DEFAULT_DISCOUNT_LIMITS)


def reminder_offsets(item: SettingsItem | None = None) -> tuple[int, ...]:
    item = item or settings_store.load()
    return tuple(sorted(item.reminder_offsets)) if item.reminder_offsets else DEFAULT_REMINDER_OFFSETS


def supplier(item: SettingsItem | None = None) -> config.SupplierDetails:
    """The supplier's legal data shown on documents: the saved settings over the environment."""
    base = config.supplier()
    item = item or settings_store.load()
    stored = item.supplier.as_dict() if item.supplier is not None else {}
    return replace(base, **{k: str(v).strip() for k, v in stored.items() if k in SUPPLIER_FIELDS and v and str(v).strip()})


def snapshot(item: SettingsItem) -> dict[str, Any]:
    return {"portal_order_initial_status": item.portal_order_initial_status, "review_required": item.review_required,
            "review_timeout_hours": str(item.review_timeout_hours), "auto_create_delivery_note": item.auto_create_delivery_note,
            "invoice_on": item.invoice_on, "order_confirmation_email": item.order_confirmation_email,
            "show_stock": item.show_stock, "cart_abandoned_hours": item.cart_abandoned_hours,
            "discount_limits": discount_limits(item),
            "reminder_offsets": list(reminder_offsets(item)),
            "supplier": {k: getattr(supplier(item), k) for k in SUPPLIER_FIELDS},
            "supplier_saved": item.supplier.as_dict() if item.supplier is not None else {}}


def update(actor: Any, changes: dict[str, Any]) -> SettingsItem:
    """Save the settings sent (others unchanged); audited with what changed."""
    current = settings_store.load()
    before = snapshot(current)
    for name, value in changes.items():
        if name == "review_timeout_hours":
            current.review_timeout_hours = Decimal(str(value))
        elif name == "discount_limits":
            merged = {**discount_limits(current), **{k: (None if v is None or v == "" else str(v)) for k, v in value.items()}}
            current.discount_limits = merged
        elif name == "reminder_offsets":
            current.reminder_offsets = sorted(value) if value else None
        elif name == "supplier":
            saved = current.supplier.as_dict() if current.supplier is not None else {}
            merged = {**saved, **{k: (v or "").strip() for k, v in value.items()}}
            current.supplier = {k: v for k, v in merged.items() if v}
        else:
            setattr(current, name, value)
    stored = settings_store.save(current)
    after = snapshot(stored)
    changed_before, changed_after = audit.changes(before, after)
    if changed_after:
        audit.record(actor, "settings.updated", "settings", "portal", changed_before, changed_after)
    return stored
