"""Sales Orders issued by staff (POST /admin/orders) and the client's one-click answer
(POST /portal/orders/{id}/accept, /decline)."""
from __future__ import annotations

from chalicelib.api import schemas
from chalicelib.api.http import ApiBlueprint, json_body, json_response, validate
from chalicelib.api.security import require_portal, require_staff, token_authorizer
from chalicelib.api.views import order_json
from chalicelib.domain.access import Capability, role_can
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services import staff_orders
from chalicelib.services.ordering import Buyer
from chalicelib.services.proposals import parse_valid_until
from chalicelib.store import orders as order_store

staff_orders_api = ApiBlueprint(__name__)


def _key(request) -> str | None:
    key = (request.headers.get("idempotency-key") or "").strip() or None
    if key and len(key) > 200:
        raise ValidationFailed("Idempotency-Key is at most 200 characters.", code="invalid_value", field="Idempotency-Key")
    return key


@staff_orders_api.route("/admin/orders", methods=["POST"], authorizer=token_authorizer)
def issue_order():
    request = staff_orders_api.current_request
    staff = require_staff(request, Capability.VIEW_ORDERS)
    body = validate(json_body(request), schemas.STAFF_ORDER)
    body["valid_until"] = parse_valid_until(body.get("valid_until"))
    order, created = staff_orders.create(staff.user_id, staff.email, _may_override(staff.role),
                                         body, _key(request), only_agent=staff.user_id if staff.role == "agent" else None)
    return json_response(order_json(order, staff=True), status=201 if created else 200)


def _may_override(role: str) -> bool:
    """Setting a price by hand is a reviewer's right (the capability to approve orders)."""
    return role_can(role, OVERRIDE_PRICES)


OVERRIDE_PRICES = Capability.REVIEW_ORDERS


def _buyer() -> Buyer:
    principal = require_portal(staff_orders_api.current_request, "place_orders")
    return Buyer(principal.user_id, principal.email, principal.client_id)


@staff_orders_api.route("/portal/orders/{order_id}/accept", methods=["POST"], authorizer=token_authorizer)
def accept_order(order_id):
    buyer = _buyer()
    body = validate(json_body(staff_orders_api.current_request), schemas.OFFER_ACCEPT)
    order = staff_orders.accept(order_store.get_for_client(order_id, buyer.client_id), buyer,
                                client_reference=body.get("client_reference"), delivery_address_id=body.get("delivery_address_id"))
    return json_response(order_json(order))


@staff_orders_api.route("/portal/orders/{order_id}/decline", methods=["POST"], authorizer=token_authorizer)
def decline_order(order_id):
    buyer = _buyer()
    body = validate(json_body(staff_orders_api.current_request), schemas.OFFER_DECLINE)
    order = staff_orders.decline(order_store.get_for_client(order_id, buyer.client_id), buyer, body.get("reason"))
    return json_response(order_json(order))
