"""A portal contact's own profile: name, phone, email preferences, password; the company's data read-only, with
a way to ask the supplier's agent to change it."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import NotFound
from chalicelib.services import accounts, mail
from chalicelib.services.people import Actor
from chalicelib.store import preferences
from chalicelib.store import users as user_store
from chalicelib.store.clients import get_client
from chalicelib.store.models import UserItem


def load(person: Actor) -> dict[str, Any]:
    """The profile as the API and the page show it."""
    contact = user_store.get_contact(person.user_id)
    client = get_client(contact.client_id or "")
    return {
        "id": contact.id, "email": contact.email, "first_name": contact.first_name or "",
        "last_name": contact.last_name or "", "phone": contact.phone,
        "notify": preferences.load(contact.email),
        "permissions": contact.permissions.as_dict() if contact.permissions else {},
        "spending_limit": str(contact.spending_limit) if contact.spending_limit is not None else None,
        "company": {"id": client.id, "name": client.name, "vat_number": client.vat_number,
                    "currency": client.currency, "payment_term_days": client.payment_term_days,
                    "credit_limit": str(client.credit_limit),
                    "addresses": [a.as_dict() for a in client.addresses]},
    }


def update(person: Actor, body: dict[str, Any]) -> dict[str, Any]:
    contact = user_store.get_contact(person.user_id)
    first = body.get("first_name", contact.first_name or "").strip()
    last = body.get("last_name", contact.last_name or "").strip()
    actions = []
    if "first_name" in body or "last_name" in body:
        actions += [UserItem.first_name.set(first), UserItem.last_name.set(last),
                    UserItem.name.set(f"{first} {last}".strip())]
    if "phone" in body:
        phone = (body["phone"] or "").strip()
        actions.append(UserItem.phone.set(phone) if phone else UserItem.phone.remove())
    if actions:
        contact.update(actions=actions, condition=UserItem.pk.exists())
    if "notify" in body:
        preferences.save(contact.email, contact.id, body["notify"])
    return load(person)


def change_password(person: Actor, current: str, new_password: str) -> None:
    accounts.change_password(person.email, current, new_password)


def request_company_change(person: Actor, message: str) -> str:
    """Email the company's sales agent (or, without one, the sales managers) what should change; returns to whom."""
    client = get_client(person.client_id or "")
    recipients = []
    if client.sale_agent_id:
        agent = user_store.find_user(client.sale_agent_id)
        if agent is not None:
            recipients.append(agent)
    if not recipients:
        recipients = user_store.staff_with_roles(("manager", "admin"))
    if not recipients:
        raise NotFound("Nobody at the supplier can take this request right now.", code="no_recipient")
    for staff in recipients:
        mail.send("company_change_requested", staff.email, name=staff.name, requester=person.name,
                  requester_email=person.email, client_name=client.name, client_id=client.id, message=message.strip())
    return ", ".join(s.name for s in recipients)
