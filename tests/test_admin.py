"""/admin/*: products and stock, groups, clients, contacts, staff, price lists; roles; bad input."""
from __future__ import annotations

from decimal import Decimal

from moto.ses.models import ses_backends

from chalicelib.store.models import PriceItem, price_list_pk
from infra.local.provision import ACCOUNT_ID

PRODUCT = {"sku": "CAB-100", "name": "Patch cable 2m", "category": "Cables", "unit": "pcs", "base_price": "4.50",
           "currency": "EUR", "vat_rate": "19", "min_qty": 10, "max_qty": 1000, "portal_visible": True}


def sent_mail():
    return ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages


def test_product_is_created_and_read_back_with_stock(api, world):
    token = world.admin_token()
    created = api.post("/admin/products", PRODUCT, token)
    assert created.status == 201
    assert api.put("/admin/products/CAB-100/stock", {"qty_on_hand": 25}, token).status == 200
    product = api.get("/admin/products/cab-100", token).body
    assert product | {} == {**PRODUCT, "base_price": "4.50", "qty_on_hand": 25, "qty_reserved": 0, "qty_available": 25,
                            "qty_step": None, "min_stock": None, "description": None, "datasheet_url": None}


def test_duplicate_sku_is_a_conflict_and_leaves_the_first_product(api, world):
    token = world.admin_token()
    api.post("/admin/products", PRODUCT, token)
    again = api.post("/admin/products", {**PRODUCT, "sku": "cab-100", "name": "Other"}, token)
    assert again.status == 409 and again.error["code"] == "product_exists"
    assert api.get("/admin/products/CAB-100", token).body["name"] == "Patch cable 2m"


def test_bad_product_input_gets_a_422_naming_the_field(api, world):
    token = world.admin_token()
    cases = [
        ({"base_price": 4.5}, "base_price"), ({"base_price": "-1"}, "base_price"), ({"base_price": "abc"}, "base_price"),
        ({"currency": "euro"}, "currency"), ({"vat_rate": "150"}, "vat_rate"), ({"min_qty": 0}, "min_qty"),
        ({"min_qty": 20, "max_qty": 5}, "max_qty"), ({"sku": "bad sku"}, "sku"), ({"sku": "A/B"}, "sku"),
        ({"name": "   "}, "name"), ({"portal_visible": "yes"}, "portal_visible"), ({"colour": "red"}, "colour"),
    ]
    for change, field in cases:
        reply = api.post("/admin/products", {**PRODUCT, **change}, token)
        assert reply.status == 422, (change, reply.text)
        assert reply.error["field"] == field, (change, reply.error)
    missing = api.post("/admin/products", {k: v for k, v in PRODUCT.items() if k != "unit"}, token)
    assert missing.status == 422 and missing.error["code"] == "missing_field" and missing.error["field"] == "unit"
    assert api.get("/admin/products/CAB-100", token).status == 404


def test_malformed_json_and_wrong_media_type(api, world):
    token = world.admin_token()
    reply = api.post("/admin/products", raw='{"sku": ', token=token)
    assert reply.status == 400 and reply.error["code"] == "invalid_json"
    reply = api.post("/admin/products", raw="sku=1", token=token, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 415 and reply.error["code"] == "unsupported_media_type"


def test_stock_rules(api, world):
    token = world.admin_token()
    api.post("/admin/products", PRODUCT, token)
    assert api.put("/admin/products/CAB-100/stock", {"qty_on_hand": -1}, token).status == 422
    assert api.put("/admin/products/CAB-100/stock", {"qty_on_hand": 1.5}, token).status == 422
    missing = api.put("/admin/products/NOPE/stock", {"qty_on_hand": 3}, token)
    assert missing.status == 404 and missing.error["code"] == "product_not_found"
    _, warehouse = world.staff("warehouse")
    assert api.put("/admin/products/CAB-100/stock", {"qty_on_hand": 7}, warehouse).status == 200
    assert api.post("/admin/products", {**PRODUCT, "sku": "X-1"}, warehouse).status == 403


def test_roles_and_buyers_are_kept_out(api, world):
    _, agent = world.staff("agent")
    _, buyer = world.buyer(world.client())
    staff = {"email": "new@supplier.example", "name": "New", "role": "agent"}
    assert api.post("/admin/staff", staff, agent).error["code"] == "forbidden"
    assert api.post("/admin/staff", staff, buyer).status == 403
    assert api.get("/admin/products/X", buyer).status == 403
    assert api.post("/admin/staff", staff).status == 401


def test_staff_invitation_creates_a_login_and_emails_it(api, world):
    token = world.admin_token()
    before = len(sent_mail())
    created = api.post("/admin/staff", {"email": "Ana@Supplier.example", "name": "Ana", "role": "agent",
                                        "temporary_password": "Temp-Pass-1234"}, token)
    assert created.status == 201 and created.body["role"] == "agent"
    mail = sent_mail()[before:]
    assert len(mail) == 1 and mail[0].destinations["ToAddresses"] == ["ana@supplier.example"]
    assert "Temp-Pass-1234" in mail[0].body
    login = api.post("/auth/login", {"email": "ana@supplier.example", "password": "Temp-Pass-1234"})
    assert login.body["challenge"] == "NEW_PASSWORD_REQUIRED"
    dup = api.post("/admin/staff", {"email": "ana@supplier.example", "name": "Ana", "role": "agent"}, token)
    assert dup.status == 409 and dup.error["code"] == "email_taken"
    assert api.post("/admin/staff", {"email": "x@supplier.example", "name": "X", "role": "boss"}, token).status == 422


def test_client_with_group_agent_and_addresses(api, world):
    token = world.admin_token()
    agent_id, _ = world.staff("agent")
    group = api.post("/admin/client-groups", {"name": "Resellers"}, token).body["id"]
    created = api.post("/admin/clients", {
        "name": "Acme SRL", "vat_number": "RO123", "group_id": group, "payment_term_days": 60, "credit_limit": "25000.00",
        "currency": "EUR", "sale_agent_id": agent_id, "auto_approve": True,
        "addresses": [{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}],
    }, token)
    assert created.status == 201
    client = api.get(f"/admin/clients/{created.body['id']}", token).body
    assert client["balance"] == "0.00" and client["credit_limit"] == "25000.00" and client["group_id"] == group
    assert client["addresses"][0]["id"] and client["addresses"][0]["city"] == "Cluj" and client["contacts"] == []


def test_client_references_must_exist(api, world):
    token = world.admin_token()
    base = {"name": "X", "payment_term_days": 30, "credit_limit": "100", "currency": "EUR"}
    assert api.post("/admin/clients", {**base, "group_id": "grp_missing"}, token).error["code"] == "unknown_group"
    assert api.post("/admin/clients", {**base, "sale_agent_id": "nobody"}, token).error["code"] == "unknown_agent"
    assert api.post("/admin/clients", {**base, "payment_term_days": -1}, token).error["field"] == "payment_term_days"
    assert api.post("/admin/clients", {**base, "addresses": [{"label": "x"}]}, token).error["field"] == "addresses[0].line1"
    assert api.get("/admin/clients/cli_missing", token).status == 404


def test_contact_gets_a_portal_login_an_invitation_and_editable_permissions(api, world):
    token = world.admin_token()
    client = world.client("Acme SRL")
    before = len(sent_mail())
    created = api.post(f"/admin/clients/{client}/contacts", {
        "email": "maria@acme.example", "first_name": "Maria", "last_name": "Pop",
        "permissions": {"place_orders": True, "orders": True},
    }, token)
    assert created.status == 201
    contact_id = created.body["id"]
    mail = sent_mail()[before:]
    assert len(mail) == 1 and "Acme SRL" in mail[0].body and mail[0].destinations["ToAddresses"] == ["maria@acme.example"]
    assert api.get(f"/admin/clients/{client}", token).body["contacts"][0]["email"] == "maria@acme.example"

    updated = api.put(f"/admin/contacts/{contact_id}/permissions", {"view_stock": True}, token)
    assert updated.status == 200
    assert updated.body["permissions"] == {"place_orders": True, "view_stock": True, "orders": True, "invoices": False,
                                           "proposals": False, "deliveries": False, "download_documents": False,
                                           "manage_company": False, "approve_orders": False}
    assert api.put(f"/admin/contacts/{contact_id}/permissions", {"fly": True}, token).status == 422
    assert api.put("/admin/contacts/nobody/permissions", {"orders": True}, token).status == 404
    assert api.post("/admin/clients/cli_missing/contacts", {"email": "a@b.example", "first_name": "A", "last_name": "B",
                                                            "permissions": {}}, token).status == 404


def test_price_list_life_cycle(api, world):
    token = world.admin_token()
    world.product("A-1")
    world.product("B-2")
    client = world.client()
    created = api.post("/admin/price-lists", {"name": "Acme 2026", "currency": "EUR", "client_id": client,
                                              "items": [{"sku": "a-1", "price": "9.50"}]}, token)
    assert created.status == 201
    list_id = created.body["id"]
    assert api.put(f"/admin/price-lists/{list_id}/items/B-2", {"price": "7.25"}, token).status == 200
    shown = api.get(f"/admin/price-lists/{list_id}", token).body
    assert shown["client_id"] == client and {i["sku"]: i["price"] for i in shown["items"]} == {"A-1": "9.50", "B-2": "7.25"}
    listed = api.get(f"/admin/price-lists?client_id={client}", token).body
    assert [pl["id"] for pl in listed["items"]] == [list_id] and listed["next_cursor"] is None

    other = world.client()
    clone = api.post(f"/admin/price-lists/{list_id}/clone", {"name": "Copy for other", "client_id": other}, token)
    assert clone.status == 201
    cloned = api.get(f"/admin/price-lists/{clone.body['id']}", token).body
    assert cloned["client_id"] == other and len(cloned["items"]) == 2
    default = api.post("/admin/price-lists", {"name": "Default", "currency": "EUR", "is_default": True}, token).body["id"]
    assert [pl["id"] for pl in api.get("/admin/price-lists?is_default=true", token).body["items"]] == [default]
    assert len(api.get("/admin/price-lists", token).body["items"]) == 3


def test_second_list_for_the_same_client_is_refused_and_leaves_no_prices_behind(api, world):
    token = world.admin_token()
    world.product("A-1")
    client = world.client()
    api.post("/admin/price-lists", {"name": "First", "currency": "EUR", "client_id": client, "items": []}, token)
    second = api.post("/admin/price-lists", {"name": "Second", "currency": "EUR", "client_id": client,
                                             "items": [{"sku": "A-1", "price": "1.00"}]}, token)
    assert second.status == 409 and second.error["code"] == "price_list_exists"
    lists = api.get(f"/admin/price-lists?client_id={client}", token).body["items"]
    assert [pl["name"] for pl in lists] == ["First"]
    assert len(api.get("/admin/price-lists", token).body["items"]) == 1
    orphans = [i for i in PriceItem.scan(PriceItem.sk.startswith("ITEM#")) if i.pk != price_list_pk(lists[0]["id"])]
    assert orphans == []


def test_only_one_default_list(api, world):
    token = world.admin_token()
    assert api.post("/admin/price-lists", {"name": "D1", "currency": "EUR", "is_default": True}, token).status == 201
    again = api.post("/admin/price-lists", {"name": "D2", "currency": "EUR", "is_default": True}, token)
    assert again.status == 409 and again.error["field"] == "is_default"


def test_bad_price_list_input(api, world):
    token = world.admin_token()
    world.product("A-1")
    client = world.client(currency="EUR")
    base = {"name": "L", "currency": "EUR"}
    cases = [
        ({"items": [{"sku": "NOPE", "price": "1"}]}, "unknown_product", "items[0].sku"),
        ({"items": [{"sku": "A-1", "price": "1"}, {"sku": "a-1", "price": "2"}]}, "duplicate_sku", "items[1].sku"),
        ({"items": [{"sku": "A-1", "price": "-1"}]}, "invalid_value", "items[0].price"),
        ({"client_id": client, "is_default": True}, "conflicting_assignment", "is_default"),
        ({"client_id": client, "currency": "USD"}, "currency_mismatch", "currency"),
        ({"client_id": "cli_missing"}, "unknown_client", "client_id"),
        ({"group_id": "grp_missing"}, "unknown_group", "group_id"),
        ({"is_promotion": True, "valid_from": "2026-12-01"}, "missing_field", "valid_to"),
        ({"valid_from": "2026-12-10", "valid_to": "2026-12-01"}, "invalid_date_range", "valid_to"),
        ({"valid_from": "2026-13-40"}, "invalid_date", "valid_from"),
    ]
    for change, code, field in cases:
        reply = api.post("/admin/price-lists", {**base, **change}, token)
        assert reply.status == 422, (change, reply.text)
        assert (reply.error["code"], reply.error["field"]) == (code, field), change
    assert api.get("/admin/price-lists", token).body["items"] == []
    assert api.get("/admin/price-lists/pl_missing", token).status == 404
    assert api.put("/admin/price-lists/pl_missing/items/A-1", {"price": "1"}, token).status == 404
    assert api.get("/admin/price-lists?is_default=maybe", token).status == 422
    source = world.price_list({"A-1": "1.5"})
    assert api.post(f"/admin/price-lists/{source}/clone", {"name": "Nobody's"}, token).error["field"] == "client_id"
    assert api.get(f"/admin/price-lists/{source}", token).body["items"] == [{"sku": "A-1", "price": "1.50", "tiers": []}]
