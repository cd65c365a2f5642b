"""The stored cart (/portal/cart): lines at today's prices, warnings before checkout, checkout once per cart
version, quick order import (CSV / XLSX), saved lists, reorder into the cart, and a request for a quote."""
from __future__ import annotations

import json
from decimal import Decimal



from chalicelib.store import orders as order_store
from chalicelib.store.models import ProductItem
from chalicelib.store.products import find_products
from chalicelib.store import proposals as proposal_store
from infra.local.outbox import sent_mail
from tests.support.files import xlsx

HQ = {"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def shop(world, **client_fields):
    """Acme SRL: its own cable price, a switch, a box sold by at least ten, a hidden product."""
    agent_id, _ = world.staff("agent")
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=50, max_qty=500)
    world.product("NET-001", name="Switch", base_price=Decimal("100.00"), vat_rate=Decimal("9"), qty_on_hand=3)
    world.product("BOX-010", name="Cable box", base_price=Decimal("5.00"), min_qty=10)
    world.product("HID-001", portal_visible=False)
    client = world.client("Acme SRL", addresses=[HQ], sale_agent_id=agent_id, **client_fields)
    world.price_list({"CAB-001": "8.50"}, client_id=client)
    return client


def put(api, token, sku, qty):
    return api.put(f"/portal/cart/lines/{sku}", {"qty": qty}, token)


def test_cart_lines_are_priced_today_and_kept_per_contact(api, world):
    client = shop(world)
    contact, token = world.buyer(client)
    assert put(api, token, "CAB-001", 4).status == 200
    reply = put(api, token, "NET-001", 1)
    cart = reply.body
    assert [(l["sku"], l["name"], l["qty"], l["unit_price"], l["line_total"], l["price_source"]) for l in cart["lines"]] == [
        ("CAB-001", "Patch cable", 4, "8.50", "34.00", "client"), ("NET-001", "Switch", 1, "100.00", "100.00", "base")]
    assert (cart["subtotal"], cart["vat_total"], cart["total"], cart["currency"]) == ("134.00", "15.46", "149.46", "EUR")
    assert cart["credit_available"] == "10000.00" and cart["warnings"] == []
    # a new quantity replaces the old one; the line keeps its place; another login of the same contact sees it
    put(api, token, "cab-001", 6)
    _, other_token = world.buyer(client)
    assert api.get("/portal/cart", other_token).body["lines"] == []  # a colleague has their own cart
    again = api.get("/portal/cart", token).body
    assert [(l["sku"], l["qty"]) for l in again["lines"]] == [("CAB-001", 6), ("NET-001", 1)]
    assert api.delete("/portal/cart/lines/NET-001", token).body["lines"][0]["sku"] == "CAB-001"
    assert len(api.get("/portal/cart", token).body["lines"]) == 1


def test_cart_refuses_bad_lines_with_the_error_shape(api, world):
    _, token = world.buyer(shop(world))
    cases = [("NOPE-1", {"qty": 1}, 422, "unknown_product"), ("HID-001", {"qty": 1}, 422, "product_not_orderable"),
             ("CAB-001", {"qty": -1}, 422, "invalid_quantity"), ("CAB-001", {"qty": "2"}, 422, "invalid_quantity"),
             ("CAB-001", {"qty": 2.5}, 422, "invalid_quantity"), ("CAB-001", {}, 422, "missing_field"),
             ("CAB-001", {"qty": 1, "price": "1"}, 422, "unknown_field")]
    for sku, body, status, code in cases:
        reply = api.put(f"/portal/cart/lines/{sku}", body, token)
        assert (reply.status, reply.error["code"]) == (status, code), (sku, body, reply.text)
    assert api.delete("/portal/cart/lines/CAB-001", token).error["code"] == "not_in_cart"
    assert api.put("/portal/cart/lines/CAB-001", raw="{x", token=token).error["code"] == "invalid_json"
    assert api.get("/portal/cart", token).body["lines"] == []
    _, no_orders = world.buyer(shop_client := world.client("Other SRL"), orders=True)
    assert api.get("/portal/cart", no_orders).status == 403 and shop_client
    assert api.get("/portal/cart").status == 401


def test_cart_warns_about_minimums_stock_and_credit_before_checkout(api, world):
    client = shop(world, credit_limit=Decimal("200"))
    _, token = world.buyer(client)
    put(api, token, "BOX-010", 3)
    put(api, token, "NET-001", 5)  # 3 in stock, and 5 x 109.00 is beyond 200 of credit
    warnings = {(w["code"], w["sku"]) for w in api.get("/portal/cart", token).body["warnings"]}
    assert warnings == {("below_min_qty", "BOX-010"), ("above_available_stock", "NET-001"), ("beyond_credit", None)}
    # a contact who may not see stock is not told about it
    _, blind = world.buyer(client, place_orders=True, orders=True)
    put(api, blind, "NET-001", 5)
    assert {w["code"] for w in api.get("/portal/cart", blind).body["warnings"]} == {"beyond_credit"}


def test_checkout_places_the_cart_once_and_a_second_tab_is_refused(api, world):
    client = shop(world)
    _, token = world.buyer(client)
    put(api, token, "CAB-001", 4)
    version = api.get("/portal/cart", token).body["version"]
    first = api.post("/portal/cart/checkout", {"client_reference": "PO-1", "cart_version": version}, token,
                     headers={"Idempotency-Key": "tab-1"})
    assert first.status == 201, first.text
    assert (first.body["origin"], first.body["client_reference"], first.body["total"]) == ("portal", "PO-1", "40.46")
    assert api.get("/portal/cart", token).body["lines"] == []
    # the same request again (a lost answer): the same order, nothing new
    retry = api.post("/portal/cart/checkout", {"client_reference": "PO-1", "cart_version": version}, token,
                     headers={"Idempotency-Key": "tab-1"})
    assert (retry.status, retry.body["id"]) == (200, first.body["id"])
    # a second tab, showing the cart before checkout, with its own key
    second = api.post("/portal/cart/checkout", {"cart_version": version}, token, headers={"Idempotency-Key": "tab-2"})
    assert second.status == 409 and second.error["code"] == "cart_empty"
    assert first.body["number"] in second.error["message"]
    assert len(order_store.for_client(client, limit=10, after=None)[0]) == 1


def test_checkout_of_a_changed_cart_is_refused(api, world):
    client = shop(world)
    _, token = world.buyer(client)
    put(api, token, "CAB-001", 4)
    seen = api.get("/portal/cart", token).body["version"]
    put(api, token, "NET-001", 1)  # another tab adds a line
    stale = api.post("/portal/cart/checkout", {}, token, headers={"Idempotency-Key": "k", "If-Match": str(seen)})
    assert stale.status == 409 and stale.error["code"] == "cart_changed"
    assert api.post("/portal/cart/checkout", {"cart_version": "x"}, token).error["code"] == "invalid_value"
    assert order_store.for_client(client, limit=10, after=None)[0] == []
    # the cart's own rules still apply at checkout: a line below its minimum is a 422 naming it
    put(api, token, "BOX-010", 2)
    refused = api.post("/portal/cart/checkout", {}, token)
    assert (refused.status, refused.error["code"], refused.error["field"]) == (422, "below_min_qty", "lines[2].qty")
    put(api, token, "BOX-010", 10)
    assert api.post("/portal/cart/checkout", {}, token).status == 201


def test_csv_import_adds_good_lines_and_reports_each_bad_one(api, world):
    _, token = world.buyer(shop(world))
    csv_text = "SKU,Qty\nCAB-001,12\nNOPE-9,3\nNET-001,two\nHID-001,1\n\ncab-001,3\nBOX-010,2\n"
    reply = api.post("/portal/cart/import", raw=csv_text, token=token, headers={"Content-Type": "text/csv"})
    assert reply.status == 200, reply.text
    assert [(a["row"], a["sku"], a["qty"]) for a in reply.body["added"]] == [(2, "CAB-001", 15), (8, "BOX-010", 2)]
    assert [(e["row"], e["sku"], e["code"]) for e in reply.body["errors"]] == [
        (3, "NOPE-9", "unknown_product"), (4, "NET-001", "invalid_quantity"), (5, "HID-001", "product_not_orderable")]
    cart = api.get("/portal/cart", token).body
    assert [(l["sku"], l["qty"]) for l in cart["lines"]] == [("CAB-001", 15), ("BOX-010", 2)]
    assert ("below_min_qty", "BOX-010") in {(w["code"], w["sku"]) for w in cart["warnings"]}
    empty = api.post("/portal/cart/import", raw="", token=token, headers={"Content-Type": "text/csv"})
    assert (empty.status, empty.error["code"]) == (422, "missing_field")


def test_xlsx_import_reads_the_first_sheet(api, world):
    client = shop(world)
    contact_id, token = world.buyer(client)
    body = xlsx([["Product code", "Quantity"], ["NET-001", 2], ["CAB-001", 4.0], ["GHOST", 1]])
    reply = api.client.http.post("/portal/cart/import", body=body,
                                 headers={"Content-Type": XLSX, "Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.body
    answer = json.loads(reply.body)
    assert [(a["sku"], a["qty"]) for a in answer["added"]] == [("NET-001", 2), ("CAB-001", 4)]
    assert [(e["row"], e["sku"], e["code"]) for e in answer["errors"]] == [(4, "GHOST", "unknown_product")]
    assert [(l["sku"], l["qty"]) for l in api.get("/portal/cart", token).body["lines"]] == [("NET-001", 2), ("CAB-001", 4)]

    broken = api.client.http.post("/portal/cart/import", body=b"PK\x03\x04 not a workbook",
                                  headers={"Content-Type": XLSX, "Authorization": f"Bearer {token}"})
    assert broken.status_code == 422 and json.loads(broken.body)["error"]["code"] == "unreadable_file"
    refused = api.client.http.post("/portal/cart/import", body=b"%PDF-1.7",
                                   headers={"Content-Type": "application/pdf", "Authorization": f"Bearer {token}"})
    assert refused.status_code == 415 and json.loads(refused.body)["error"]["code"] == "unsupported_media_type"
    assert [(l["sku"], l["qty"]) for l in api.get("/portal/cart", token).body["lines"]] == [("NET-001", 2), ("CAB-001", 4)]


def test_reorder_to_cart_lists_price_changes_and_places_nothing(api, world):
    client = shop(world)
    _, token = world.buyer(client)
    order = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 4}, {"sku": "NET-001", "qty": 1},
                                                  {"sku": "BOX-010", "qty": 10}]}, token).body
    find_products(["NET-001"])["NET-001"].update(actions=[ProductItem.base_price.set(Decimal("120.00"))])
    find_products(["BOX-010"])["BOX-010"].update(actions=[ProductItem.portal_visible.set(False)])
    reply = api.post(f"/portal/orders/{order['id']}/reorder-to-cart", token=token)
    assert reply.status == 200, reply.text
    assert reply.body["price_changes"] == [{"sku": "NET-001", "old_unit_price": "100.00", "unit_price": "120.00"}]
    assert [s["sku"] for s in reply.body["skipped"]] == ["BOX-010"]
    assert [(l["sku"], l["qty"], l["unit_price"]) for l in reply.body["lines"]] == [("CAB-001", 4, "8.50"), ("NET-001", 1, "120.00")]
    assert len(order_store.for_client(client, limit=10, after=None)[0]) == 1  # still only the first order
    assert api.post("/portal/orders/so_nope/reorder-to-cart", token=token).status == 404


def test_saved_lists_fill_from_the_cart_and_go_back_into_it(api, world):
    _, token = world.buyer(shop(world))
    put(api, token, "CAB-001", 20)
    saved = api.post("/portal/saved-lists", {"name": "Monthly", "from_cart": True}, token)
    assert saved.status == 201 and saved.body["lines"] == [{"sku": "CAB-001", "qty": 20}]
    assert api.put(f"/portal/saved-lists/{saved.body['id']}/lines/NET-001", {"qty": 2}, token).status == 200
    assert api.put(f"/portal/saved-lists/{saved.body['id']}/lines/NOPE", {"qty": 2}, token).error["code"] == "unknown_product"
    api.delete("/portal/cart/lines/CAB-001", token)
    back = api.post(f"/portal/saved-lists/{saved.body['id']}/add-to-cart", token=token).body
    assert [(l["sku"], l["qty"]) for l in back["lines"]] == [("CAB-001", 20), ("NET-001", 2)]
    assert [s["name"] for s in api.get("/portal/saved-lists", token).body["items"]] == ["Monthly"]
    assert api.post("/portal/saved-lists", {"name": ""}, token).status == 422
    assert api.post("/portal/saved-lists/sl_other/add-to-cart", token=token).status == 404


def test_request_for_quote_makes_a_draft_proposal_for_the_agent(api, world):
    client = shop(world)
    _, token = world.buyer(client)
    assert api.post("/portal/cart/request-quote", {}, token).error["code"] == "cart_empty"
    put(api, token, "CAB-001", 200)
    reply = api.post("/portal/cart/request-quote", {"message": "We need 200 monthly"}, token)
    assert reply.status == 201, reply.text
    proposal = proposal_store.get(reply.body["proposal_id"])
    assert (proposal.status, proposal.client_id, [(m.sku, m.qty) for m in proposal.lines]) == ("draft", client, [("CAB-001", 200)])
    mail = sent_mail()[0]
    assert "asks for a quote" in mail["subject"] and "We need 200 monthly" in mail["body"] and mail["to"][0].startswith("agent")
    assert len(api.get("/portal/cart", token).body["lines"]) == 1  # the cart stays
