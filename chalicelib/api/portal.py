"""/portal/*: a buyer's own view, always scoped to the client of the verified token."""
from __future__ import annotations

from chalicelib.api import schemas
from chalicelib.api.http import (
    ApiBlueprint, decode_cursor, encode_cursor, json_body, json_response, page, page_params, validate,
)
from chalicelib.api.security import require_portal, token_authorizer
from chalicelib.api.views import catalogue_json, order_json
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services import catalogue, ordering, review
from chalicelib.services.ordering import Buyer
from chalicelib.store import orders as order_store
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


# --- orders ----------------------------------------------------------------------------

def _buyer(permission: str) -> Buyer:
    principal = require_portal(portal_api.current_request, permission)
    return Buyer(principal.user_id, principal.email, principal.client_id)


@portal_api.route("/portal/orders", methods=["POST"], authorizer=token_authorizer)
def place_order():
    request = portal_api.current_request
    buyer = _buyer("place_orders")
    body = validate(json_body(request), schemas.ORDER)
    key = (request.headers.get("idempotency-key") or "").strip() or None
    if key and len(key) > 200:
        raise ValidationFailed("Idempotency-Key is at most 200 characters.", code="invalid_value", field="Idempotency-Key")
    order = ordering.place_idempotent(buyer, body, key, portal_api.lambda_context)
    return json_response(order_json(order), status=201)


@portal_api.route("/portal/orders", methods=["GET"], authorizer=token_authorizer)
def list_orders():
    buyer = _buyer("orders")
    limit, cursor = page_params(portal_api.current_request)
    orders, after = order_store.for_client(buyer.client_id, limit=limit, after=decode_cursor(cursor))
    return json_response(page([order_json(o) for o in orders], encode_cursor(after)))


@portal_api.route("/portal/orders/{order_id}", methods=["GET"], authorizer=token_authorizer)
def order_detail(order_id):
    buyer = _buyer("orders")
    order = order_store.get_for_client(order_id, buyer.client_id)
    return json_response(order_json(order, history=order_store.history(order_id)))


@portal_api.route("/portal/orders/{order_id}/accept-changes", methods=["POST"], authorizer=token_authorizer)
def accept_changes(order_id):
    buyer = _buyer("place_orders")
    order = review.accept_changes(order_store.get_for_client(order_id, buyer.client_id), buyer.email)
    return json_response(order_json(order))


@portal_api.route("/portal/orders/{order_id}/decline-changes", methods=["POST"], authorizer=token_authorizer)
def decline_changes(order_id):
    buyer = _buyer("place_orders")
    order = review.decline_changes(order_store.get_for_client(order_id, buyer.client_id), buyer.email)
    return json_response(order_json(order))


@portal_api.route("/portal/orders/{order_id}/reorder", methods=["POST"], authorizer=token_authorizer)
def reorder(order_id):
    result = ordering.reorder(_buyer("place_orders"), order_id)
    return json_response({**order_json(result.order), "skipped": result.skipped}, status=201)
