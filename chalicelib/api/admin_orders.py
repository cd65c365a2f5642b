"""/admin/orders and /admin/settings: the review queue, decisions, and the supplier's portal settings."""
from __future__ import annotations

from decimal import Decimal

from chalicelib.api import schemas
from chalicelib.api.http import (
    ApiBlueprint, decode_cursor, encode_cursor, json_body, json_response, page, page_params, validate,
)
from chalicelib.api.security import Principal, require_client_in_scope, require_staff, token_authorizer
from chalicelib.api.views import order_json, proposal_json, settings_json
from chalicelib.domain.access import Capability, scoped_agent
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.orders import OrderStatus
from chalicelib.services import cancellation, clients, proposals, review, timeline
from chalicelib.services import settings as settings_service
from chalicelib.store import orders as order_store
from chalicelib.store import proposals as proposal_store
from chalicelib.store import settings as settings_store
from chalicelib.store.models import OrderItem

admin_orders_api = ApiBlueprint(__name__)
MAX_TASKS = 200


def _request():
    return admin_orders_api.current_request


def _order_in_scope(staff: Principal, order_id: str) -> OrderItem:
    """The order, or 404 for an agent whose clients do not include the order's client (sales rep scoping)."""
    order = order_store.get(order_id)
    clients.check_order_scope(clients.Viewer(staff.user_id, staff.role, staff.name), order.client_id, order_id)
    return order


def _proposal_in_scope(staff: Principal, proposal_id: str):
    proposal = proposal_store.get(proposal_id)
    client = clients.client_store.get_client(proposal.client_id)
    require_client_in_scope(staff, client.sale_agent_id, f"proposal {proposal_id}", "proposal_not_found")
    return proposal


@admin_orders_api.route("/admin/orders", methods=["GET"], authorizer=token_authorizer)
def review_queue():
    staff = require_staff(_request(), Capability.VIEW_ORDERS)
    limit, cursor = page_params(_request())
    status = (_request().query_params or {}).get("status", OrderStatus.DRAFT.value)
    if status not in {s.value for s in OrderStatus}:
        raise ValidationFailed("status is one of " + ", ".join(s.value for s in OrderStatus) + ".", code="invalid_value", field="status")
    orders, after = order_store.by_status(status, limit=limit, after=decode_cursor(cursor),
                                          agent_id=scoped_agent(staff.role, staff.user_id))
    return json_response(page([order_json(o, staff=True) for o in orders], encode_cursor(after)))


@admin_orders_api.route("/admin/tasks", methods=["GET"], authorizer=token_authorizer)
def my_tasks():
    """The caller's open tasks (reviews, escalations, failed AWBs), newest first."""
    staff = require_staff(_request(), Capability.VIEW_ORDERS)
    tasks = [t for t in order_store.tasks_for(staff.user_id) if not t.done]
    return json_response(page([{"kind": t.kind, "order_id": t.order_id, "title": t.title, "created_at": t.created_at}
                               for t in tasks[:MAX_TASKS]], None))


@admin_orders_api.route("/admin/orders/{order_id}", methods=["GET"], authorizer=token_authorizer)
def order_detail(order_id):
    staff = require_staff(_request(), Capability.VIEW_ORDERS)
    order = _order_in_scope(staff, order_id)
    history = order_store.history(order_id)
    body = order_json(order, staff=True, history=history)
    body["timeline"] = timeline.staff_timeline(order_id, staff.role, loaded=timeline.Loaded(order=order, history=history))
    return json_response(body)


@admin_orders_api.route("/admin/orders/{order_id}/approve", methods=["POST"], authorizer=token_authorizer)
def approve(order_id):
    staff = require_staff(_request(), Capability.REVIEW_ORDERS)
    _order_in_scope(staff, order_id)
    body = validate(json_body(_request()), schemas.APPROVE)
    discount = Decimal(body["discount_percent"]) if body.get("discount_percent") else None
    return json_response(order_json(review.approve(order_id, staff.email, discount, reason=body.get("reason"),
                                                   role=staff.role), staff=True))


@admin_orders_api.route("/admin/orders/{order_id}/modify", methods=["POST"], authorizer=token_authorizer)
def modify(order_id):
    staff = require_staff(_request(), Capability.REVIEW_ORDERS)
    _order_in_scope(staff, order_id)
    body = validate(json_body(_request()), schemas.MODIFY)
    lines = [{**line, "unit_price": Decimal(line["unit_price"]) if line.get("unit_price") else None} for line in body["lines"]]
    discount = Decimal(body["discount_percent"]) if body.get("discount_percent") else Decimal(0)
    return json_response(order_json(review.modify(order_id, staff.email, lines, body["message"].strip(), discount,
                                                  role=staff.role), staff=True))


@admin_orders_api.route("/admin/orders/{order_id}/reject", methods=["POST"], authorizer=token_authorizer)
def reject(order_id):
    staff = require_staff(_request(), Capability.REVIEW_ORDERS)
    _order_in_scope(staff, order_id)
    body = validate(json_body(_request()), schemas.REJECT)
    return json_response(order_json(review.reject(order_id, staff.email, body["reason"].strip()), staff=True))


@admin_orders_api.route("/admin/orders/{order_id}/cancel", methods=["POST"], authorizer=token_authorizer)
def cancel(order_id):
    """Cancel an accepted order before any stock left for it (409 `order_not_cancellable` otherwise)."""
    staff = require_staff(_request(), Capability.REVIEW_ORDERS)
    _order_in_scope(staff, order_id)
    body = validate(json_body(_request()), schemas.CANCEL)
    return json_response(order_json(cancellation.cancel(order_id, staff.email, body["reason"].strip()), staff=True))


@admin_orders_api.route("/admin/settings", methods=["GET"], authorizer=token_authorizer)
def get_settings():
    require_staff(_request(), Capability.VIEW_ORDERS)
    return json_response(settings_json(settings_store.load()))


@admin_orders_api.route("/admin/settings", methods=["PUT"], authorizer=token_authorizer)
def put_settings():
    admin = require_staff(_request(), Capability.MANAGE_SETTINGS)
    body = validate(json_body(_request()), schemas.SETTINGS)
    return json_response(settings_json(settings_service.update(admin, body)))


# --- proposals (quotes) -------------------------------------------------------------------------

@admin_orders_api.route("/admin/proposals", methods=["POST"], authorizer=token_authorizer)
def create_proposal():
    staff = require_staff(_request(), Capability.REVIEW_ORDERS)
    body = validate(json_body(_request()), schemas.PROPOSAL)
    clients.referenced_client(clients.Viewer(staff.user_id, staff.role, staff.name), body["client_id"])
    fields = {**body, "lines": proposals.unit_prices(body["lines"]), "valid_until": proposals.parse_valid_until(body.get("valid_until"))}
    return json_response(proposal_json(proposals.create(staff.email, fields), staff=True), status=201)


@admin_orders_api.route("/admin/proposals", methods=["GET"], authorizer=token_authorizer)
def client_proposals():
    staff = require_staff(_request(), Capability.VIEW_ORDERS)
    limit, cursor = page_params(_request())
    client_id = (_request().query_params or {}).get("client_id")
    if not client_id:
        raise ValidationFailed("client_id is required.", code="missing_field", field="client_id")
    clients.client_in_scope(clients.Viewer(staff.user_id, staff.role, staff.name), client_id)
    found, after = proposal_store.for_client(client_id, limit=limit, after=decode_cursor(cursor))
    return json_response(page([proposal_json(p, staff=True) for p in found], encode_cursor(after)))


@admin_orders_api.route("/admin/proposals/{proposal_id}", methods=["GET"], authorizer=token_authorizer)
def proposal_detail(proposal_id):
    staff = require_staff(_request(), Capability.VIEW_ORDERS)
    return json_response(proposal_json(_proposal_in_scope(staff, proposal_id), staff=True))


@admin_orders_api.route("/admin/proposals/{proposal_id}/send", methods=["POST"], authorizer=token_authorizer)
def send_proposal(proposal_id):
    staff = require_staff(_request(), Capability.REVIEW_ORDERS)
    _proposal_in_scope(staff, proposal_id)
    return json_response(proposal_json(proposals.send(proposal_id), staff=True))


@admin_orders_api.route("/admin/proposals/{proposal_id}/revise", methods=["POST"], authorizer=token_authorizer)
def revise_proposal(proposal_id):
    staff = require_staff(_request(), Capability.REVIEW_ORDERS)
    _proposal_in_scope(staff, proposal_id)
    body = validate(json_body(_request()), schemas.REVISE_PROPOSAL)
    fields = {**body, "lines": proposals.unit_prices(body["lines"]), "valid_until": proposals.parse_valid_until(body.get("valid_until"))}
    return json_response(proposal_json(proposals.revise(proposal_id, staff.email, fields), staff=True), status=201)
