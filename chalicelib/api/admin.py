"""/admin/*: the supplier's staff set up products, clients, contacts, staff and price lists."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.api import schemas
from chalicelib.api.http import ApiBlueprint, json_body, json_response, page, validate
from chalicelib.api.security import require_staff, token_authorizer
from chalicelib.api.views import client_json, contact_json, price_list_json, product_json
from chalicelib.domain.access import Capability
from chalicelib.domain.money import display_amount
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services import audit, clients, price_lists, setup
from chalicelib.store import clients as client_store
from chalicelib.store import price_lists as price_list_store
from chalicelib.store import products as product_store
from chalicelib.store import users as user_store

admin_api = ApiBlueprint(__name__)


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return validate(json_body(admin_api.current_request), schema)


def _staff(capability: Capability):
    return require_staff(admin_api.current_request, capability)


# --- staff -------------------------------------------------------------------------

@admin_api.route("/admin/staff", methods=["POST"], authorizer=token_authorizer)
def create_staff():
    admin = _staff(Capability.MANAGE_STAFF)
    staff = setup.create_staff(_body(schemas.STAFF), inviter=admin.name)
    audit.record(admin, "staff.created", "staff", staff.id, None, {"email": staff.email, "role": staff.role})
    return json_response({"id": staff.id, "email": staff.email, "role": staff.role}, status=201)


# --- products and stock ----------------------------------------------------------------

@admin_api.route("/admin/products", methods=["POST"], authorizer=token_authorizer)
def create_product():
    _staff(Capability.MANAGE_CATALOGUE)
    body = _body(schemas.PRODUCT)
    vat_rate = Decimal(str(body["vat_rate"]))
    if vat_rate > 100:
        raise ValidationFailed("vat_rate is a percentage from 0 to 100.", code="invalid_value", field="vat_rate")
    product = setup.create_product({**body, "base_price": Decimal(body["base_price"]), "vat_rate": vat_rate})
    return json_response(product_json(product), status=201)


@admin_api.route("/admin/products/{sku}", methods=["GET"], authorizer=token_authorizer)
def get_product(sku):
    _staff(Capability.VIEW_CATALOGUE)
    return json_response(product_json(product_store.get_product(sku)))


@admin_api.route("/admin/products/{sku}/stock", methods=["PUT"], authorizer=token_authorizer)
def set_stock(sku):
    _staff(Capability.MANAGE_STOCK)
    body = _body(schemas.STOCK)
    return json_response(product_json(setup.set_stock(sku, body["qty_on_hand"])))


# --- client groups, clients, contacts ---------------------------------------------------

@admin_api.route("/admin/client-groups", methods=["POST"], authorizer=token_authorizer)
def create_group():
    _staff(Capability.MANAGE_CLIENTS)
    group = setup.create_group(_body(schemas.GROUP)["name"])
    return json_response({"id": group.id, "name": group.name}, status=201)


@admin_api.route("/admin/clients", methods=["POST"], authorizer=token_authorizer)
def create_client():
    staff = _staff(Capability.MANAGE_CLIENTS)
    body = _body(schemas.CLIENT)
    client = setup.create_client({**body, "credit_limit": Decimal(body["credit_limit"])})
    audit.record(staff, "client.created", "client", client.id, None, clients.snapshot(client))
    return json_response(client_json(client), status=201)


@admin_api.route("/admin/clients/{client_id}", methods=["GET"], authorizer=token_authorizer)
def get_client(client_id):
    _staff(Capability.VIEW_CLIENTS)
    client = client_store.get_client(client_id)
    return json_response(client_json(client, user_store.contacts_of(client_id)))


@admin_api.route("/admin/clients/{client_id}/contacts", methods=["POST"], authorizer=token_authorizer)
def create_contact(client_id):
    staff = _staff(Capability.MANAGE_CLIENTS)
    contact = setup.create_contact(client_id, _body(schemas.CONTACT), inviter=staff.name)
    audit.record(staff, "contact.created", "contact", contact.id, None, clients.contact_snapshot(contact))
    return json_response(contact_json(contact), status=201)


@admin_api.route("/admin/contacts/{contact_id}/permissions", methods=["PUT"], authorizer=token_authorizer)
def set_permissions(contact_id):
    staff = _staff(Capability.MANAGE_CLIENTS)
    body = validate(json_body(admin_api.current_request), schemas.PERMISSIONS)
    if not body:
        raise ValidationFailed("Name at least one permission.", code="missing_field", field="place_orders")
    return json_response(contact_json(clients.update_contact(clients.Viewer(staff.user_id, staff.role, staff.name),
                                                             contact_id, {"permissions": body})))


# --- price lists -------------------------------------------------------------------------

def _prices(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"sku": i["sku"], "price": Decimal(i["price"])} for i in items]


@admin_api.route("/admin/price-lists", methods=["POST"], authorizer=token_authorizer)
def create_price_list():
    _staff(Capability.MANAGE_PRICING)
    body = _body(schemas.PRICE_LIST)
    price_list = price_lists.create({**body, "items": _prices(body.get("items", []))})
    return json_response({**price_list_json(price_list)}, status=201)


@admin_api.route("/admin/price-lists", methods=["GET"], authorizer=token_authorizer)
def list_price_lists():
    _staff(Capability.VIEW_PRICING)
    params = admin_api.current_request.query_params or {}
    if params.get("client_id"):
        found = price_list_store.lists_owned_by(client_id=params["client_id"])
    elif params.get("group_id"):
        found = price_list_store.lists_owned_by(group_id=params["group_id"])
    elif params.get("is_default") is not None:
        flag = params["is_default"].lower()
        if flag not in ("true", "false"):
            raise ValidationFailed("is_default is true or false.", code="invalid_value", field="is_default")
        found = [pl for pl in price_list_store.global_lists() if pl.is_default == (flag == "true")]
    else:
        found = price_list_store.all_lists()
    return json_response(page([price_list_json(pl) for pl in found], None))


@admin_api.route("/admin/price-lists/{price_list_id}", methods=["GET"], authorizer=token_authorizer)
def get_price_list(price_list_id):
    _staff(Capability.VIEW_PRICING)
    price_list = price_list_store.get_price_list(price_list_id)
    items = [{"sku": i.sku, "price": display_amount(i.price),
              "tiers": [{"min_qty": t.min_qty, "price": display_amount(t.price)} for t in price_list_store.list_price(i).tiers]}
             for i in price_list_store.price_list_prices(price_list_id)]
    return json_response({**price_list_json(price_list), "items": items})


# PUT /admin/price-lists/{id}/items/{sku} (with volume tiers) lives in api/admin_catalogue.py.


@admin_api.route("/admin/price-lists/{price_list_id}/clone", methods=["POST"], authorizer=token_authorizer)
def clone_price_list(price_list_id):
    _staff(Capability.MANAGE_PRICING)
    price_list = price_lists.clone(price_list_id, _body(schemas.CLONE))
    return json_response(price_list_json(price_list), status=201)
