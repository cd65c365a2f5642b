"""/portal/recurring-orders: a buyer's standing orders (lines on a schedule), pause / resume / skip the next run."""
from __future__ import annotations

from chalicelib.api import schemas
from chalicelib.api.http import (
    ApiBlueprint, decode_cursor, encode_cursor, json_body, json_response, page, page_params, validate,
)
from chalicelib.api.security import require_portal, token_authorizer
from chalicelib.services import recurring
from chalicelib.services.ordering import Buyer
from chalicelib.services.proposals import parse_valid_until
from chalicelib.store import recurring as recurring_store

recurring_api = ApiBlueprint(__name__)


def _buyer() -> Buyer:
    principal = require_portal(recurring_api.current_request, "place_orders")
    return Buyer(principal.user_id, principal.email, principal.client_id)


def _start_date(raw: str):
    try:
        return parse_valid_until(raw)
    except Exception as exc:  # noqa: BLE001 - re-raised with this field's name
        from chalicelib.domain.errors import ValidationFailed  # noqa: PLC0415

        raise ValidationFailed("start_date must be a date like 2026-12-31.", code="invalid_date", field="start_date") from exc


@recurring_api.route("/portal/recurring-orders", methods=["POST"], authorizer=token_authorizer)
def create_recurring():
    buyer = _buyer()
    body = validate(json_body(recurring_api.current_request), schemas.RECURRING_ORDER)
    body["start_date"] = _start_date(body["start_date"])
    return json_response(recurring.view(recurring.create(buyer, body)), status=201)


@recurring_api.route("/portal/recurring-orders", methods=["GET"], authorizer=token_authorizer)
def list_recurring():
    buyer = _buyer()
    limit, cursor = page_params(recurring_api.current_request)
    items, after = recurring_store.for_client(buyer.client_id, limit=limit, after=decode_cursor(cursor))
    return json_response(page([recurring.view(i) for i in items], encode_cursor(after)))


@recurring_api.route("/portal/recurring-orders/{recurring_id}", methods=["PATCH"], authorizer=token_authorizer)
def change_recurring(recurring_id):
    buyer = _buyer()
    body = validate(json_body(recurring_api.current_request), schemas.RECURRING_CHANGE)
    return json_response(recurring.view(recurring.change(buyer, recurring_id, body)))


@recurring_api.route("/portal/recurring-orders/{recurring_id}/skip-next", methods=["POST"], authorizer=token_authorizer)
def skip_next_run(recurring_id):
    return json_response(recurring.view(recurring.skip_next(_buyer(), recurring_id)))
