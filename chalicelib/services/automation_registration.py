"""Company self-registration: the public form records a pending registration (and announces
`client.registered` for the automation rules); staff approve it into a client with its first portal contact
(`client.approved`), or reject it."""
from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import Any

from chalicelib.domain.access import PORTAL_PERMISSIONS
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.services import events, setup
from chalicelib.store import automation as store

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,}$")
FIELDS = {"company": 200, "vat_number": 32, "country": 2, "line1": 200, "city": 100, "postcode": 20,
          "first_name": 100, "last_name": 100, "email": 254}
OPTIONAL = {"vat_number"}
DEFAULT_TERMS = {"payment_term_days": 0, "credit_limit": Decimal("0"), "currency": "EUR"}  # prepaid until staff set terms


def register(form: dict[str, str]) -> store.RegistrationItem:
    """Validate the form field by field (ValidationFailed names the field) and record it, pending."""
    values = {}
    for name, limit in FIELDS.items():
        value = (form.get(name) or "").strip()
        if not value and name not in OPTIONAL:
            raise ValidationFailed("This is needed.", code="missing_field", field=name)
        if len(value) > limit:
            raise ValidationFailed(f"At most {limit} characters.", code="invalid_value", field=name)
        values[name] = value or None
    values["email"] = values["email"].lower()
    if not EMAIL.match(values["email"]):
        raise ValidationFailed("That is not an email address.", code="invalid_value", field="email")
    values["country"] = values["country"].upper()
    if not re.fullmatch(r"[A-Z]{2}", values["country"]):
        raise ValidationFailed("The two-letter country code, e.g. RO.", code="invalid_value", field="country")
    from chalicelib.store.orders import now  # noqa: PLC0415

    item = store.add_registration(store.RegistrationItem(id=f"reg_{secrets.token_hex(8)}", status="pending",
                                                         created_at=now(), **values))
    events.announce("client.registered", item.id, quiet=True, registration_id=item.id, name=item.company,
                    email=item.email, country=item.country)
    return item


def approve(registration_id: str, inviter: str) -> store.RegistrationItem:
    """A client (prepaid terms until staff change them) and its first contact, invited to the portal."""
    item = store.get_registration(registration_id)
    if not store.move_registration(item, "pending", "approving"):
        raise Conflict(f"This registration is {item.status} already.", code="registration_decided")
    try:
        client = setup.create_client({"name": item.company, "vat_number": item.vat_number, **DEFAULT_TERMS,
                                      "addresses": [{"label": "Registered office", "line1": item.line1, "city": item.city,
                                                     "postcode": item.postcode, "country": item.country}]})
        setup.create_contact(client.id, {"email": item.email, "first_name": item.first_name, "last_name": item.last_name,
                                         "permissions": dict.fromkeys(PORTAL_PERMISSIONS, True)}, inviter=inviter)
    except Exception:
        store.move_registration(store.get_registration(registration_id), "approving", "pending")  # try again later
        raise
    store.move_registration(store.get_registration(registration_id), "approving", "approved", client.id)
    events.announce("client.approved", client.id, quiet=True, client_id=client.id, name=client.name)
    return store.get_registration(registration_id)


def reject(registration_id: str) -> store.RegistrationItem:
    item = store.get_registration(registration_id)
    if not store.move_registration(item, "pending", "rejected"):
        raise Conflict(f"This registration is {item.status} already.", code="registration_decided")
    return store.get_registration(registration_id)


def pending() -> list[dict[str, Any]]:
    return [{"id": r.id, "company": r.company, "vat_number": r.vat_number, "country": r.country, "city": r.city,
             "contact": f"{r.first_name} {r.last_name}", "email": r.email, "at": r.created_at}
            for r in store.registrations("pending")]
