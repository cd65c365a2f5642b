"""POST /portal/orders and friends: validation at the source, server prices, idempotency, numbering."""
from __future__ import annotations

import json
import threading
from decimal import Decimal

import requests

from chalicelib.store import orders as order_store
from chalicelib.store.models import OrderItem


def shop(world, **client_fields):
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), min_qty=2, max_qty=100)
    world.product("NET-001", name="Switch", base_price=Decimal("100.00"), vat_rate=Decimal("9"))
    world.product("HID-001", portal_visible=False)
    world.product("USD-001", currency="USD")
    client = world.client("Acme SRL", addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}],
                          **client_fields)
    world.price_list({"CAB-001": "8.50"}, client_id=client)
    return client


def lines(*pairs):
    return {"lines": [{"sku": s, "qty": q} for s, q in pairs]}


def count_orders():
    return sum(1 for _ in OrderItem.scan(OrderItem.sk == "ORDER"))


def test_order_is_priced_on_the_server_and_numbered(api, world):
    client = shop(world)
    _, token = world.buyer(client)
    reply = api.post("/portal/orders", {**lines(("CAB-001", 4), ("NET-001", 1)), "client_reference": "PO-77", "notes": "Gate 3"}, token)
    assert reply.status == 201
    order = reply.body
    assert order["number"].endswith("-000001") and order["number"].startswith("SO-")
    assert [(l["sku"], l["unit_price"], l["line_total"], l["price_source"]) for l in order["lines"]] == [
        ("CAB-001", "8.50", "34.00", "client"), ("NET-001", "100.00", "100.00", "base")]
    # VAT per rate: 34.00 x 19% = 6.46, 100.00 x 9% = 9.00
    assert (order["subtotal"], order["vat_total"], order["total"], order["currency"]) == ("134.00", "15.46", "149.46", "EUR")
    assert (order["status"], order["status_code"], order["client_reference"], order["notes"]) == ("draft", 1, "PO-77", "Gate 3")
    assert order["delivery_address"]["city"] == "Cluj"


def test_a_price_sent_by_the_client_is_ignored(api, world):
    _, token = world.buyer(shop(world))
    reply = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 2, "unit_price": "0.01"}]}, token)
    assert reply.status == 422 and reply.error["code"] == "unknown_field" and reply.error["field"] == "lines[0].unit_price"


def test_bad_lines_get_their_specific_code_and_nothing_is_stored(api, world):
    _, token = world.buyer(shop(world))
    cases = [
        (lines(("NOPE-1", 1)), "unknown_product", "lines[0].sku"),
        (lines(("CAB-001", 2), ("HID-001", 1)), "product_not_orderable", "lines[1].sku"),
        (lines(("USD-001", 1)), "product_not_orderable", "lines[0].sku"),
        (lines(("CAB-001", 0)), "invalid_quantity", "lines[0].qty"),
        (lines(("CAB-001", -3)), "invalid_quantity", "lines[0].qty"),
        (lines(("CAB-001", 2.5)), "invalid_quantity", "lines[0].qty"),
        (lines(("CAB-001", "3")), "invalid_quantity", "lines[0].qty"),
        (lines(("CAB-001", True)), "invalid_quantity", "lines[0].qty"),
        (lines(("CAB-001", 1)), "below_min_qty", "lines[0].qty"),
        (lines(("CAB-001", 101)), "above_max_qty", "lines[0].qty"),
        (lines(("CAB-001", 2), ("cab-001", 3)), "duplicate_sku", "lines[1].sku"),
        ({"lines": []}, "missing_field", "lines"),
        ({}, "missing_field", "lines"),
        ({**lines(("NET-001", 1)), "delivery_address_id": "addr_99"}, "unknown_address", "delivery_address_id"),
        ({**lines(("NET-001", 1)), "delivery_address": {"line1": "x"}}, "missing_field", "delivery_address.city"),
    ]
    for body, code, field in cases:
        reply = api.post("/portal/orders", body, token)
        assert reply.status == 422, (body, reply.text)
        assert (reply.error["code"], reply.error["field"]) == (code, field), body
    assert api.post("/portal/orders", raw="{oops", token=token).error["code"] == "invalid_json"
    assert count_orders() == 0


def test_client_without_address_must_give_one(api, world):
    world.product("NET-001")
    _, token = world.buyer(world.client(addresses=[]))
    assert api.post("/portal/orders", lines(("NET-001", 1)), token).error["field"] == "delivery_address"
    given = {**lines(("NET-001", 1)), "delivery_address": {"line1": "Str. 2", "city": "Iasi", "postcode": "700000", "country": "RO"}}
    assert api.post("/portal/orders", given, token).body["delivery_address"]["city"] == "Iasi"


def test_placing_needs_the_place_orders_permission(api, world):
    client = shop(world)
    _, viewer = world.buyer(client, orders=True)
    reply = api.post("/portal/orders", lines(("NET-001", 1)), viewer)
    assert reply.status == 403 and reply.error["code"] == "missing_permission"
    _, placer = world.buyer(client, place_orders=True)
    assert api.post("/portal/orders", lines(("NET-001", 1)), placer).status == 201
    assert api.get("/portal/orders", placer).status == 403  # listing needs `orders`


def test_same_idempotency_key_and_body_gives_the_same_order(api, world):
    _, token = world.buyer(shop(world))
    body = lines(("NET-001", 1))
    first = api.post("/portal/orders", body, token, headers={"Idempotency-Key": "checkout-1"})
    again = api.post("/portal/orders", body, token, headers={"Idempotency-Key": "checkout-1"})
    assert first.status == 201 and again.status in (200, 201) and again.body["id"] == first.body["id"]
    other = api.post("/portal/orders", lines(("NET-001", 2)), token, headers={"Idempotency-Key": "checkout-1"})
    assert other.status == 409 and other.error["code"] == "idempotency_key_reused"
    assert api.post("/portal/orders", body, token, headers={"Idempotency-Key": "checkout-2"}).body["id"] != first.body["id"]
    assert count_orders() == 2


def test_a_refused_order_does_not_burn_its_idempotency_key(api, world):
    _, token = world.buyer(shop(world))
    bad = api.post("/portal/orders", lines(("CAB-001", 1)), token, headers={"Idempotency-Key": "k"})
    assert bad.status == 422
    assert api.post("/portal/orders", lines(("CAB-001", 1)), token, headers={"Idempotency-Key": "k"}).status == 422


def test_idempotency_keys_of_two_contacts_do_not_collide(api, world):
    client = shop(world)
    _, a = world.buyer(client)
    _, b = world.buyer(client)
    body = lines(("NET-001", 1))
    ids = {api.post("/portal/orders", body, t, headers={"Idempotency-Key": "same"}).body["id"] for t in (a, b)}
    assert len(ids) == 2


def parallel(n, call):
    results, errors = [None] * n, []
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait()
            results[i] = call(i)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_double_submitted_checkout_in_parallel_creates_one_order(http_server, world):
    _, token = world.buyer(shop(world))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": "double-click"}
    body = json.dumps(lines(("NET-001", 1)))
    replies = parallel(2, lambda i: requests.post(f"{http_server}/portal/orders", data=body, headers=headers, timeout=60))
    assert sorted(r.status_code for r in replies) in ([201, 201], [201, 409], [200, 201])
    ids = {r.json()["id"] for r in replies if r.status_code in (200, 201)}
    assert len(ids) == 1 and count_orders() == 1


def test_twenty_parallel_orders_get_twenty_distinct_gapless_numbers(http_server, world):
    client = shop(world)
    tokens = [world.buyer(client)[1] for _ in range(4)]
    body = json.dumps(lines(("NET-001", 1)))

    def place(i):
        headers = {"Authorization": f"Bearer {tokens[i % 4]}", "Content-Type": "application/json"}
        return requests.post(f"{http_server}/portal/orders", data=body, headers=headers, timeout=120)

    replies = parallel(20, place)
    assert [r.status_code for r in replies] == [201] * 20, [r.text for r in replies if r.status_code != 201]
    numbers = sorted(int(r.json()["number"].rsplit("-", 1)[1]) for r in replies)
    assert numbers == list(range(1, 21))


def test_orders_list_newest_first_with_paging_and_detail(api, world):
    _, token = world.buyer(shop(world))
    made = [api.post("/portal/orders", lines(("NET-001", q)), token).body["id"] for q in (1, 2, 3)]
    first = api.get("/portal/orders?limit=2", token).body
    rest = api.get(f"/portal/orders?limit=2&cursor={first['next_cursor']}", token).body
    assert [o["id"] for o in first["items"] + rest["items"]] == made[::-1] and rest["next_cursor"] is None
    detail = api.get(f"/portal/orders/{made[0]}", token).body
    assert detail["history"][0]["event"] == "placed" and "checks" not in detail


def test_another_clients_order_is_not_found(api, world):
    mine = shop(world)
    other = world.client("Other")
    _, my_token = world.buyer(mine)
    _, their_token = world.buyer(other)
    order_id = api.post("/portal/orders", lines(("NET-001", 1)), my_token).body["id"]
    for call in (lambda: api.get(f"/portal/orders/{order_id}", their_token),
                 lambda: api.post(f"/portal/orders/{order_id}/reorder", None, their_token),
                 lambda: api.post(f"/portal/orders/{order_id}/accept-changes", None, their_token)):
        reply = call()
        assert reply.status == 404 and reply.error["code"] == "order_not_found"
    assert api.get("/portal/orders", their_token).body["items"] == []


def test_reorder_uses_todays_prices_and_reports_lines_no_longer_orderable(api, world):
    client = shop(world)
    world.product("OLD-001", name="Old model", base_price=Decimal("5"))
    _, token = world.buyer(client)
    first = api.post("/portal/orders", lines(("CAB-001", 2), ("OLD-001", 1)), token).body
    from chalicelib.store.models import ProductItem, product_pk  # noqa: PLC0415

    ProductItem(product_pk("OLD-001"), "PRODUCT").update(actions=[ProductItem.portal_visible.set(False)])
    from chalicelib.services import price_lists  # noqa: PLC0415

    list_id = api.get("/portal/me", token).body and order_store  # noqa: F841 - clarity: prices change below
    from chalicelib.store.clients import get_client  # noqa: PLC0415

    price_lists.set_price(get_client(client).price_list_id, "CAB-001", Decimal("7.00"))
    again = api.post(f"/portal/orders/{first['id']}/reorder", None, token)
    assert again.status == 201
    assert [(l["sku"], l["qty"], l["unit_price"]) for l in again.body["lines"]] == [("CAB-001", 2, "7.00")]
    assert again.body["skipped"] == [{"sku": "OLD-001", "reason": "product_not_orderable", "message": "OLD-001 cannot be ordered from the portal."}]
    assert again.body["reorder_of"] == first["id"] and again.body["number"] != first["number"]


def test_settings_choose_the_initial_status(api, world):
    admin = world.admin_token()
    _, token = world.buyer(shop(world))
    assert api.get("/admin/settings", admin).body["portal_order_initial_status"] == "draft"
    changed = api.put("/admin/settings", {"portal_order_initial_status": "sent", "review_timeout_hours": 48}, admin)
    assert changed.status == 200 and changed.body["review_timeout_hours"] == 48
    order = api.post("/portal/orders", lines(("NET-001", 1)), token).body
    assert (order["status"], order["status_code"]) == ("sent", 2)
    assert api.put("/admin/settings", {"invoice_on": "never"}, admin).status == 422
    assert api.put("/admin/settings", {"review_timeout_hours": 0}, admin).status == 422
    _, agent = world.staff("agent")
    assert api.put("/admin/settings", {"review_required": False}, agent).status == 403


def test_review_decisions_need_a_reviewer_role(api, world):
    _, token = world.buyer(shop(world))
    order = api.post("/portal/orders", lines(("NET-001", 1)), token).body
    _, warehouse = world.staff("warehouse")
    assert api.post(f"/admin/orders/{order['id']}/approve", {}, warehouse).status == 403
    assert api.post(f"/admin/orders/{order['id']}/approve", {}, token).status == 403
    assert api.get("/admin/orders?status=nonsense", warehouse).status == 422
    _, agent = world.staff("manager")  # a reviewer who sees every client's orders
    assert api.post("/admin/orders/so_missing/approve", {}, agent).status == 404
    bad = api.post(f"/admin/orders/{order['id']}/approve", {"discount_percent": "150"}, agent)
    assert bad.status == 422 and bad.error["field"] == "discount_percent"


def test_reorder_with_the_same_idempotency_key_places_one_order(api, world):
    _, token = world.buyer(shop(world))
    first = api.post("/portal/orders", lines(("NET-001", 1)), token).body
    again = [api.post(f"/portal/orders/{first['id']}/reorder", None, token, headers={"Idempotency-Key": "again-1"}) for _ in range(2)]
    assert [r.status for r in again] == [201, 201] and again[0].body["id"] == again[1].body["id"]
    assert count_orders() == 2
