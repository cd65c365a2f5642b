"""GET /portal/catalogue[/{sku}]: negotiated prices, search, paging, stock visibility, isolation."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from chalicelib.services.pricing import supplier_today


def all_pages(api, token, query=""):
    items, cursor, pages = [], None, 0
    while True:
        sep = "&" if query else ""
        reply = api.get(f"/portal/catalogue?{query}{sep}limit=2" + (f"&cursor={cursor}" if cursor else ""), token)
        assert reply.status == 200, reply.text
        items += reply.body["items"]
        cursor, pages = reply.body["next_cursor"], pages + 1
        if not cursor:
            return items
        assert pages < 50


def test_catalogue_shows_each_price_with_the_level_it_came_from(api, world):
    for sku in ("A-CLIENT", "B-GROUP", "C-PROMO", "D-DEFAULT", "E-BASE"):
        world.product(sku, base_price=Decimal("100"))
    group = world.group()
    client = world.client(group_id=group)
    today = supplier_today()
    world.price_list({"A-CLIENT": "60"}, client_id=client)
    world.price_list({"A-CLIENT": "70", "B-GROUP": "70"}, group_id=group)
    world.price_list({"A-CLIENT": "50", "B-GROUP": "50", "C-PROMO": "80"}, is_promotion=True,
                     valid_from=today - timedelta(days=1), valid_to=today + timedelta(days=1))
    world.price_list({"A-CLIENT": "95", "C-PROMO": "95", "D-DEFAULT": "90"}, is_default=True)
    _, token = world.buyer(client)

    reply = api.get("/portal/catalogue", token)

    assert reply.status == 200
    seen = {i["sku"]: (i["price"], i["price_source"]) for i in reply.body["items"]}
    assert seen == {
        "A-CLIENT": ("60.00", "client"), "B-GROUP": ("70.00", "group"), "C-PROMO": ("80.00", "promotion"),
        "D-DEFAULT": ("90.00", "default"), "E-BASE": ("100.00", "base"),
    }
    assert reply.body["next_cursor"] is None


def test_expired_promotion_price_is_not_shown(api, world):
    sku = world.product(base_price=Decimal("100"))
    today = supplier_today()
    world.price_list({sku: "10"}, is_promotion=True, valid_from=today - timedelta(days=9), valid_to=today - timedelta(days=1))
    _, token = world.buyer(world.client())
    item = api.get(f"/portal/catalogue/{sku}", token).body
    assert (item["price"], item["price_source"]) == ("100.00", "base")


def test_item_fields_follow_the_contract(api, world):
    sku = world.product(name="Patch cable", category="Cables", unit="m", vat_rate=Decimal("19"), min_qty=5, max_qty=500)
    _, token = world.buyer(world.client())
    item = api.get(f"/portal/catalogue/{sku}", token).body
    assert item == {"sku": sku, "name": "Patch cable", "category": "Cables", "unit": "m", "price": "100.00",
                    "currency": "EUR", "vat_rate": "19", "price_source": "base", "min_qty": 5, "max_qty": 500,
                    "qty_step": 1, "qty_available": 10}


def test_stock_is_shown_only_to_contacts_with_view_stock(api, world):
    sku = world.product(qty_on_hand=42)
    client = world.client()
    _, with_stock = world.buyer(client, orders=True, view_stock=True)
    _, without = world.buyer(client, orders=True, place_orders=True)
    assert api.get(f"/portal/catalogue/{sku}", with_stock).body["qty_available"] == 42
    assert "qty_available" not in api.get(f"/portal/catalogue/{sku}", without).body
    assert all("qty_available" not in i for i in api.get("/portal/catalogue", without).body["items"])


def test_hidden_products_are_neither_listed_nor_found(api, world):
    world.product("SHOWN-1")
    world.product("HIDDEN-1", portal_visible=False)
    _, token = world.buyer(world.client())
    assert [i["sku"] for i in api.get("/portal/catalogue", token).body["items"]] == ["SHOWN-1"]
    assert api.get("/portal/catalogue?q=HIDDEN", token).body["items"] == []
    reply = api.get("/portal/catalogue/HIDDEN-1", token)
    assert reply.status == 404 and reply.error["code"] == "product_not_found"


def test_category_filter_and_code_prefix_and_name_words(api, world):
    world.product("CAB-001", name="UTP patch cable blue", category="Cables")
    world.product("CAB-002", name="Fibre patch cord", category="Cables")
    world.product("NET-001", name="Gigabit switch 8 port", category="Networking")
    world.product("NET-002", name="Switch rack cable kit", category="Networking")
    _, token = world.buyer(world.client())

    def skus(query):
        reply = api.get(f"/portal/catalogue?{query}", token)
        assert reply.status == 200, reply.text
        return [i["sku"] for i in reply.body["items"]]

    assert skus("category=Cables") == ["CAB-001", "CAB-002"]
    assert skus("category=cables") == ["CAB-001", "CAB-002"]
    assert skus("q=net-") == ["NET-001", "NET-002"]
    assert skus("q=cable") == ["CAB-001", "NET-002"]
    assert skus("q=patch+cable") == ["CAB-001"]
    assert skus("q=SWITCH") == ["NET-001", "NET-002"]
    assert skus("q=cable&category=Networking") == ["NET-002"]
    assert skus("q=CAB&category=Networking") == []
    assert skus("q=nothing-matches") == []


def test_pages_walk_the_whole_catalogue_once(api, world):
    made = sorted(world.product(f"P-{i:03d}") for i in range(7))
    _, token = world.buyer(world.client())
    assert [i["sku"] for i in all_pages(api, token)] == made
    assert [i["sku"] for i in all_pages(api, token, "q=product")] == made


def test_bad_paging_parameters_are_refused(api, world):
    _, token = world.buyer(world.client())
    for query, field in (("limit=0", "limit"), ("limit=201", "limit"), ("limit=abc", "limit"), ("cursor=%%%", "cursor"),
                         ("q=" + "x" * 101, "q"), ("category=" + "c" * 101, "category")):
        reply = api.get(f"/portal/catalogue?{query}", token)
        assert reply.status == 422 and reply.error["field"] == field, (query, reply.text)


def test_contact_without_any_permission_cannot_use_the_portal(api, world):
    world.product()
    client = world.client()
    _, token = world.buyer(client, place_orders=False)
    reply = api.get("/portal/catalogue", token)
    assert reply.status == 403 and reply.error["code"] == "no_portal_access"
    assert api.get("/portal/me", token).status == 403


def test_staff_token_is_not_a_portal_login(api, world):
    reply = api.get("/portal/catalogue", world.admin_token())
    assert reply.status == 403 and reply.error["code"] == "not_a_portal_contact"


def test_me_names_the_contact_and_its_client(api, world):
    client = world.client("Acme SRL")
    contact, token = world.buyer(client, orders=True)
    body = api.get("/portal/me", token).body
    assert body["client"] == {"id": client, "name": "Acme SRL"}
    assert body["contact"]["id"] == contact and body["permissions"]["orders"] is True
    assert body["permissions"]["place_orders"] is False


def test_a_buyer_never_sees_another_clients_negotiated_prices(api, world):
    """Client B's list carries sentinel prices; no catalogue call of client A's buyer may show one."""
    skus = [world.product(f"ISO-{i}", name=f"Isolation item {i}", category="Iso") for i in range(5)]
    group = world.group()
    client_a, client_b = world.client("A", group_id=group), world.client("B", group_id=group)
    world.price_list({s: f"{777 + i}.13" for i, s in enumerate(skus)}, client_id=client_b)
    world.price_list({skus[0]: "55.00"}, client_id=client_a)
    _, token_a = world.buyer(client_a)
    sentinels = {f"{777 + i}.13" for i in range(5)}

    bodies = [api.get(path, token_a).text for path in (
        "/portal/catalogue", "/portal/catalogue?limit=1", "/portal/catalogue?category=Iso",
        "/portal/catalogue?q=ISO", "/portal/catalogue?q=isolation", "/portal/catalogue?q=item+3",
        *[f"/portal/catalogue/{s}" for s in skus], *[f"/portal/catalogue/{s.lower()}" for s in skus],
    )]
    bodies += [str(i) for i in all_pages(api, token_a)]
    for body in bodies:
        assert not any(s in body for s in sentinels), body
    assert api.get(f"/portal/catalogue/{skus[0]}", token_a).body["price_source"] == "client"
    assert {api.get(f"/portal/catalogue/{s}", token_a).body["price_source"] for s in skus[1:]} == {"base"}


def test_catalogue_needs_a_token(api):
    reply = api.get("/portal/catalogue")
    assert reply.status == 401 and reply.error["code"] == "unauthorized"


def test_a_name_search_reads_a_bounded_part_of_the_index_per_page_and_misses_nothing(api, world, monkeypatch):
    from chalicelib.services import catalogue  # noqa: PLC0415

    monkeypatch.setattr(catalogue, "MAX_WORD_ROUNDS", 1)
    for i in range(9):  # "cable" everywhere, "blue" only on two, far apart
        world.product(f"C-{i:02d}", name=f"Cable {'blue' if i in (1, 7) else 'grey'} {i}")
    _, token = world.buyer(world.client())
    found, cursor, pages = [], None, 0
    while True:
        reply = api.get("/portal/catalogue?q=blue+cable&limit=2" + (f"&cursor={cursor}" if cursor else ""), token)
        assert reply.status == 200
        found += [i["sku"] for i in reply.body["items"]]
        cursor, pages = reply.body["next_cursor"], pages + 1
        if not cursor:
            break
    assert found == ["C-01", "C-07"] and pages > 2  # short pages with a cursor, each one bounded
