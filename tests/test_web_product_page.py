"""The buyer's product page: their price beside the list price it beats, description, datasheet, stock, add to cart."""
from __future__ import annotations

import pytest

from chalicelib.store.models import ProductItem
from chalicelib.store.products import find_products
from tests.test_web_ordering import people, shop, sign_in, submit  # noqa: F401 - a browser context per person
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

pytestmark = pytest.mark.browser


def test_product_page_shows_your_price_against_the_list_price_and_adds_to_the_cart(people, http_server, world):
    acme = shop(world)
    find_products(["CAB-001"])["CAB-001"].update(actions=[
        ProductItem.description.set("Cat 6 patch cable, 2 m, snagless boots."),
        ProductItem.datasheet_url.set("https://maker.example/cab-001.pdf")])
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.click('#catalogue tr[data-sku="CAB-001"] a.product-link')
    buyer.wait_for_url("**/catalogue/CAB-001")
    assert buyer.inner_text("#product-price") == "8.00 EUR"
    assert buyer.inner_text(".source") == "Your price"
    assert buyer.inner_text("#list-price") == "List price 10.00 EUR: you pay 2.00 EUR less"
    assert buyer.inner_text("#product-description") == "Cat 6 patch cable, 2 m, snagless boots."
    assert buyer.get_attribute("#datasheet", "href") == "https://maker.example/cab-001.pdf"
    assert buyer.inner_text("#product-stock") == "100 pcs"
    buyer.fill("#product-qty", "3")
    submit(buyer, "#add-to-cart")
    assert buyer.url.endswith("/catalogue/CAB-001") and "Cart (1)" in buyer.inner_text("#nav-cart")


def test_a_product_at_the_list_price_shows_no_comparison_and_a_hidden_one_is_not_found(people, http_server, world):
    acme = shop(world, place_orders=True, orders=True)
    world.product("HID-001", name="Prototype", portal_visible=False)
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.goto(f"{http_server}/catalogue/NET-001")
    assert buyer.inner_text(".source") == "List price" and buyer.query_selector("#list-price") is None
    assert buyer.query_selector("#product-stock") is None  # this contact may not see stock
    answer = buyer.goto(f"{http_server}/catalogue/HID-001")
    assert answer.status == 404 and "No product HID-001" in buyer.inner_text("main")
