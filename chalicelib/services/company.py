"""A client company's own administrators (permission `manage_company`): invite colleagues, set their permissions
(never beyond the administrator's own) and spending limits, disable and enable them."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.domain.access import BUYER, PORTAL_PERMISSIONS, permissions_beyond
from chalicelib.domain.errors import Forbidden, NotFound, ValidationFailed
from chalicelib.services import accounts
from chalicelib.services.people import Actor
from chalicelib.store import users as user_store
from chalicelib.store.clients import get_client
from chalicelib.store.models import PermissionsMap, UserItem

STATUSES = ("active", "disabled")


def _permissions(raw: dict[str, bool]) -> PermissionsMap:
    return PermissionsMap(**{p: bool(raw.get(p, False)) for p in PORTAL_PERMISSIONS})


def _refuse_beyond(granted: dict[str, bool], admin: Actor) -> None:
    beyond = permissions_beyond(granted, admin.permissions)
    if beyond:
        words = ", ".join(p.replace("_", " ") for p in beyond)
        raise Forbidden(f"You cannot grant permissions you do not have yourself: {words}.",
                        code="permission_not_held", field=f"permissions.{beyond[0]}")


def _limit(raw: Any) -> Decimal | None:
    if raw is None:
        return None
    amount = Decimal(str(raw))
    if amount <= 0:
        raise ValidationFailed("A spending limit is an amount above zero (leave it empty for none).",
                               code="invalid_value", field="spending_limit")
    return amount


def contacts(admin: Actor) -> list[UserItem]:
    """The company's portal contacts, by email."""
    return user_store.contacts_of(admin.client_id or "")


def colleague(admin: Actor, contact_id: str) -> UserItem:
    """A contact of the administrator's own company; another company's contact is not found."""
    try:
        contact = user_store.get_contact(contact_id)
    except NotFound:
        contact = None
    if contact is None or contact.client_id != admin.client_id:
        raise NotFound(f"No contact {contact_id} in your company.", code="contact_not_found")
    return contact


def invite(admin: Actor, body: dict[str, Any]) -> UserItem:
    """A new colleague with a portal login; Cognito's temporary password goes out in the invitation email."""
    _refuse_beyond(body["permissions"], admin)
    client = get_client(admin.client_id or "")
    first, last = body["first_name"].strip(), body["last_name"].strip()
    contact = UserItem(email=body["email"].strip().lower(), role=BUYER, name=f"{first} {last}", first_name=first,
                       last_name=last, client_id=client.id, permissions=_permissions(body["permissions"]),
                       spending_limit=_limit(body.get("spending_limit")), status="active", invited_by=admin.user_id)
    return accounts.open_account(contact, temporary=None, inviter=f"{admin.name} ({client.name})", client_name=client.name)


def update(admin: Actor, contact_id: str, body: dict[str, Any]) -> UserItem:
    """Change a colleague's permissions, spending limit or status. Nobody changes their own account here, and
    nobody changes a colleague who holds a permission they lack (that colleague outranks them)."""
    contact = colleague(admin, contact_id)
    if contact.id == admin.user_id:
        raise Forbidden("You cannot change your own access; ask another administrator of your company.",
                        code="own_account")
    current = contact.permissions.as_dict() if contact.permissions else {}
    if permissions_beyond(current, admin.permissions):
        raise Forbidden(f"{contact.name} has permissions you do not have; ask whoever manages them.",
                        code="permission_not_held")
    actions = []
    if "permissions" in body:
        _refuse_beyond(body["permissions"], admin)
        actions.append(UserItem.permissions.set(_permissions({**current, **body["permissions"]})))
    if "spending_limit" in body:
        limit = _limit(body["spending_limit"])
        actions.append(UserItem.spending_limit.set(limit) if limit is not None else UserItem.spending_limit.remove())
    if "status" in body:
        actions.append(UserItem.status.set(body["status"]))
    if actions:
        contact.update(actions=actions, condition=UserItem.pk.exists())
    if body.get("status") == "disabled":
        accounts.disable_login(contact.email)
    elif body.get("status") == "active":
        accounts.enable_login(contact.email)
    return user_store.get_contact(contact.id)


def contact_json(u: UserItem) -> dict[str, Any]:
    return {"id": u.id, "email": u.email, "first_name": u.first_name, "last_name": u.last_name, "name": u.name,
            "permissions": u.permissions.as_dict() if u.permissions else {},
            "spending_limit": str(u.spending_limit) if u.spending_limit is not None else None,
            "status": u.status or "active"}
