"""/portal/*: a buyer's own view, always scoped to the client of the verified token."""
from __future__ import annotations

from chalicelib.api.http import ApiBlueprint, decode_cursor, encode_cursor, json_response, page, page_params
from chalicelib.api.security import require_portal, token_authorizer
from chalicelib.api.views import catalogue_json
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services import catalogue
from chalicelib.store.clients import get_client

portal_api = ApiBlueprint(__name__)


@portal_api.route("/portal/me", methods=["GET"], authorizer=token_authorizer)
def me():
    buyer = require_portal(portal_api.current_request)
    client = get_client(buyer.client_id)
    return json_response({
        "contact": {"id": buyer.user_id, "email": buyer.email, "name": buyer.name},
        "client": {"id": client.id, "name": client.name},
        "permissions": buyer.permissions,
    })


@portal_api.route("/portal/catalogue", methods=["GET"], authorizer=token_authorizer)
def browse_catalogue():
    request = portal_api.current_request
    buyer = require_portal(request)
    limit, cursor = page_params(request)
    params = request.query_params or {}
    category, query = params.get("category") or None, params.get("q") or None
    for name, value in (("category", category), ("q", query)):
        if value and len(value) > 100:
            raise ValidationFailed(f"{name} is at most 100 characters.", code="invalid_value", field=name)
    result = catalogue.browse(buyer.client_id, category=category, query=query, limit=limit, after_sku=decode_cursor(cursor))
    show_stock = buyer.permissions.get("view_stock", False)
    return json_response(page([catalogue_json(e, show_stock=show_stock) for e in result.entries], encode_cursor(result.after_sku)))


@portal_api.route("/portal/catalogue/{sku}", methods=["GET"], authorizer=token_authorizer)
def catalogue_item(sku):
    buyer = require_portal(portal_api.current_request)
    entry = catalogue.one(buyer.client_id, sku)
    return json_response(catalogue_json(entry, show_stock=buyer.permissions.get("view_stock", False)))
