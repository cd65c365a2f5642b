"""/admin/* for the back office's catalogue and prices: list and edit products, stock adjustments, product
and price-list CSV import and export, price-list headers, items with volume tiers, and "why this price"."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalice import Response

from chalicelib.api import schemas
from chalicelib.api.http import (
    ApiBlueprint, decode_cursor, encode_cursor, json_body, json_response, page, page_params, validate,
)
from chalicelib.api.security import require_staff, token_authorizer
from chalicelib.api.views import price_list_json, product_json
from chalicelib.domain.access import Capability
from chalicelib.domain.errors import BadRequest, ValidationFailed
from chalicelib.domain.money import display_amount
from chalicelib.services import price_lists, pricing, products_admin
from chalicelib.store import price_lists as price_list_store
from chalicelib.store.stock_movements import StockMovementItem

admin_catalogue_api = ApiBlueprint(__name__)
CSV = ["text/csv"]
MAX_CSV_BYTES = 5_000_000  # 10,000 product rows are about 1 MB


def _staff(capability: Capability):
    return require_staff(admin_catalogue_api.current_request, capability)


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return validate(json_body(admin_catalogue_api.current_request), schema)


def _params() -> dict[str, str]:
    return dict(admin_catalogue_api.current_request.query_params or {})


def _dry_run() -> bool:
    raw = _params().get("dry_run", "false").lower()
    if raw not in ("true", "false"):
        raise ValidationFailed("dry_run is true or false.", code="invalid_value", field="dry_run")
    return raw == "true"


def _csv_text() -> str:
    raw = admin_catalogue_api.current_request.raw_body or b""
    if len(raw) > MAX_CSV_BYTES:
        raise BadRequest(f"The file is larger than {MAX_CSV_BYTES // 1_000_000} MB; split it.", code="payload_too_large")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("The file is not UTF-8 text; save it as CSV UTF-8.", code="invalid_csv") from exc


def _csv_response(text: str, filename: str) -> Response:
    return Response(body=text, status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{filename}"'})


def movement_json(m: StockMovementItem) -> dict[str, Any]:
    return {"at": m.at, "delta": m.delta, "reason": m.reason, "note": m.note,
            "actor": {"id": m.actor_id, "name": m.actor_name}}


# --- products ---------------------------------------------------------------------------

@admin_catalogue_api.route("/admin/products", methods=["GET"], authorizer=token_authorizer)
def list_products():
    _staff(Capability.VIEW_CATALOGUE)
    limit, cursor = page_params(admin_catalogue_api.current_request)
    params = _params()
    found = products_admin.list_products(query=(params.get("q") or "")[:100] or None,
                                         category=(params.get("category") or "")[:100] or None,
                                         limit=limit, after_sku=decode_cursor(cursor))
    return json_response(page([product_json(p) for p in found.products], encode_cursor(found.after_sku)))


@admin_catalogue_api.route("/admin/products/{sku}", methods=["PATCH"], authorizer=token_authorizer)
def patch_product(sku):
    staff = _staff(Capability.MANAGE_CATALOGUE)
    return json_response(product_json(products_admin.patch(staff, sku, _body(schemas.PRODUCT_PATCH))))


@admin_catalogue_api.route("/admin/products/{sku}/stock-adjustments", methods=["POST"], authorizer=token_authorizer)
def adjust_stock(sku):
    staff = _staff(Capability.MANAGE_STOCK)
    body = _body(schemas.STOCK_ADJUSTMENT)
    product = products_admin.adjust_stock(staff, sku, body["delta"], body["reason"], body.get("note"))
    return json_response(product_json(product), status=201)


@admin_catalogue_api.route("/admin/products/{sku}/stock-movements", methods=["GET"], authorizer=token_authorizer)
def stock_movements(sku):
    _staff(Capability.VIEW_CATALOGUE)
    return json_response(page([movement_json(m) for m in products_admin.movements(sku)], None))


@admin_catalogue_api.route("/admin/products/import", methods=["POST"], content_types=CSV, authorizer=token_authorizer)
def import_products():
    staff = _staff(Capability.MANAGE_CATALOGUE)
    dry_run = _dry_run()
    return json_response(products_admin.import_csv(staff, _csv_text(), dry_run=dry_run).as_json())


@admin_catalogue_api.route("/admin/exports/products", methods=["GET"], authorizer=token_authorizer)
def export_products():
    _staff(Capability.VIEW_CATALOGUE)
    return _csv_response(products_admin.export_csv(), "products.csv")


# --- price lists --------------------------------------------------------------------------

@admin_catalogue_api.route("/admin/price-lists/{price_list_id}", methods=["PATCH"], authorizer=token_authorizer)
def patch_price_list(price_list_id):
    staff = _staff(Capability.MANAGE_PRICING)
    return json_response(price_list_json(price_lists.update(price_list_id, _body(schemas.PRICE_LIST_PATCH), actor=staff)))


@admin_catalogue_api.route("/admin/price-lists/{price_list_id}", methods=["DELETE"], authorizer=token_authorizer)
def delete_price_list(price_list_id):
    staff = _staff(Capability.MANAGE_PRICING)
    price_lists.delete(price_list_id, actor=staff)
    return Response(body="", status_code=204)


def price_item_json(price_list_id: str, item: Any) -> dict[str, Any]:
    tiers = price_list_store.list_price(item).tiers
    return {"price_list_id": price_list_id, "sku": item.sku, "price": display_amount(item.price),
            "tiers": [{"min_qty": t.min_qty, "price": display_amount(t.price)} for t in tiers]}


@admin_catalogue_api.route("/admin/price-lists/{price_list_id}/items/{sku}", methods=["PUT"], authorizer=token_authorizer)
def set_price(price_list_id, sku):
    staff = _staff(Capability.MANAGE_PRICING)
    body = _body(schemas.PRICE_WITH_TIERS)
    item = price_lists.set_price(price_list_id, sku, Decimal(body["price"]), body.get("tiers"), actor=staff)
    return json_response(price_item_json(price_list_id, item))


@admin_catalogue_api.route("/admin/price-lists/{price_list_id}/items/{sku}", methods=["DELETE"], authorizer=token_authorizer)
def delete_price(price_list_id, sku):
    staff = _staff(Capability.MANAGE_PRICING)
    price_lists.delete_price(price_list_id, sku, actor=staff)
    return Response(body="", status_code=204)


@admin_catalogue_api.route("/admin/price-lists/{price_list_id}/import", methods=["POST"], content_types=CSV,
                           authorizer=token_authorizer)
def import_price_items(price_list_id):
    staff = _staff(Capability.MANAGE_PRICING)
    dry_run = _dry_run()
    return json_response(price_lists.import_items(price_list_id, _csv_text(), dry_run=dry_run, actor=staff).as_json())


@admin_catalogue_api.route("/admin/price-lists/{price_list_id}/export", methods=["GET"], authorizer=token_authorizer)
def export_price_items(price_list_id):
    _staff(Capability.VIEW_PRICING)
    return _csv_response(price_lists.export_items(price_list_id), f"price-list-{price_list_id}.csv")


# --- why this price -----------------------------------------------------------------------

def explanation_json(product: Any, explanation: Any, currency: str) -> dict[str, Any]:
    resolved = explanation.price
    return {
        "sku": product.sku, "price": display_amount(resolved.price) if resolved else None,
        "currency": resolved.currency if resolved else currency,
        "price_source": resolved.source.value if resolved else None,
        "price_list_id": resolved.price_list_id if resolved else None,
        "tiers": [{"min_qty": t.min_qty, "price": display_amount(t.price)} for t in resolved.tiers] if resolved else [],
        "trace": [{"level": s.level.value, "price_list_id": s.price_list_id, "name": s.name,
                   "price": display_amount(s.price) if s.price is not None else None, "applies": s.applies,
                   "reason": s.reason} for s in explanation.trace],
    }


@admin_catalogue_api.route("/admin/clients/{client_id}/prices/{sku}", methods=["GET"], authorizer=token_authorizer)
def why_this_price(client_id, sku):
    _staff(Capability.VIEW_PRICING)
    raw_qty = _params().get("qty", "1")
    if not raw_qty.isascii() or not raw_qty.isdigit() or not 1 <= int(raw_qty) <= 1_000_000:
        raise ValidationFailed("qty must be a whole number from 1 to 1,000,000.", code="invalid_quantity", field="qty")
    product, explanation = pricing.explain(client_id, sku, int(raw_qty))
    return json_response(explanation_json(product, explanation, pricing.client_currency(client_id)))
