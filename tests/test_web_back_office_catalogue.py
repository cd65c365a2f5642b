"""The back office's catalogue and price pages in headless Chromium: a price-list CSV with an error is fixed and
imported, a product CSV likewise, a product's quantity step reaches the buyer's cart, the client preview and the price trace."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.store import price_lists as price_list_store
from chalicelib.store.products import get_product
from chalicelib.store.users import find_user
from tests.test_web_ordering import add_to_cart, people, sign_in, submit  # noqa: F401 - fixtures and steps
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

pytestmark = pytest.mark.browser

HQ = {"label": "HQ", "line1": "Str. Memorandumului 1", "city": "Cluj-Napoca", "postcode": "400000", "country": "RO"}


def staff_member(world, role="manager"):
    user_id, _ = world.staff(role)
    return find_user(user_id).email


def test_a_product_csv_with_an_error_is_fixed_previewed_and_imported(people, http_server, world):
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"))
    manager = people()
    sign_in(manager, http_server, staff_member(world), lands="**/agent/orders")
    manager.click(".sidebar >> text=Products")
    manager.wait_for_url("**/agent/products")
    manager.click("#import-link")
    manager.wait_for_url("**/agent/import/products")

    header = "sku,name,category,unit,base_price,currency,vat_rate\n"
    manager.fill("#f-csv", header + "CAB-001,Patch cable 2m,Cables,pcs,11.00,EUR,19\nSW-24,Switch 24p,Network,pcs,abc,EUR,19\n")
    submit(manager, "#check-import")
    row = manager.locator('#row-errors tr[data-row="3"]')
    assert row.inner_text().split("\t")[:2] == ["3", "base_price"]
    assert manager.query_selector("#confirm-import") is None
    assert get_product("CAB-001").base_price == Decimal("10.00")  # a file with an error changes nothing

    manager.fill("#f-csv", header + "CAB-001,Patch cable 2m,Cables,pcs,11.00,EUR,19\nSW-24,Switch 24p,Network,pcs,250.00,EUR,19\n")
    submit(manager, "#check-import")
    assert manager.inner_text("#preview-summary") == "Ready: 1 new, 1 changed, 0 unchanged."
    assert get_product("CAB-001").base_price == Decimal("10.00")  # checked, not yet written
    submit(manager, "#confirm-import")
    manager.wait_for_url("**/agent/products")
    assert manager.inner_text("#flash-notice") == "Imported: 1 new, 1 changed, 0 unchanged."
    assert get_product("CAB-001").base_price == Decimal("11.00") and get_product("SW-24").name == "Switch 24p"


def test_a_price_list_csv_with_an_error_is_fixed_and_imported(people, http_server, world, tmp_path):
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"))
    world.product("NET-001", name="Gigabit switch", base_price=Decimal("100.00"))
    acme = world.client("Acme SRL")
    pl = world.price_list({"CAB-001": "9.00"}, client_id=acme, name="Acme 2026")
    manager = people()
    sign_in(manager, http_server, staff_member(world), lands="**/agent/orders")
    manager.click(".sidebar >> text=Price lists")
    manager.wait_for_url("**/agent/price-lists")
    manager.click(f'#price-lists tr[data-id="{pl}"] a')
    manager.wait_for_url(f"**/agent/price-lists/{pl}")

    bad = tmp_path / "acme.csv"
    bad.write_text("sku,price,tiers\nCAB-001,8.50,10=8.00\nNET-00l,95.00,\n")
    manager.set_input_files("#f-file", str(bad))
    submit(manager, "#check-import")
    row = manager.locator('#row-errors tr[data-row="3"]')
    assert row.inner_text().split("\t") == ["3", "sku", "No product NET-00l."]
    assert manager.query_selector("#confirm-import") is None
    assert price_list_store.list_price(price_list_store.find_price(pl, "CAB-001")).price == Decimal("9.00")  # nothing changed

    manager.fill("#f-csv", "sku,price,tiers\nCAB-001,8.50,10=8.00\nNET-001,95.00,\n")
    manager.set_input_files("#f-file", [])
    submit(manager, "#check-import")
    assert manager.inner_text("#preview-summary") == "Ready: 1 new prices, 1 changed."
    submit(manager, "#confirm-import")
    assert manager.inner_text("#flash-notice") == "Imported: 1 new prices, 1 changed."
    assert manager.input_value('#items tr[data-sku="CAB-001"] input.price') == "8.50"
    assert manager.input_value('#items tr[data-sku="CAB-001"] input.tiers') == "10=8.00"
    assert manager.input_value('#items tr[data-sku="NET-001"] input.price') == "95.00"

    # inline: a volume price above the price is explained beside the item, then removed
    manager.fill('#items tr[data-sku="NET-001"] input.tiers', "5=99.00")
    submit(manager, '#items tr[data-sku="NET-001"] button[type=submit] >> text=Save')
    assert "must be below the price" in manager.inner_text('#items tr[data-sku="NET-001"] .field-error')
    submit(manager, '#items tr[data-sku="NET-001"] button >> text=Remove')
    assert manager.query_selector('#items tr[data-sku="NET-001"]') is None


def test_a_products_quantity_step_is_enforced_in_the_buyers_cart(people, http_server, world):
    world.product("BOX-006", name="Cable box", base_price=Decimal("5.00"), qty_on_hand=500)
    acme = world.client("Acme SRL", addresses=[HQ])
    contact_id, _ = world.buyer(acme)
    manager = people()
    sign_in(manager, http_server, staff_member(world), lands="**/agent/orders")
    manager.click(".sidebar >> text=Products")
    manager.fill("#product-search", "BOX-006")
    submit(manager, "form[role=search] button")
    manager.click('#products tr[data-sku="BOX-006"] a')
    manager.wait_for_url("**/agent/products/BOX-006")
    manager.fill("#f-min_qty", "4")
    manager.fill("#f-qty_step", "6")
    submit(manager, "#save-product")
    assert manager.inner_text("#e-min_qty") == "min_qty (4) must be a multiple of the quantity step (6)."
    assert manager.input_value("#f-qty_step") == "6"  # what was typed stays
    manager.fill("#f-min_qty", "6")
    submit(manager, "#save-product")
    assert manager.inner_text("#flash-notice") == "Product saved."
    assert get_product("BOX-006").qty_step == 6

    buyer = people()
    sign_in(buyer, http_server, find_user(contact_id).email)
    add_to_cart(buyer, "BOX-006", 8)
    buyer.goto(f"{http_server}/cart")
    assert "sold in multiples of 6: order 6 or 12" in buyer.inner_text('#cart tr[data-sku="BOX-006"]')
    assert buyer.query_selector("#to-checkout") is None
    buyer.fill('#cart tr[data-sku="BOX-006"] input[name=qty]', "12")
    submit(buyer, "#update-cart")
    assert buyer.query_selector("#to-checkout") is not None


def test_stock_adjustment_with_a_reason_shows_in_the_movement_log(people, http_server, world):
    world.product("STK-001", name="Rack shelf", qty_on_hand=10)
    warehouse = people()
    sign_in(warehouse, http_server, staff_member(world, "warehouse"), lands="**/agent/**")
    warehouse.goto(f"{http_server}/agent/products/STK-001")
    assert warehouse.is_disabled("#f-name")  # the warehouse counts stock, it does not edit the catalogue
    warehouse.fill("#f-delta", "-11")
    submit(warehouse, "#adjust-stock")
    assert "fewer than 11 units" in warehouse.inner_text("#e-delta")
    warehouse.fill("#f-delta", "+24")
    warehouse.select_option("#f-reason", "received")
    warehouse.fill("#f-note", "Supplier DN 5512")
    submit(warehouse, "#adjust-stock")
    assert warehouse.inner_text("#qty-on-hand") == "34"
    assert warehouse.inner_text("#movements tbody tr >> nth=0").split("\t")[1:4] == ["+24", "Goods received", "Supplier DN 5512"]


def test_preview_as_client_shows_its_prices_and_why_this_price_shows_the_trace(people, http_server, world):
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=70)
    world.product("NET-001", name="Gigabit switch", base_price=Decimal("100.00"))
    group = world.group("Resellers")
    acme = world.client("Acme SRL", group_id=group)
    world.price_list({"CAB-001": "8.00"}, client_id=acme, name="Acme 2026")
    world.price_list({"NET-001": "90.00"}, group_id=group, name="Resellers")
    world.buyer(acme, orders=True, place_orders=True)  # may not see stock
    manager = people()
    sign_in(manager, http_server, staff_member(world), lands="**/agent/orders")
    manager.goto(f"{http_server}/agent/clients/{acme}/preview")
    assert manager.inner_text('#catalogue tr[data-sku="CAB-001"] .price') == "8.00 EUR"
    assert manager.inner_text('#catalogue tr[data-sku="CAB-001"] .source') == "Client price list"
    assert manager.inner_text('#catalogue tr[data-sku="NET-001"] .price') == "90.00 EUR"
    assert manager.query_selector("#catalogue .stock") is None and "may not see stock" in manager.inner_text("#preview-note")
    assert manager.query_selector("#catalogue form") is None  # read-only

    manager.click('#catalogue tr[data-sku="NET-001"] .source')
    manager.wait_for_url(f"**/agent/clients/{acme}/prices?sku=NET-001")
    assert "pays 90.00 EUR for 1 × NET-001" in manager.inner_text("#why-summary")
    trace = {r.get_attribute("data-level"): r.inner_text().split("\t") for r in manager.query_selector_all("#trace tbody tr")}
    assert trace["client"][1:] == ["Acme 2026", "–", "No", "Has no price for NET-001."]
    assert trace["group"][1:] == ["Resellers", "90.00", "Yes", "Sets the price: the first level with a price."]
    assert trace["base"][2:] == ["100.00", "Yes", "Not reached: a list prices it."]
