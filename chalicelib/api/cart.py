"""/portal/cart (the buyer's stored cart, quick order import, checkout, reorder into the cart) and
/admin/intake (a client's order spreadsheet uploaded by staff)."""
from __future__ import annotations

import base64
import binascii
from typing import Any

from chalicelib.api import schemas
from chalicelib.api.http import ApiBlueprint, json_body, json_response, validate
from chalicelib.api.security import require_portal, require_staff, token_authorizer
from chalicelib.api.views import cart_json, order_json
from chalicelib.domain.access import Capability
from chalicelib.domain.errors import UnsupportedMediaType, ValidationFailed
from chalicelib.services.order_files import XLSX
from chalicelib.services import cart, clients, intake
from chalicelib.services.cart import Shopper

cart_api = ApiBlueprint(__name__)

# CSV and pasted lines arrive as text, workbooks as bytes (XLSX is one of app.api.binary_types, so API Gateway hands
# it over base64 and Chalice decodes it). `chalice package` refuses a route whose declared types mix binary and
# text, so the route declares any type and the view checks the three it takes (docs/decisions.md).
IMPORT_TYPES = ("text/csv", "text/plain", XLSX)
MAX_IMPORT_BYTES = 2_000_000


def _shopper() -> Shopper:
    p = require_portal(cart_api.current_request, "place_orders")
    return Shopper(p.user_id, p.email, p.client_id or "", bool(p.permissions.get("view_stock")))


def _idempotency_key() -> str | None:
    key = (cart_api.current_request.headers.get("idempotency-key") or "").strip() or None
    if key and len(key) > 200:
        raise ValidationFailed("Idempotency-Key is at most 200 characters.", code="invalid_value", field="Idempotency-Key")
    return key


@cart_api.route("/portal/cart", methods=["GET"], authorizer=token_authorizer)
def my_cart():
    return json_response(cart_json(cart.view(_shopper())))


@cart_api.route("/portal/cart/lines/{sku}", methods=["PUT"], authorizer=token_authorizer)
def put_line(sku):
    shopper = _shopper()
    body = validate(json_body(cart_api.current_request), schemas.CART_LINE)
    return json_response(cart_json(cart.set_line(shopper, sku, body["qty"])))


@cart_api.route("/portal/cart/lines/{sku}", methods=["DELETE"], authorizer=token_authorizer)
def delete_line(sku):
    return json_response(cart_json(cart.remove_line(_shopper(), sku)))


@cart_api.route("/portal/cart/import", methods=["POST"], authorizer=token_authorizer, content_types=["*/*"])
def import_lines():
    shopper = _shopper()
    request = cart_api.current_request
    media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type not in IMPORT_TYPES:
        raise UnsupportedMediaType("Send the lines as CSV (text/csv or text/plain, SKU,qty per line) or an .xlsx "
                                   f"workbook ({XLSX}).")
    content = request.raw_body or b""
    if not content.strip():
        raise ValidationFailed("Send the lines as CSV text (SKU,qty per line) or an .xlsx workbook.", code="missing_field")
    if len(content) > MAX_IMPORT_BYTES:
        raise ValidationFailed("The file is larger than 2 MB.", code="file_too_large")
    result = cart.import_file(shopper, content, content_type=request.headers.get("content-type"))
    return json_response({"added": result.added, "errors": [e.as_dict() for e in result.errors],
                          "cart": cart_json(result.view)})


@cart_api.route("/portal/cart/checkout", methods=["POST"], authorizer=token_authorizer)
def checkout():
    shopper = _shopper()
    body = validate(json_body(cart_api.current_request), schemas.CART_CHECKOUT)
    expected = body.pop("cart_version", None)
    if_match = (cart_api.current_request.headers.get("if-match") or "").strip().strip('"')
    if expected is None and if_match:
        if not if_match.isascii() or not if_match.isdigit():
            raise ValidationFailed("If-Match is the cart's version, a whole number.", code="invalid_value", field="If-Match")
        expected = int(if_match)
    done = cart.checkout(shopper, body, _idempotency_key(), expected)
    return json_response(order_json(done.order), status=201 if done.created else 200)


@cart_api.route("/portal/orders/{order_id}/reorder-to-cart", methods=["POST"], authorizer=token_authorizer)
def reorder_to_cart(order_id):
    result = cart.reorder_to_cart(_shopper(), order_id)
    return json_response({**cart_json(result.view), "price_changes": result.price_changes, "skipped": result.skipped})


@cart_api.route("/portal/cart/request-quote", methods=["POST"], authorizer=token_authorizer)
def request_quote():
    shopper = _shopper()
    body = validate(json_body(cart_api.current_request), schemas.QUOTE_REQUEST)
    proposal = cart.request_quote(shopper, body.get("message"))
    return json_response({"proposal_id": proposal.id, "number": proposal.number, "status": proposal.status}, status=201)


# --- saved lists ----------------------------------------------------------------------------------

def _list_json(saved: Any) -> dict[str, Any]:
    return {"id": saved.list_id, "name": saved.name, "lines": [{"sku": m.sku, "qty": m.qty} for m in saved.lines],
            "updated_at": saved.updated_at}


@cart_api.route("/portal/saved-lists", methods=["GET"], authorizer=token_authorizer)
def saved_lists():
    from chalicelib.store import saved_lists as list_store  # noqa: PLC0415

    return json_response({"items": [_list_json(s) for s in list_store.for_contact(_shopper().contact_id)], "next_cursor": None})


@cart_api.route("/portal/saved-lists", methods=["POST"], authorizer=token_authorizer)
def create_saved_list():
    shopper = _shopper()
    body = validate(json_body(cart_api.current_request), schemas.SAVED_LIST)
    saved = cart.save_cart_as_list(shopper, body["name"]) if body.get("from_cart") else cart.create_list(shopper, body["name"])
    return json_response(_list_json(saved), status=201)


@cart_api.route("/portal/saved-lists/{list_id}/lines/{sku}", methods=["PUT"], authorizer=token_authorizer)
def put_saved_line(list_id, sku):
    shopper = _shopper()
    body = validate(json_body(cart_api.current_request), schemas.CART_LINE)
    return json_response(_list_json(cart.add_to_list(shopper, list_id, sku, body["qty"])))


@cart_api.route("/portal/saved-lists/{list_id}/add-to-cart", methods=["POST"], authorizer=token_authorizer)
def saved_list_to_cart(list_id):
    view, skipped = cart.list_to_cart(_shopper(), list_id)
    return json_response({**cart_json(view), "skipped": skipped})


# --- staff intake ---------------------------------------------------------------------------------

@cart_api.route("/admin/intake", methods=["POST"], authorizer=token_authorizer)
def upload_order_file():
    staff = require_staff(cart_api.current_request, Capability.REVIEW_ORDERS)
    body = validate(json_body(cart_api.current_request), schemas.INTAKE)
    try:
        content = base64.b64decode(body["content_base64"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed("content_base64 is not base64.", code="invalid_value", field="content_base64") from exc
    result = intake.upload(clients.Viewer(staff.user_id, staff.role, staff.name), staff.email, body, content)
    return json_response({**order_json(result.order, staff=True), "errors": [e.as_dict() for e in result.errors]},
                         status=201 if result.created else 200)
