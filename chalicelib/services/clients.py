"""The back office's client use cases: the client list, editing a client, its contacts' portal accounts,
and the sales rep scope every staff view of a client's documents goes through."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws import client as aws_client
from chalicelib.config import settings as app_settings
from chalicelib.domain.access import PORTAL_PERMISSIONS, has_portal_access, may_see_client, scoped_agent
from chalicelib.domain.addresses import check_address
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed, referenced
from chalicelib.domain.money import display_amount
from chalicelib.services import accounts, audit, mail
from chalicelib.store import clients as client_store
from chalicelib.store import settings as settings_store
from chalicelib.store import users as user_store
from chalicelib.store.models import AddressMap, ClientItem, PermissionsMap, UserItem

STATUSES = ("active", "disabled")
AGENT_ROLES = ("agent", "manager", "admin")


@dataclass(frozen=True)
class Viewer:
    """Who is looking, as far as scoping cares."""

    user_id: str
    role: str
    name: str = ""


# --- scope ---------------------------------------------------------------------------------------

def client_in_scope(viewer: Viewer, client_id: str) -> ClientItem:
    """The client, or 404 for an agent that is not its agent (and for an unknown client)."""
    client = client_store.get_client(client_id)
    if not may_see_client(viewer.role, viewer.user_id, client.sale_agent_id):
        raise NotFound(f"No client {client_id}.", code="client_not_found")
    return client


def referenced_client(viewer: Viewer, client_id: str, field: str = "client_id") -> ClientItem:
    """A client a request body names: 422 `unknown_client` on `field` when there is none, 404 when it is another
    agent's (as every other reach into another agent's clients)."""
    client = referenced(lambda: client_store.get_client(client_id), field=field, code="unknown_client")
    if not may_see_client(viewer.role, viewer.user_id, client.sale_agent_id):
        raise NotFound(f"No client {client_id}.", code="client_not_found")
    return client


def check_order_scope(viewer: Viewer, client_id: str, order_id: str) -> ClientItem:
    """404 `order_not_found` when an agent reaches an order of a client that is not (or no longer) theirs."""
    client = client_store.get_client(client_id)
    if not may_see_client(viewer.role, viewer.user_id, client.sale_agent_id):
        raise NotFound(f"No order {order_id}.", code="order_not_found")
    return client


# --- list ----------------------------------------------------------------------------------------

def list_clients(viewer: Viewer, *, q: str | None = None, group_id: str | None = None, agent_id: str | None = None,
                 status: str | None = None, limit: int = 50, after: str | None = None) -> tuple[list[ClientItem], str | None]:
    """One page of clients by name (or search hits), within the viewer's scope: an agent sees its own only."""
    if status and status not in STATUSES:
        raise ValidationFailed("status is active or disabled.", code="invalid_value", field="status")
    own = scoped_agent(viewer.role, viewer.user_id)
    if own and agent_id and agent_id != own:
        return [], None  # another agent's clients: nothing to see
    agent_id = own or agent_id
    if q and q.strip():
        if len(client_store.words(q)) == 0:
            raise ValidationFailed("Search with letters or digits.", code="invalid_value", field="q")
        ids, last = client_store.search_page(q, agent_id=agent_id, group_id=group_id, status=status, limit=limit, after=after)
    else:
        ids, last = client_store.list_page(agent_id=agent_id, group_id=group_id, status=status, limit=limit, after=after)
    found = client_store.get_clients(ids)
    return [found[i] for i in ids if i in found], last


# --- edit ----------------------------------------------------------------------------------------

def snapshot(client: ClientItem) -> dict[str, Any]:
    """The editable fields as plain values (for the audit log)."""
    return {"name": client.name, "vat_number": client.vat_number, "group_id": client.group_id,
            "sale_agent_id": client.sale_agent_id, "payment_term_days": client.payment_term_days,
            "credit_limit": display_amount(client.credit_limit), "currency": client.currency, "auto_approve": client.auto_approve,
            "portal_enabled": client.portal_enabled is not False, "show_stock": client.show_stock,
            "addresses": [a.as_dict() for a in client.addresses]}


def _addresses(raw: list[dict[str, Any]], existing: list[AddressMap]) -> list[AddressMap]:
    taken = {a.id for a in existing}
    result = []
    for i, a in enumerate(raw):
        values = {k: a[k].strip() for k in ("label", "line1", "city", "postcode", "country")}
        county = (a.get("county") or "").strip() or None
        if county:  # the one address rule (domain/addresses.py): ISO 3166-2 county, Bucharest's sector
            checked = check_address(country=values["country"], county=county, city=values["city"],
                                    field=f"addresses[{i}].county")
            county, values["city"] = checked.county, checked.city
        address_id = a.get("id")
        if not address_id:
            n = 1
            while f"addr_{n}" in taken:
                n += 1
            address_id = f"addr_{n}"
        taken.add(address_id)
        result.append(AddressMap(id=address_id, county=county, **values))
    return result


def _agent(agent_id: str) -> UserItem:
    agent = user_store.find_user(agent_id)
    if agent is None or agent.role not in AGENT_ROLES or not agent.active:
        raise ValidationFailed("sale_agent_id is not an active sales agent.", code="unknown_agent", field="sale_agent_id")
    return agent


def update_client(viewer: Viewer, client_id: str, fields: dict[str, Any]) -> ClientItem:
    """Apply a PATCH: only the fields sent change; `group_id: null` removes the group. Audited."""
    before = client_in_scope(viewer, client_id)
    after = copy.deepcopy(before)
    if "name" in fields:
        after.name = fields["name"].strip()
    if "vat_number" in fields:
        after.vat_number = (fields["vat_number"] or "").strip() or None
    if "group_id" in fields:
        if fields["group_id"]:
            referenced(lambda: client_store.get_group(fields["group_id"]), field="group_id", code="unknown_group")
        after.group_id = fields["group_id"] or None
    if "sale_agent_id" in fields:
        if fields["sale_agent_id"]:
            _agent(fields["sale_agent_id"])
        after.sale_agent_id = fields["sale_agent_id"] or None
    for name in ("payment_term_days", "currency", "auto_approve", "portal_enabled"):
        if name in fields:
            setattr(after, name, fields[name])
    if "show_stock" in fields:
        after.show_stock = fields["show_stock"]
    if "credit_limit" in fields:
        after.credit_limit = Decimal(fields["credit_limit"])
    if "addresses" in fields:
        after.addresses = _addresses(fields["addresses"], before.addresses)
    old, new = snapshot(before), snapshot(after)
    if old == new:
        return before
    stored = client_store.save_client(before, after)
    if old["portal_enabled"] != new["portal_enabled"]:
        for contact in user_store.contacts_of(client_id):
            user_store.set_client_disabled(contact, not new["portal_enabled"])
    if old["sale_agent_id"] != new["sale_agent_id"]:
        client_store.reassign_open_orders(client_id, new["sale_agent_id"])
    changed_before, changed_after = audit.changes(old, new)
    action = {True: "client.enabled", False: "client.disabled"}.get(new["portal_enabled"]) \
        if set(changed_after) == {"portal_enabled"} else "client.updated"
    audit.record((viewer.user_id, viewer.name), action, "client", client_id, changed_before, changed_after)
    return stored


# --- contacts ------------------------------------------------------------------------------------

def contact_in_scope(viewer: Viewer, contact_id: str) -> UserItem:
    contact = user_store.get_contact(contact_id)
    client = client_store.get_client(contact.client_id)
    if not may_see_client(viewer.role, viewer.user_id, client.sale_agent_id):
        raise NotFound(f"No contact {contact_id}.", code="contact_not_found")
    return contact


def contact_snapshot(contact: UserItem) -> dict[str, Any]:
    return {"first_name": contact.first_name, "last_name": contact.last_name, "phone": contact.phone,
            "status": contact_status(contact), "permissions": contact.permissions.as_dict() if contact.permissions else {}}


def contact_status(contact: UserItem) -> str:
    return "disabled" if contact.status == "disabled" else "active"


def update_contact(viewer: Viewer, contact_id: str, fields: dict[str, Any]) -> UserItem:
    contact = contact_in_scope(viewer, contact_id)
    old = contact_snapshot(contact)
    actions = []
    first = fields.get("first_name", contact.first_name or "").strip()
    last = fields.get("last_name", contact.last_name or "").strip()
    if "first_name" in fields or "last_name" in fields:
        actions += [UserItem.first_name.set(first), UserItem.last_name.set(last), UserItem.name.set(f"{first} {last}".strip())]
    if "phone" in fields:
        phone = (fields["phone"] or "").strip()
        actions.append(UserItem.phone.set(phone) if phone else UserItem.phone.remove())
    if "permissions" in fields:
        merged = {**(contact.permissions.as_dict() if contact.permissions else {}), **fields["permissions"]}
        actions.append(UserItem.permissions.set(PermissionsMap(**{p: bool(merged.get(p, False)) for p in PORTAL_PERMISSIONS})))
    if actions:
        contact.update(actions=actions, condition=UserItem.pk.exists())
    new = contact_snapshot(contact)
    if old != new:
        audit.record((viewer.user_id, viewer.name), "contact.updated", "contact", contact_id, *audit.changes(old, new))
    return contact


def _cognito() -> Any:
    return aws_client("cognito-idp")


def set_login_enabled(viewer: Viewer, user: UserItem, enabled: bool, entity_type: str) -> UserItem:
    """Disable or enable a login: Cognito refuses its sign-in, and our record refuses its tokens at the next request
    (the authorizer may have cached the token; every request reads the person's record)."""
    pool = app_settings().user_pool_id
    if enabled:
        _cognito().admin_enable_user(UserPoolId=pool, Username=user.email)
    else:
        _cognito().admin_disable_user(UserPoolId=pool, Username=user.email)
        try:  # refresh tokens stop working too
            _cognito().admin_user_global_sign_out(UserPoolId=pool, Username=user.email)
        except ClientError:
            pass
    old = "disabled" if user.status == "disabled" else "active"
    new = "active" if enabled else "disabled"
    user.update(actions=[UserItem.status.set(new)], condition=UserItem.pk.exists())
    if old != new:
        audit.record((viewer.user_id, viewer.name), f"{entity_type}.{'enabled' if enabled else 'disabled'}", entity_type,
                     user.id, {"status": old}, {"status": new})
    return user


def disable_contact(viewer: Viewer, contact_id: str) -> UserItem:
    return set_login_enabled(viewer, contact_in_scope(viewer, contact_id), False, "contact")


def enable_contact(viewer: Viewer, contact_id: str) -> UserItem:
    return set_login_enabled(viewer, contact_in_scope(viewer, contact_id), True, "contact")


def reset_password(viewer: Viewer, contact_id: str) -> None:
    """Cognito emails the contact a reset code (the forgotten-password path, started by staff)."""
    contact = contact_in_scope(viewer, contact_id)
    if contact.status == "disabled":
        raise Conflict("This contact is disabled; enable it before resetting its password.", code="contact_disabled")
    accounts.forgot_password(contact.email)
    audit.record((viewer.user_id, viewer.name), "contact.password_reset", "contact", contact_id, None, {"email": contact.email})


def resend_invitation(viewer: Viewer, contact_id: str) -> UserItem:
    """A new temporary password and the invitation email again, for a contact that never signed in."""
    contact = contact_in_scope(viewer, contact_id)
    permissions = contact.permissions.as_dict() if contact.permissions else {}
    if not has_portal_access(permissions):
        raise Conflict("Give this contact at least one permission first: without any it cannot use the portal.",
                       code="no_portal_access")
    if contact.status == "disabled":
        raise Conflict("This contact is disabled; enable it first.", code="contact_disabled")
    if contact.last_login_at is not None:
        raise Conflict("This contact has signed in already; send a password reset instead.", code="already_signed_in")
    password = accounts.temporary_password()
    _cognito().admin_set_user_password(UserPoolId=app_settings().user_pool_id, Username=contact.email,
                                       Password=password, Permanent=False)
    client = client_store.get_client(contact.client_id)
    mail.send("invitation", contact.email, name=contact.name, email=contact.email, inviter=viewer.name,
              portal_name=accounts.PORTAL_NAME, client_name=client.name, temporary_password=password)
    audit.record((viewer.user_id, viewer.name), "contact.invited", "contact", contact_id, None, {"email": contact.email})
    return contact


# --- stock visibility ----------------------------------------------------------------------------

def stock_visible(permissions: dict[str, bool], client: ClientItem) -> bool:
    """A contact sees stock with the view_stock permission when its client shows stock (its own setting, else
    the global default of the settings)."""
    if not permissions.get("view_stock", False):
        return False
    if client.show_stock is not None:
        return bool(client.show_stock)
    return bool(settings_store.load().show_stock)


def only_own(viewer: Viewer, documents: list[Any]) -> list[Any]:
    """An agent's view of a page of documents (each with `client_id`): those of its own clients (one BatchGetItem)."""
    if scoped_agent(viewer.role, viewer.user_id) is None or not documents:
        return documents
    found = client_store.get_clients([d.client_id for d in documents])
    return [d for d in documents if d.client_id in found and found[d.client_id].sale_agent_id == viewer.user_id]


def document_in_scope(viewer: Viewer, document: Any, what: str, code: str) -> Any:
    """The document (with `client_id`), or 404 for an agent that is not its client's agent."""
    if scoped_agent(viewer.role, viewer.user_id) is not None:
        client = client_store.get_client(document.client_id)
        if client.sale_agent_id != viewer.user_id:
            raise NotFound(f"No {what}.", code=code)
    return document
