"""The admin's settings page: every portal setting on one form, validated by the API's schema, errors field by field.

The supplier's legal data: a saved field wins over the stage's environment (SUPPLIER_* variables); a blank field
falls back to it (the form shows the environment's value as the placeholder).
"""
from __future__ import annotations

import re
from typing import Any

from chalicelib import config
from chalicelib.api import schemas
from chalicelib.api.http import validate
from chalicelib.domain.access import Capability
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services import audit
from chalicelib.services import settings as settings_service
from chalicelib.store import settings as settings_store
from chalicelib.web.kit import FORM, Session, WebBlueprint, form_fields, redirect, render_page, require_csrf, staff_session
from chalicelib.web.staff.clients import audit_rows

web_settings = WebBlueprint(__name__)

ROLES_WITH_LIMITS = ("agent", "manager", "admin")
SUPPLIER_LABELS = {"name": "Legal name", "vat_number": "VAT number", "registration_number": "Trade register number",
                   "street": "Street", "city": "City (in Bucharest: Sector 1 to 6)", "postcode": "Postcode",
                   "county": "County (ISO 3166-2, e.g. RO-B)", "country": "Country (2 letters)",
                   "email": "Billing email", "iban": "IBAN"}
HINTS = {
    "review_timeout_hours": "Escalation after a number of hours from 0.1 to 720.",
    "cart_abandoned_hours": "Whole hours from 1 to 720.",
    "reminder_offsets": "Days after the due date, whole numbers from 1 to 365 separated by commas (e.g. 1, 7, 14), each once.",
    "discount_limits": "A percentage from 0 to 100, or blank for no limit.",
}


def _values(item: Any) -> dict[str, Any]:
    view = settings_service.snapshot(item)
    return {**view, "review_timeout_hours": view["review_timeout_hours"],
            "reminder_offsets": ", ".join(str(d) for d in view["reminder_offsets"]),
            "discount_limits": {r: ("" if view["discount_limits"].get(r) is None else view["discount_limits"][r])
                                for r in ROLES_WITH_LIMITS},
            "supplier": {k: view["supplier_saved"].get(k, "") for k in settings_service.SUPPLIER_FIELDS}}


def _page(session: Session, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    environment = config.supplier()
    entries, _ = audit.page(entity_type="settings", limit=10)
    return render_page("agent/settings.html", session, status=status, values=values, errors=errors,
                       roles=ROLES_WITH_LIMITS, supplier_fields=[(k, SUPPLIER_LABELS[k], getattr(environment, k))
                                                                 for k in settings_service.SUPPLIER_FIELDS],
                       audit=audit_rows(entries))


def _admin() -> Session:
    """An admin (the capability kept out of the views, as the API's table reads them)."""
    return staff_session(Capability.MANAGE_SETTINGS)


@web_settings.route("/agent/settings", methods=["GET"])
def settings_page():
    session = _admin()
    return _page(session, _values(settings_store.load()), {})


def _number(raw: str) -> Any:
    raw = raw.strip().replace(",", ".")
    if re.fullmatch(r"\d+", raw):
        return int(raw)
    if re.fullmatch(r"\d+\.\d+", raw):
        return float(raw)
    return raw  # the schema refuses it with the field's name


def _offsets(raw: str) -> Any:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    return [int(p) if p.isdigit() else p for p in parts] or None


def _validated(body: dict[str, Any]) -> dict[str, Any]:
    return validate(body, schemas.SETTINGS)


@web_settings.route("/agent/settings", methods=["POST"], content_types=FORM)
def settings_save():
    session = _admin()
    form = form_fields()
    require_csrf(form)
    body = {
        "portal_order_initial_status": form.get("portal_order_initial_status", ""),
        "review_required": form.get("review_required") == "on",
        "review_timeout_hours": _number(form.get("review_timeout_hours", "")),
        "auto_create_delivery_note": form.get("auto_create_delivery_note") == "auto",
        "invoice_on": form.get("invoice_on", ""),
        "order_confirmation_email": form.get("order_confirmation_email") == "on",
        "show_stock": form.get("show_stock") == "on",
        "cart_abandoned_hours": _number(form.get("cart_abandoned_hours", "")),
        "reminder_offsets": _offsets(form.get("reminder_offsets", "")),
        "discount_limits": {r: (form.get(f"discount_{r}", "").strip() or None) for r in ROLES_WITH_LIMITS},
        "supplier": {k: form.get(f"supplier_{k}", "").strip() for k in settings_service.SUPPLIER_FIELDS},
    }
    try:
        settings_service.update(session.principal, _validated(body))
    except ValidationFailed as exc:
        field = exc.field or "form"
        key = field.split(".")[0].split("[")[0]
        shown = {**body, "reminder_offsets": form.get("reminder_offsets", ""),
                 "review_timeout_hours": form.get("review_timeout_hours", ""),
                 "cart_abandoned_hours": form.get("cart_abandoned_hours", ""),
                 "discount_limits": {r: form.get(f"discount_{r}", "") for r in ROLES_WITH_LIMITS}}
        return _page(session, shown, {field.split("[")[0]: HINTS.get(key, exc.message)}, status=422)
    return redirect("/agent/settings", session.cookies, flash={"notice": "Settings saved; they apply from the next order."})
