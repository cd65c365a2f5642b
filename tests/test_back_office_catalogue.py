"""The back office's catalogue and prices through the JSON API: product list and edits, the quantity step
on orders, stock adjustments with reasons, CSV import (dry run, all or nothing) and export, price-list
headers, items with volume tiers, and why a client pays what it pays."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from chalicelib.domain.pricing import (
    ListPrice, PriceCandidates, PriceListTerms, PriceSource, ProductPrice, Tier, explain_price, resolve_price,
)
from chalicelib.domain.orders import Orderable, check_quantity
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.csv_import import parse_price_items, parse_products
from chalicelib.store.models import ProductItem, product_pk

HEADER = "sku,name,category,unit,base_price,currency,vat_rate,min_qty,max_qty,qty_step,portal_visible\n"
TODAY = date(2026, 11, 27)


def csv_post(api, path, text, token):
    return api.post(path, raw=text, token=token, headers={"Content-Type": "text/csv"})


# --- the rules, without AWS ---------------------------------------------------------------

def test_volume_tier_lowers_the_price_inside_the_winning_list_only():
    product = ProductPrice("CAB-001", Decimal("10.00"), "EUR")
    client_list = PriceListTerms("pl_client", "EUR", name="Acme prices")
    default = PriceListTerms("pl_default", "EUR", name="Standard")
    candidates = PriceCandidates("EUR", client_list, None, (), default)
    prices = {("pl_client", "CAB-001"): ListPrice(Decimal("9.00"), (Tier(10, Decimal("8.50")), Tier(50, Decimal("8.00")))),
              ("pl_default", "CAB-001"): ListPrice(Decimal("7.00"))}
    chain = candidates.chain(TODAY)
    assert resolve_price(product, chain, prices, 1).price == Decimal("9.00")
    assert resolve_price(product, chain, prices, 10).price == Decimal("8.50")
    assert resolve_price(product, chain, prices, 49).price == Decimal("8.50")
    assert resolve_price(product, chain, prices, 500).price == Decimal("8.00")
    # the cheaper default list never wins over the client's own list, whatever the quantity
    assert resolve_price(product, chain, prices, 500).source is PriceSource.CLIENT


def test_trace_names_every_level_and_why_it_did_or_did_not_price():
    product = ProductPrice("CAB-001", Decimal("10.00"), "EUR")
    expired = PriceListTerms("pl_client", "EUR", valid_to=TODAY - timedelta(days=1), name="Acme 2025")
    group = PriceListTerms("pl_group", "EUR", name="Resellers")
    promo = PriceListTerms("pl_promo", "RON", is_promotion=True, valid_from=TODAY, valid_to=TODAY, name="Black Friday")
    candidates = PriceCandidates("EUR", expired, group, (promo,), None, has_group=True)
    prices = {("pl_client", "CAB-001"): ListPrice(Decimal("6.00")), ("pl_group", "CAB-001"): ListPrice(Decimal("9.00"))}
    result = explain_price(product, candidates, prices, TODAY)
    assert result.price.source is PriceSource.GROUP and result.price.price == Decimal("9.00")
    steps = [(s.level.value, s.applies, s.reason) for s in result.trace]
    assert steps == [
        ("client", False, "Ended on 2026-11-26."),
        ("group", True, "Sets the price: the first level with a price."),
        ("promotion", False, "In RON; the client buys in EUR."),
        ("default", False, "There is no default price list."),
        ("base", True, "Not reached: a list prices it."),
    ]


def test_quantity_step_is_one_rule_for_every_order():
    box = Orderable("BOX-006", min_qty=6, max_qty=None, qty_step=6)
    check_quantity(box, 12, "lines[0].qty")
    try:
        check_quantity(box, 8, "lines[0].qty")
        raise AssertionError("8 boxes of 6 accepted")
    except ValidationFailed as exc:
        assert exc.code == "qty_step" and exc.field == "lines[0].qty" and "6 or 12" in exc.message


def test_csv_rows_are_checked_with_row_and_column():
    parsed = parse_products(HEADER + "CAB-1,Cable,Cables,pcs,1.50,EUR,19,,,,yes\n"
                            "CAB-2,Cable 2,Cables,pcs,abc,EUR,19,,,,yes\n"
                            "CAB-1,Again,Cables,pcs,1,EUR,19,,,,yes\n"
                            "CAB-3,Box,Cables,pcs,1,EUR,19,10,,4,yes\n")
    assert [(e.row, e.field, e.code) for e in parsed.errors] == [
        (3, "base_price", "invalid_amount"), (4, "sku", "duplicate_sku"), (5, "min_qty", "invalid_qty_step")]
    bad_header = parse_products("sku,name,colour\n")
    assert {e.code for e in bad_header.errors} == {"unknown_column", "missing_column"}
    tiers = parse_price_items("sku,price,tiers\nCAB-1,9.00,10=8.50; 50=8.00\nCAB-2,9.00,10=9.50\n")
    assert tiers.rows[0][1]["price"].tiers == (Tier(10, Decimal("8.50")), Tier(50, Decimal("8.00")))
    assert [(e.row, e.code) for e in tiers.errors] == [(3, "tier_not_lower")]


# --- products -----------------------------------------------------------------------------

def test_staff_list_every_product_with_a_cursor_including_hidden_ones(api, world):
    token = world.admin_token()
    for i in range(5):
        world.product(f"LST-{i:03d}", portal_visible=i != 2)
    first = api.get("/admin/products?q=LST-&limit=3", token)
    assert first.status == 200
    assert [p["sku"] for p in first.body["items"]] == ["LST-000", "LST-001", "LST-002"]
    second = api.get(f"/admin/products?q=LST-&limit=3&cursor={first.body['next_cursor']}", token)
    assert [p["sku"] for p in second.body["items"]] == ["LST-003", "LST-004"]
    assert api.get("/admin/products?cursor=%%%", token).error["code"] == "invalid_cursor"
    assert api.get("/admin/products?limit=0", token).error["code"] == "invalid_limit"


def test_products_are_found_by_a_word_of_their_name(api, world):
    token = world.admin_token()
    world.product("NW-001", name="Hidden fibre spool", portal_visible=False)
    world.product("NW-002", name="Copper spool")
    found = api.get("/admin/products?q=spool", token).body["items"]
    assert [p["sku"] for p in found] == ["NW-001", "NW-002"]


def test_a_product_is_edited_field_by_field_and_stock_is_left_alone(api, world):
    token = world.admin_token()
    world.product("ED-001", qty_on_hand=40)
    reply = api.call("PATCH", "/admin/products/ED-001", {"name": "Patch cable 3m", "base_price": "12.40", "vat_rate": "9",
                                                         "min_qty": 6, "max_qty": 600, "qty_step": 6, "min_stock": 20,
                                                         "portal_visible": False}, token)
    assert reply.status == 200, reply.text
    assert {k: reply.body[k] for k in ("name", "base_price", "qty_step", "min_stock", "portal_visible", "qty_on_hand")} == {
        "name": "Patch cable 3m", "base_price": "12.40", "qty_step": 6, "min_stock": 20, "portal_visible": False,
        "qty_on_hand": 40}
    stored = ProductItem.get(product_pk("ED-001"), "PRODUCT")
    assert stored.gsi1pk is None and stored.gsi3pk == "PRODUCTS"  # hidden from the portal, still in the back office


def test_bad_product_edits_name_the_field(api, world):
    token = world.admin_token()
    world.product("ED-002", min_qty=10)
    cases = [({"qty_step": 3}, 422, "invalid_qty_step", "min_qty"), ({"vat_rate": "101"}, 422, "invalid_value", "vat_rate"),
             ({"min_qty": 50, "max_qty": 5}, 422, "invalid_quantity_range", "max_qty"),
             ({"qty_on_hand": 5}, 422, "unknown_field", "qty_on_hand"), ({}, 422, "missing_field", "name"),
             ({"base_price": "x"}, 422, "invalid_value", "base_price")]
    for body, status, code, field in cases:
        reply = api.call("PATCH", "/admin/products/ED-002", body, token)
        assert (reply.status, reply.error["code"], reply.error.get("field")) == (status, code, field), body
    assert api.call("PATCH", "/admin/products/NOPE-1", {"name": "x"}, token).status == 404
    _, agent = world.staff("agent")
    assert api.call("PATCH", "/admin/products/ED-002", {"name": "x"}, agent).status == 403


def test_buyers_order_in_the_products_quantity_step(api, world):
    token = world.admin_token()
    world.product("STEP-1", base_price=Decimal("2.00"), qty_on_hand=100)
    client = world.client("Acme SRL", addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    _, buyer = world.buyer(client)
    api.call("PATCH", "/admin/products/STEP-1", {"qty_step": 5}, token)
    item = api.get("/portal/catalogue/STEP-1", buyer).body
    assert item["qty_step"] == 5
    refused = api.post("/portal/orders", {"lines": [{"sku": "STEP-1", "qty": 7}]}, buyer, headers={"Idempotency-Key": "k-step-1"})
    assert refused.status == 422 and refused.error["code"] == "qty_step" and refused.error["field"] == "lines[0].qty"
    placed = api.post("/portal/orders", {"lines": [{"sku": "STEP-1", "qty": 10}]}, buyer, headers={"Idempotency-Key": "k-step-2"})
    assert placed.status == 201, placed.text


def test_stock_adjustments_keep_a_movement_log_and_never_go_below_zero(api, world):
    token = world.admin_token()
    world.product("STK-1", qty_on_hand=10)
    added = api.post("/admin/products/STK-1/stock-adjustments", {"delta": 15, "reason": "received", "note": "PO 4411"}, token)
    assert added.status == 201 and added.body["qty_on_hand"] == 25
    taken = api.post("/admin/products/STK-1/stock-adjustments", {"delta": -5, "reason": "damaged"}, token)
    assert taken.body["qty_on_hand"] == 20
    too_many = api.post("/admin/products/STK-1/stock-adjustments", {"delta": -21, "reason": "count"}, token)
    assert too_many.status == 409 and too_many.error["code"] == "insufficient_stock"
    assert api.post("/admin/products/STK-1/stock-adjustments", {"delta": 1, "reason": "gift"}, token).error["field"] == "reason"
    assert api.post("/admin/products/STK-1/stock-adjustments", {"delta": 0, "reason": "count"}, token).error["field"] == "delta"
    log = api.get("/admin/products/STK-1/stock-movements", token).body["items"]
    assert [(m["delta"], m["reason"], m["note"]) for m in log] == [(-5, "damaged", None), (15, "received", "PO 4411")]
    assert api.get("/admin/products/STK-1", token).body["qty_on_hand"] == 20


def test_import_dry_run_shows_what_would_happen_and_writes_nothing(api, world):
    token = world.admin_token()
    world.product("IMP-001", name="Old name", qty_on_hand=7)
    text = HEADER + "IMP-001,New name,Cables,pcs,3.00,EUR,19,,,,yes\nIMP-002,Fresh,Cables,m,1.25,EUR,19,10,1000,10,no\n"
    dry = csv_post(api, "/admin/products/import?dry_run=true", text, token)
    assert dry.status == 200 and dry.body | {} == {"created": 1, "updated": 1, "unchanged": 0, "errors": [], "dry_run": True}
    assert api.get("/admin/products/IMP-002", token).status == 404
    done = csv_post(api, "/admin/products/import?dry_run=false", text, token)
    assert (done.body["created"], done.body["updated"]) == (1, 1)
    old = api.get("/admin/products/IMP-001", token).body
    assert old["name"] == "New name" and old["qty_on_hand"] == 7  # the import never touches stock
    fresh = api.get("/admin/products/IMP-002", token).body
    assert (fresh["unit"], fresh["qty_step"], fresh["portal_visible"]) == ("m", 10, False)
    again = csv_post(api, "/admin/products/import", text, token)
    assert (again.body["created"], again.body["updated"], again.body["unchanged"]) == (0, 0, 2)


def test_a_file_with_one_bad_row_changes_nothing(api, world):
    token = world.admin_token()
    text = HEADER + "BAD-001,Good,Cables,pcs,3.00,EUR,19,,,,yes\nBAD-002,Bad,Cables,pcs,3.00,euro,19,,,,yes\n"
    reply = csv_post(api, "/admin/products/import?dry_run=false", text, token)
    assert reply.status == 200
    assert reply.body["errors"] == [{"row": 3, "field": "currency", "code": "invalid_currency",
                                     "message": "currency 'euro' is not a code like EUR."}]
    assert (reply.body["created"], reply.body["updated"]) == (0, 0)
    assert api.get("/admin/products/BAD-001", token).status == 404
    assert csv_post(api, "/admin/products/import?dry_run=maybe", text, token).error["field"] == "dry_run"
    assert api.post("/admin/products/import", {"rows": []}, token).status == 415


def test_export_gives_back_what_the_import_takes(api, world):
    token = world.admin_token()
    world.product("EXP-001", name="Cable, 2m \"grey\"", qty_on_hand=3)
    reply = api.get("/admin/exports/products", token)
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/csv")
    assert 'EXP-001,"Cable, 2m ""grey""",General,pcs,100.00,EUR,19,,,,yes,,3,0' in reply.text
    again = csv_post(api, "/admin/products/import?dry_run=true", reply.text.split("\n", 1)[0].rsplit(",", 3)[0].replace(",min_stock", "") + "\n", token)
    assert again.body["errors"][0]["code"] == "empty_file"


# --- price lists --------------------------------------------------------------------------

def test_price_list_header_moves_from_one_client_to_another(api, world):
    token = world.admin_token()
    world.product("PL-001", base_price=Decimal("10.00"))
    acme, beta = world.client("Acme"), world.client("Beta")
    pl = world.price_list({"PL-001": "8.00"}, client_id=acme)
    _, acme_buyer = world.buyer(acme)
    _, beta_buyer = world.buyer(beta)
    assert api.get("/portal/catalogue/PL-001", acme_buyer).body["price"] == "8.00"
    moved = api.call("PATCH", f"/admin/price-lists/{pl}", {"client_id": beta, "name": "Beta prices",
                                                             "valid_from": "2020-01-01"}, token)
    assert moved.status == 200 and moved.body["client_id"] == beta and moved.body["name"] == "Beta prices"
    assert api.get("/portal/catalogue/PL-001", acme_buyer).body["price"] == "10.00"
    assert api.get("/portal/catalogue/PL-001", beta_buyer).body["price"] == "8.00"
    other = world.price_list({"PL-001": "7.00"}, client_id=acme)
    taken = api.call("PATCH", f"/admin/price-lists/{other}", {"client_id": beta}, token)
    assert taken.status == 409 and taken.error["code"] == "price_list_exists"
    bad = api.call("PATCH", f"/admin/price-lists/{pl}", {"valid_from": "2027-01-02", "valid_to": "2027-01-01"}, token)
    assert bad.status == 422 and bad.error["field"] == "valid_to"


def test_items_with_tiers_price_the_catalogue_and_orders(api, world):
    token = world.admin_token()
    world.product("TIER-1", base_price=Decimal("10.00"), qty_on_hand=1000)
    client = world.client("Acme", addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    pl = world.price_list({"TIER-1": "9.00"}, client_id=client)
    _, buyer = world.buyer(client)
    put = api.put(f"/admin/price-lists/{pl}/items/TIER-1", {"price": "9.00", "tiers": [{"min_qty": 50, "price": "8.00"},
                                                                                     {"min_qty": 10, "price": "8.50"}]}, token)
    assert put.status == 200 and put.body["tiers"] == [{"min_qty": 10, "price": "8.50"}, {"min_qty": 50, "price": "8.00"}]
    item = api.get("/portal/catalogue/TIER-1", buyer).body
    assert item["price"] == "9.00" and item["tiers"] == [{"min_qty": 10, "price": "8.50"}, {"min_qty": 50, "price": "8.00"}]
    order = api.post("/portal/orders", {"lines": [{"sku": "TIER-1", "qty": 20}]}, buyer, headers={"Idempotency-Key": "tier-1"})
    assert order.status == 201 and order.body["lines"][0]["unit_price"] == "8.50"
    why = api.get(f"/admin/clients/{client}/prices/TIER-1?qty=60", token).body
    assert why["price"] == "8.00" and why["price_source"] == "client"
    higher = api.put(f"/admin/price-lists/{pl}/items/TIER-1", {"price": "9.00", "tiers": [{"min_qty": 10, "price": "9.50"}]}, token)
    assert higher.status == 422 and higher.error["code"] == "tier_not_lower"
    assert api.put(f"/admin/price-lists/{pl}/items/TIER-1", {"price": "9.00", "tiers": [{"min_qty": 1, "price": "8"}]},
                   token).error["field"] == "tiers[0].min_qty"


def test_an_item_and_a_whole_list_are_deleted(api, world):
    token = world.admin_token()
    world.product("DEL-1", base_price=Decimal("10.00"))
    client = world.client("Acme")
    pl = world.price_list({"DEL-1": "8.00"}, client_id=client)
    _, buyer = world.buyer(client)
    assert api.delete(f"/admin/price-lists/{pl}/items/DEL-1", token).status == 204
    assert api.delete(f"/admin/price-lists/{pl}/items/DEL-1", token).status == 404
    assert api.get("/portal/catalogue/DEL-1", buyer).body["price_source"] == "base"
    assert api.delete(f"/admin/price-lists/{pl}", token).status == 204
    assert api.get(f"/admin/price-lists/{pl}", token).status == 404
    assert api.get(f"/admin/clients/{client}", token).body["price_list_id"] is None
    assert world.price_list({"DEL-1": "7.00"}, client_id=client)  # the client can have a new list


def test_price_list_csv_with_an_unknown_product_changes_nothing_then_imports_when_fixed(api, world):
    token = world.admin_token()
    world.product("CSV-1")
    world.product("CSV-2")
    pl = world.price_list({"CSV-1": "50.00"}, is_default=False, group_id=world.group("Wholesale"))
    bad = csv_post(api, f"/admin/price-lists/{pl}/import?dry_run=false", "sku,price,tiers\nCSV-1,45.00,\nCSV-9,1.00,\n", token)
    assert bad.body["errors"] == [{"row": 3, "field": "sku", "code": "unknown_product", "message": "No product CSV-9."}]
    assert api.get(f"/admin/price-lists/{pl}", token).body["items"][0]["price"] == "50.00"
    good = csv_post(api, f"/admin/price-lists/{pl}/import?dry_run=false", "sku,price,tiers\nCSV-1,45.00,\nCSV-2,30.00,10=28.00\n", token)
    assert good.body | {} == {"created": 1, "updated": 1, "errors": [], "dry_run": False}
    exported = api.get(f"/admin/price-lists/{pl}/export", token).text
    assert exported == "sku,price,tiers\nCSV-1,45.00,\nCSV-2,30.00,10=28.00\n"


def test_why_this_price_traces_every_level(api, world):
    token = world.admin_token()
    world.product("WHY-1", base_price=Decimal("10.00"))
    group = world.group("Resellers")
    client = world.client("Acme", group_id=group)
    world.price_list({"WHY-1": "9.00"}, group_id=group, name="Resellers 2026")
    world.price_list({"WHY-1": "9.50"}, is_default=True, name="Standard") if not _has_default(api, token) else None
    why = api.get(f"/admin/clients/{client}/prices/WHY-1", token)
    assert why.status == 200
    body = why.body
    assert (body["price"], body["price_source"], body["currency"]) == ("9.00", "group", "EUR")
    levels = {step["level"]: step for step in body["trace"]}
    assert levels["client"]["applies"] is False and levels["client"]["reason"] == "The client has no price list of its own."
    assert levels["group"]["applies"] is True and levels["group"]["name"] == "Resellers 2026"
    assert levels["base"]["price"] == "10.00" and levels["base"]["applies"] is True
    # the catalogue tells the same story
    _, buyer = world.buyer(client)
    assert api.get("/portal/catalogue/WHY-1", buyer).body["price"] == body["price"]
    assert api.get(f"/admin/clients/{client}/prices/NOPE-9", token).status == 404
    assert api.get(f"/admin/clients/cli_nope/prices/WHY-1", token).status == 404
    assert api.get(f"/admin/clients/{client}/prices/WHY-1?qty=0", token).error["code"] == "invalid_quantity"


def _has_default(api, token):
    return bool(api.get("/admin/price-lists?is_default=true", token).body["items"])


def test_a_large_import_changes_every_product_and_keeps_their_stock(api, world):
    token = world.admin_token()
    rows = "".join(f"BULK-{i:03d},Shelf bracket {i},Hardware,pcs,{10 + i}.00,EUR,19,,,,yes\n" for i in range(80))
    assert csv_post(api, "/admin/products/import?dry_run=false", HEADER + rows, token).body["created"] == 80
    api.post("/admin/products/BULK-042/stock-adjustments", {"delta": 9, "reason": "received"}, token)
    renamed = rows.replace("Shelf bracket", "Wall bracket").replace("Hardware", "Fixings")
    done = csv_post(api, "/admin/products/import?dry_run=false", HEADER + renamed, token)
    assert (done.body["created"], done.body["updated"]) == (0, 80)  # packed into several transactions of <= 100 items
    product = api.get("/admin/products/BULK-042", token).body
    assert (product["name"], product["category"], product["qty_on_hand"]) == ("Wall bracket 42", "Fixings", 9)
    assert [p["sku"] for p in api.get("/admin/products?q=wall+bracket&limit=3", token).body["items"]] == ["BULK-000", "BULK-001", "BULK-002"]
    assert api.get("/admin/products?q=shelf", token).body["items"] == []  # the old name's words are gone
    fixings = api.get("/admin/products?category=Fixings&limit=50", token).body
    assert len(fixings["items"]) == 50 and all(p["category"] == "Fixings" for p in fixings["items"])
    rest = api.get(f"/admin/products?category=Fixings&limit=50&cursor={fixings['next_cursor']}", token).body
    assert len(rest["items"]) == 30 and rest["next_cursor"] is None
    assert api.get("/admin/products?category=Hardware", token).body["items"] == []  # moved with the rename
    assert [p["sku"] for p in api.get("/admin/products?category=fixings&q=BULK-07", token).body["items"]] == [
        f"BULK-07{i}" for i in range(10)]


def test_a_product_page_description_and_datasheet_link_are_edited_and_only_https_links_are_taken(api, world):
    token = world.admin_token()
    world.product("DS-001")
    reply = api.call("PATCH", "/admin/products/DS-001", {"description": "Cat 6, 2 m", "datasheet_url": "https://maker.example/ds.pdf"}, token)
    assert reply.status == 200 and (reply.body["description"], reply.body["datasheet_url"]) == ("Cat 6, 2 m", "https://maker.example/ds.pdf")
    for link in ("javascript:alert(1)", "http://maker.example/ds.pdf", "https://maker.example/a b.pdf"):
        refused = api.call("PATCH", "/admin/products/DS-001", {"datasheet_url": link}, token)
        assert (refused.status, refused.error["field"]) == (422, "datasheet_url"), link
    cleared = api.call("PATCH", "/admin/products/DS-001", {"datasheet_url": None}, token)
    assert cleared.status == 200 and cleared.body["datasheet_url"] is None
