"""Placing Sales Orders from the portal: validation at the source, server-side prices, numbering, idempotency."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from chalicelib.config import settings as app_settings
from chalicelib.domain.errors import Conflict, NotFound, Unavailable, ValidationFailed
from chalicelib.domain.orders import OrderLine, OrderStatus, Orderable, Review, check_quantity, order_totals
from chalicelib.services import approvals
from chalicelib.services.pricing import chain_for, prices_for
from chalicelib.services import tax as vat
from chalicelib.store import orders as order_store
from chalicelib.store import settings as settings_store
from chalicelib.store.clients import get_client
from chalicelib.store.models import ClientItem, DeliveryAddressMap, LineMap, OrderItem, sku_key
from chalicelib.store.products import find_products

MAX_LINES = 500


@dataclass(frozen=True)
class Buyer:
    contact_id: str
    email: str
    client_id: str


def line_map(line: OrderLine) -> LineMap:
    return LineMap(sku=line.sku, name=line.name, unit=line.unit, qty=line.qty, unit_price=line.unit_price,
                   vat_rate=line.vat_rate, line_total=line.line_total, price_source=line.price_source,
                   price_list_id=line.price_list_id, vat_category=line.vat_category,
                   vat_exemption_reason=line.vat_exemption_reason)


def as_line(m: LineMap) -> OrderLine:
    return OrderLine(m.sku, m.name, m.qty, m.unit_price, m.vat_rate, m.unit, m.price_source, m.price_list_id,
                     m.vat_category or ("S" if m.vat_rate else "Z"), m.vat_exemption_reason)


def price_lines(client: ClientItem, wanted: list[dict[str, Any]], field_prefix: str = "lines") -> list[OrderLine]:
    """Order lines at the client's prices today. Unknown, hidden or unpriced products and bad quantities are 422s."""
    if not wanted:
        raise ValidationFailed("An order needs at least one line.", code="missing_field", field=field_prefix)
    if len(wanted) > MAX_LINES:
        raise ValidationFailed(f"At most {MAX_LINES} lines per order.", code="too_many_lines", field=field_prefix)
    seen: dict[str, int] = {}
    for i, line in enumerate(wanted):
        qty = line.get("qty")
        if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= 1_000_000:
            raise ValidationFailed("Quantity must be a whole number of at least 1.", code="invalid_quantity",
                                   field=f"{field_prefix}[{i}].qty")
        key = sku_key(line["sku"])
        if key in seen:
            raise ValidationFailed(f"{line['sku']} is on line {seen[key] + 1} already.", code="duplicate_sku",
                                   field=f"{field_prefix}[{i}].sku")
        seen[key] = i
    products = find_products(seen)
    for key, i in seen.items():
        product = products.get(key)
        if product is None:
            raise ValidationFailed(f"No product {wanted[i]['sku']}.", code="unknown_product", field=f"{field_prefix}[{i}].sku")
        if not product.portal_visible:
            raise ValidationFailed(f"{product.sku} cannot be ordered from the portal.", code="product_not_orderable",
                                   field=f"{field_prefix}[{i}].sku")
    prices = prices_for(chain_for(client), products.values(), {key: wanted[i]["qty"] for key, i in seen.items()})
    lines = []
    for key, i in seen.items():
        product, price = products[key], prices.get(key)
        if price is None:
            raise ValidationFailed(f"{product.sku} has no price for you.", code="product_not_orderable", field=f"{field_prefix}[{i}].sku")
        check_quantity(Orderable(product.sku, product.min_qty, product.max_qty, product.qty_step), wanted[i]["qty"], f"{field_prefix}[{i}].qty")
        lines.append(vat.for_product(client, product, OrderLine(
            product.sku, product.name, wanted[i]["qty"], price.price, product.vat_rate, product.unit,
            price.source.value, price.price_list_id)))
    return lines


def _delivery_address(client: ClientItem, body: dict[str, Any]) -> DeliveryAddressMap:
    if body.get("delivery_address_id"):
        found = next((a for a in client.addresses if a.id == body["delivery_address_id"]), None)
        if found is None:
            raise ValidationFailed("That address is not one of yours.", code="unknown_address", field="delivery_address_id")
        return DeliveryAddressMap(**found.as_dict())
    if body.get("delivery_address"):
        given = {k: v.strip() for k, v in body["delivery_address"].items()}
        return DeliveryAddressMap(**{"label": "Delivery address", **given})
    if client.addresses:
        return DeliveryAddressMap(**client.addresses[0].as_dict())
    raise ValidationFailed("Where should we deliver? Give delivery_address.", code="missing_field", field="delivery_address")


def place(buyer: Buyer, body: dict[str, Any], *, reorder_of: str | None = None, order_id: str | None = None,
          origin: str = "portal", initial_status: str | None = None) -> OrderItem:
    """A new Sales Order from the portal, priced on the server, numbered from the gapless series.

    `order_id` (from the Idempotency-Key) makes a repeated placement find the stored order instead of adding one.
    `origin` says where it came from (portal, upload, email...); intake orders always start as drafts.
    """
    client = get_client(buyer.client_id)
    lines = price_lines(client, body["lines"])
    totals = order_totals(lines)
    settings = settings_store.load()
    at = order_store.now()
    order = OrderItem(
        id=order_id or f"so_{secrets.token_hex(8)}", number="", client_id=client.id, client_name=client.name,
        contact_id=buyer.contact_id, contact_email=buyer.email, sale_agent_id=client.sale_agent_id,
        status=OrderStatus(initial_status or settings.portal_order_initial_status).value, review=Review.PENDING.value,
        lines=[line_map(line) for line in lines], subtotal=totals.subtotal, vat_total=totals.vat_total,
        total=totals.total, currency=client.currency, delivery_address=_delivery_address(client, body),
        client_reference=(body.get("client_reference") or "").strip() or None,
        notes=(body.get("notes") or "").strip() or None, reorder_of=reorder_of, origin=origin, created_at=at, updated_at=at,
    )
    approvals.hold_if_above_limit(order)  # above the contact's spending limit: the company's approver first
    return order_store.create_numbered(order, series=f"SO-{at.year}", actor=buyer.email)


@dataclass(frozen=True)
class Reorder:
    order: OrderItem
    skipped: list[dict[str, str]]


def reorder(buyer: Buyer, order_id: str, *, new_order_id: str | None = None) -> Reorder:
    """A new order with the same lines at today's prices; lines that can no longer be ordered are reported."""
    previous = order_store.get_for_client(order_id, buyer.client_id)
    client = get_client(buyer.client_id)
    keep, skipped = [], []
    for line in previous.lines:
        try:
            price_lines(client, [{"sku": line.sku, "qty": line.qty}])
            keep.append({"sku": line.sku, "qty": line.qty})
        except ValidationFailed as exc:
            skipped.append({"sku": line.sku, "reason": exc.code, "message": exc.message})
    if not keep:
        raise ValidationFailed("None of that order's products can be ordered now.", code="nothing_to_reorder", field="lines")
    body = {"lines": keep, "client_reference": previous.client_reference,
            "delivery_address": {k: v for k, v in previous.delivery_address.as_dict().items() if k != "id"}}
    return Reorder(place(buyer, body, reorder_of=previous.id, order_id=new_order_id), skipped)


# --- Idempotency-Key: Powertools idempotency on DynamoDB --------------------------------------

@lru_cache(maxsize=1)
def idempotency_store() -> Any:
    """Powertools' persistence layer on the idempotency table (its own DynamoDB client)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer  # noqa: PLC0415 - first order only

    return DynamoDBPersistenceLayer(table_name=app_settings().idempotency_table_name)


@lru_cache(maxsize=1)
def _idempotent_placement() -> tuple[Callable[..., dict[str, Any]], Any]:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function  # noqa: PLC0415

    persistence = idempotency_store()
    config = IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="body",
                               expires_after_seconds=24 * 3600, raise_on_no_idempotency_key=True)

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=config)
    def placed_once(request: dict[str, Any]) -> dict[str, Any]:
        buyer, order_id = Buyer(**request["buyer"]), keyed_order_id(request["key"])
        try:
            if request["body"].get("reorder_of"):
                result = reorder(buyer, request["body"]["reorder_of"], new_order_id=order_id)
                return {"order_id": result.order.id, "skipped": result.skipped}
            return {"order_id": place(buyer, request["body"], order_id=order_id).id, "skipped": []}
        except Conflict as exc:
            # An earlier attempt with this key stored the order, but its answer was lost (a timeout)
            # and its key released: this attempt's write found the order there. Answer with it.
            if exc.code != "document_exists":
                raise
            return {"order_id": order_id, "skipped": []}

    return placed_once, config


def keyed_order_id(scoped_key: str) -> str:
    """The id of the order an Idempotency-Key places: every attempt with the key writes the same order id,
    conditional on its absence, so no outcome of an earlier attempt (lost answer, timeout) makes a second order."""
    return f"so_{hashlib.sha256(scoped_key.encode()).hexdigest()[:16]}"


def _stored(order_id: str) -> OrderItem | None:
    try:
        return order_store.get(order_id)
    except NotFound:
        return None


def place_idempotent(buyer: Buyer, body: dict[str, Any], key: str | None, lambda_context: Any = None) -> OrderItem:
    """Place an order once per Idempotency-Key: the same key with the same body gives the same order.

    With the Lambda context, an attempt cut short by the Lambda timeout frees its key when the time runs out.
    """
    if not key:
        return place(buyer, body)
    return _once(buyer, body, key, lambda_context).order


def reorder_idempotent(buyer: Buyer, order_id: str, key: str | None, lambda_context: Any = None) -> Reorder:
    """Reorder once per Idempotency-Key (a double click on "order these again" places one order)."""
    if not key:
        return reorder(buyer, order_id)
    return _once(buyer, {"reorder_of": order_id}, key, lambda_context)


def _once(buyer: Buyer, body: dict[str, Any], key: str, lambda_context: Any) -> Reorder:
    from aws_lambda_powertools.utilities.idempotency.exceptions import (  # noqa: PLC0415
        IdempotencyAlreadyInProgressError, IdempotencyPersistenceLayerError, IdempotencyValidationError,
    )

    request = {"key": f"{buyer.contact_id}:{key}", "buyer": buyer.__dict__, "body": body}
    placed_once, config = _idempotent_placement()
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)
    try:
        result = placed_once(request=request)
    except IdempotencyValidationError as exc:
        raise Conflict("This Idempotency-Key was used for a different order.", code="idempotency_key_reused") from exc
    except (IdempotencyAlreadyInProgressError, IdempotencyPersistenceLayerError) as exc:
        # The key is taken and not (yet) marked done: still running, or an attempt placed the order and then
        # failed to record its answer. The order is the truth; without it, the key stays in progress.
        stored = _stored(keyed_order_id(request["key"]))
        if stored is not None:
            return Reorder(stored, [])
        if isinstance(exc, IdempotencyAlreadyInProgressError):
            raise Conflict("An order with this Idempotency-Key is being placed right now.", code="request_in_progress") from exc
        raise Unavailable("The order could not be placed just now; repeat the request with the same Idempotency-Key.",
                          code="unavailable") from exc
    return Reorder(order_store.get(result["order_id"]), result["skipped"])
