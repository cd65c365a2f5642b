"""/admin/clients, /admin/contacts, /admin/staff, /admin/audit: the back office's people (API.md "Back office").

An `agent` sees and changes only its own clients (and their contacts); another agent's client is 404.
"""
from __future__ import annotations

from typing import Any

from chalicelib.api import schemas
from chalicelib.api.http import ApiBlueprint, decode_cursor, encode_cursor, json_body, json_response, page, page_params, validate
from chalicelib.api.security import Principal, require_staff, token_authorizer
from chalicelib.api.views import client_json
from chalicelib.domain.access import Capability
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services import audit, clients, staff
from chalicelib.store.models import UserItem

admin_clients_api = ApiBlueprint(__name__)

AUDIT_TYPES = ("client", "contact", "staff", "settings", "order", "product", "price_list")


def _request():
    return admin_clients_api.current_request


def _viewer(principal: Principal) -> clients.Viewer:
    return clients.Viewer(principal.user_id, principal.role, principal.name)


def _params() -> dict[str, str]:
    return _request().query_params or {}


def hex_cursor(position: str | None) -> str | None:
    """Positions holding any character (client ids have `_`) travel as hex inside the usual cursor."""
    return encode_cursor(position.encode().hex()) if position else None


def read_hex_cursor(cursor: str | None) -> str | None:
    raw = decode_cursor(cursor)
    if raw is None:
        return None
    try:
        return bytes.fromhex(raw).decode()
    except ValueError as exc:
        raise ValidationFailed("The cursor is not one this API gave out.", code="invalid_cursor", field="cursor") from exc


def client_row(c: Any) -> dict[str, Any]:
    body = client_json(c)
    return {key: body[key] for key in ("id", "name", "vat_number", "group_id", "sale_agent_id", "credit_limit",
                                       "balance", "currency")} | {"status": clients.client_store.client_status(c)}


def contact_row(u: UserItem) -> dict[str, Any]:
    return {"id": u.id, "email": u.email, "first_name": u.first_name, "last_name": u.last_name, "phone": u.phone,
            "permissions": u.permissions.as_dict() if u.permissions else {}, "status": clients.contact_status(u),
            "last_login_at": u.last_login_at, "client_id": u.client_id}


# --- clients -------------------------------------------------------------------------------------

@admin_clients_api.route("/admin/clients", methods=["GET"], authorizer=token_authorizer)
def list_clients():
    principal = require_staff(_request(), Capability.VIEW_CLIENTS)
    limit, cursor = page_params(_request())
    params = _params()
    if len(params.get("q") or "") > 100:
        raise ValidationFailed("q is at most 100 characters.", code="invalid_value", field="q")
    found, last = clients.list_clients(_viewer(principal), q=params.get("q"), group_id=params.get("group_id") or None,
                                       agent_id=params.get("agent_id") or None, status=params.get("status") or None,
                                       limit=limit, after=read_hex_cursor(cursor))
    return json_response(page([client_row(c) for c in found], hex_cursor(last)))


@admin_clients_api.route("/admin/clients/{client_id}", methods=["PATCH"], authorizer=token_authorizer)
def patch_client(client_id):
    principal = require_staff(_request(), Capability.MANAGE_CLIENTS)
    body = validate(json_body(_request()), schemas.CLIENT_PATCH)
    updated = clients.update_client(_viewer(principal), client_id, body)
    return json_response({**client_json(updated), "status": clients.client_store.client_status(updated),
                          "portal_enabled": updated.portal_enabled is not False, "show_stock": updated.show_stock})


@admin_clients_api.route("/admin/clients/{client_id}/contacts", methods=["GET"], authorizer=token_authorizer)
def list_contacts(client_id):
    principal = require_staff(_request(), Capability.VIEW_CLIENTS)
    clients.client_in_scope(_viewer(principal), client_id)
    contacts = sorted(clients.user_store.contacts_of(client_id), key=lambda u: u.email)
    return json_response(page([contact_row(u) for u in contacts], None))


# --- contacts ------------------------------------------------------------------------------------

@admin_clients_api.route("/admin/contacts/{contact_id}", methods=["GET"], authorizer=token_authorizer)
def get_contact(contact_id):
    principal = require_staff(_request(), Capability.VIEW_CLIENTS)
    return json_response(contact_row(clients.contact_in_scope(_viewer(principal), contact_id)))


@admin_clients_api.route("/admin/contacts/{contact_id}", methods=["PATCH"], authorizer=token_authorizer)
def patch_contact(contact_id):
    principal = require_staff(_request(), Capability.MANAGE_CLIENTS)
    body = validate(json_body(_request()), schemas.CONTACT_PATCH)
    return json_response(contact_row(clients.update_contact(_viewer(principal), contact_id, body)))


@admin_clients_api.route("/admin/contacts/{contact_id}/disable", methods=["POST"], authorizer=token_authorizer)
def disable_contact(contact_id):
    principal = require_staff(_request(), Capability.MANAGE_CLIENTS)
    return json_response(contact_row(clients.disable_contact(_viewer(principal), contact_id)))


@admin_clients_api.route("/admin/contacts/{contact_id}/enable", methods=["POST"], authorizer=token_authorizer)
def enable_contact(contact_id):
    principal = require_staff(_request(), Capability.MANAGE_CLIENTS)
    return json_response(contact_row(clients.enable_contact(_viewer(principal), contact_id)))


@admin_clients_api.route("/admin/contacts/{contact_id}/reset-password", methods=["POST"], authorizer=token_authorizer)
def reset_contact_password(contact_id):
    principal = require_staff(_request(), Capability.MANAGE_CLIENTS)
    clients.reset_password(_viewer(principal), contact_id)
    return json_response({"status": "reset_sent"}, status=202)


@admin_clients_api.route("/admin/contacts/{contact_id}/resend-invitation", methods=["POST"], authorizer=token_authorizer)
def resend_invitation(contact_id):
    principal = require_staff(_request(), Capability.MANAGE_CLIENTS)
    return json_response(contact_row(clients.resend_invitation(_viewer(principal), contact_id)), status=202)


# --- staff ---------------------------------------------------------------------------------------

@admin_clients_api.route("/admin/staff", methods=["GET"], authorizer=token_authorizer)
def list_staff():
    require_staff(_request(), Capability.MANAGE_STAFF)
    return json_response(page([staff.staff_json(u) for u in staff.list_staff()], None))


@admin_clients_api.route("/admin/staff/{user_id}", methods=["PATCH"], authorizer=token_authorizer)
def patch_staff(user_id):
    principal = require_staff(_request(), Capability.MANAGE_STAFF)
    body = validate(json_body(_request()), schemas.STAFF_PATCH)
    return json_response(staff.staff_json(staff.update_staff(_viewer(principal), user_id, body)))


@admin_clients_api.route("/admin/staff/{user_id}/disable", methods=["POST"], authorizer=token_authorizer)
def disable_staff(user_id):
    principal = require_staff(_request(), Capability.MANAGE_STAFF)
    return json_response(staff.staff_json(staff.disable_staff(_viewer(principal), user_id)))


@admin_clients_api.route("/admin/staff/{user_id}/enable", methods=["POST"], authorizer=token_authorizer)
def enable_staff(user_id):
    principal = require_staff(_request(), Capability.MANAGE_STAFF)
    return json_response(staff.staff_json(staff.enable_staff(_viewer(principal), user_id)))


# --- audit ---------------------------------------------------------------------------------------

@admin_clients_api.route("/admin/audit", methods=["GET"], authorizer=token_authorizer)
def audit_log():
    """Managers and admins read the whole log; an agent only its own clients' entries (asked per client)."""
    principal = require_staff(_request(), Capability.VIEW_CLIENTS)
    limit, cursor = page_params(_request())
    params = _params()
    entity_type, entity_id = params.get("entity_type") or None, params.get("entity_id") or None
    if entity_type and entity_type not in AUDIT_TYPES:
        raise ValidationFailed(f"entity_type is one of {', '.join(AUDIT_TYPES)}.", code="invalid_value", field="entity_type")
    if entity_id and not entity_type:
        raise ValidationFailed("entity_id needs entity_type.", code="missing_field", field="entity_type")
    viewer = _viewer(principal)
    if principal.role not in ("admin", "manager"):
        if entity_type != "client" or not entity_id:
            raise ValidationFailed("Ask for one client's log: entity_type=client&entity_id=...", code="missing_field",
                                   field="entity_id")
        clients.client_in_scope(viewer, entity_id)
    entries, last = audit.page(entity_type=entity_type, entity_id=entity_id, limit=limit, after=decode_cursor(cursor))
    return json_response(page([e.as_json() for e in entries], encode_cursor(last)))
