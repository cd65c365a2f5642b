"""The stored cart, quick order, saved lists, "order these again" and the order mail drop, in real headless
Chromium against the local stack."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.services import ordering
from chalicelib.store import orders as order_store
from chalicelib.store.models import ProductItem
from chalicelib.store.products import find_products
from tests.test_web_ordering import add_to_cart, people, shop, sign_in, submit  # noqa: F401 - a browser context per person
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

pytestmark = pytest.mark.browser


def sign_out(page):
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")


def orders_of(client):
    return order_store.for_client(client, limit=10, after=None)[0]


def test_cart_survives_sign_out_and_follows_the_buyer_to_another_browser(people, http_server, world):
    acme = shop(world)
    laptop = people()
    sign_in(laptop, http_server, acme.buyer.email)
    add_to_cart(laptop, "CAB-001", 3)
    add_to_cart(laptop, "NET-001", 1)
    assert laptop.inner_text("#nav-cart") == "Cart (2)"
    sign_out(laptop)
    sign_in(laptop, http_server, acme.buyer.email)
    assert laptop.inner_text("#nav-cart") == "Cart (2)"
    laptop.click("#nav-cart")
    laptop.wait_for_url("**/cart")
    assert [r.get_attribute("data-sku") for r in laptop.query_selector_all("#cart tbody tr")] == ["CAB-001", "NET-001"]

    phone = people()  # another browser: no cookies shared
    sign_in(phone, http_server, acme.buyer.email)
    assert phone.inner_text("#nav-cart") == "Cart (2)"
    phone.goto(f"{http_server}/cart")
    assert phone.inner_text('#cart tr[data-sku="CAB-001"] .line-total') == "24.00 EUR"
    phone.fill('#cart tr[data-sku="CAB-001"] input[name=qty]', "5")
    submit(phone, "#update-cart")
    laptop.reload()
    assert laptop.input_value('#cart tr[data-sku="CAB-001"] input[name=qty]') == "5"


def test_a_second_tab_cannot_check_out_the_same_cart_again(people, http_server, world):
    acme = shop(world)
    first_tab = people()
    sign_in(first_tab, http_server, acme.buyer.email)
    add_to_cart(first_tab, "CAB-001", 2)
    second_tab = first_tab.context.new_page()
    second_tab.goto(f"{http_server}/checkout")
    first_tab.goto(f"{http_server}/checkout")
    submit(first_tab, "#place-order")
    assert "is placed" in first_tab.inner_text("#flash-notice")
    number = first_tab.inner_text("#order-number")

    submit(second_tab, "#place-order")
    message = second_tab.inner_text("#checkout-error")
    assert "already checked out" in message and number in message
    assert second_tab.inner_text("h1") == "Checkout" and second_tab.inner_text("#nav-cart") == "Cart (0)"
    assert len(orders_of(acme.client)) == 1


def test_a_stale_checkout_page_is_refused_after_the_cart_changed(people, http_server, world):
    acme = shop(world)
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    add_to_cart(buyer, "CAB-001", 2)
    other = buyer.context.new_page()
    other.goto(f"{http_server}/checkout")
    add_to_cart(buyer, "NET-001", 1)  # the cart changes after the checkout page was opened
    submit(other, "#place-order")
    assert "changed since this page was opened" in other.inner_text("#checkout-error")
    assert [r.get_attribute("data-sku") for r in other.query_selector_all("#checkout-lines tbody tr")] == ["CAB-001", "NET-001"]
    submit(other, "#place-order")  # the page now shows the current cart: this one goes through
    assert "is placed" in other.inner_text("#flash-notice") and len(orders_of(acme.client)) == 1


def test_quick_order_adds_pasted_lines_and_lists_the_bad_ones(people, http_server, world, tmp_path):
    acme = shop(world)
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.click(".sidebar >> text=Quick order")
    buyer.wait_for_url("**/quick-order")
    buyer.fill("#lines", "CAB-001, 4\nNOPE-42, 1\nNET-001, lots\n")
    submit(buyer, "#add-lines")
    assert "1 line added" in buyer.inner_text("#quick-order-result")
    assert "We have no product NOPE-42" in buyer.inner_text('#import-errors tr[data-row="2"]')
    assert "whole number" in buyer.inner_text('#import-errors tr[data-row="3"]')
    assert buyer.input_value("#lines").startswith("CAB-001, 4")  # what was pasted stays, to fix and send again

    csv = tmp_path / "order.csv"
    csv.write_text("SKU,Qty\nNET-001,2\nBOX-010,3\n")
    buyer.fill("#lines", "")
    buyer.set_input_files("#file", str(csv))
    submit(buyer, "#add-lines")
    assert "2 lines added to your cart from order.csv" in buyer.inner_text("#quick-order-result")
    assert buyer.inner_text("#nav-cart") == "Cart (3)"
    buyer.click("#to-cart")
    buyer.wait_for_url("**/cart")
    assert "at least 10" in buyer.inner_text('#cart tr[data-sku="BOX-010"]') and buyer.query_selector("#to-checkout") is None


def test_order_these_again_fills_the_cart_and_shows_the_price_changes(people, http_server, world):
    acme = shop(world)
    first = ordering.place(acme.buyer, {"lines": [{"sku": "CAB-001", "qty": 4}, {"sku": "NET-001", "qty": 1}],
                                        "client_reference": "PO-OLD"})
    find_products(["NET-001"])["NET-001"].update(actions=[ProductItem.base_price.set(Decimal("115.00"))])
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.goto(f"{http_server}/orders/{first.id}")
    submit(buyer, "#reorder")
    assert buyer.url.endswith("/cart")
    change = buyer.locator('#flash-price-changes li[data-sku="NET-001"]')
    assert (change.locator(".old-price").inner_text(), change.locator(".new-price").inner_text()) == ("100.00", "115.00")
    assert buyer.query_selector('#flash-price-changes li[data-sku="CAB-001"]') is None
    assert buyer.inner_text('#cart tr[data-sku="NET-001"] .unit-price') == "115.00 EUR"
    assert [o.id for o in orders_of(acme.client)] == [first.id]  # nothing was ordered
    buyer.click("#to-checkout")
    buyer.wait_for_url("**/checkout")
    assert buyer.input_value("#client_reference") == ""  # the old PO number is not reused


def test_favourites_from_the_catalogue_go_into_the_cart(people, http_server, world):
    acme = shop(world)
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    row = buyer.locator('#catalogue tr[data-sku="NET-001"]')
    row.locator("input[name=qty]").fill("2")
    with buyer.expect_navigation():
        row.get_by_role("button", name="Add NET-001 to your favourites").click()
    assert "on your list “Favourites”" in buyer.inner_text("#flash-notice")
    buyer.click(".sidebar >> text=Saved lists")
    buyer.wait_for_url("**/saved-lists")
    with buyer.expect_navigation():
        buyer.get_by_role("button", name="Put Favourites in the cart").click()
    assert buyer.url.endswith("/cart") and buyer.input_value('#cart tr[data-sku="NET-001"] input[name=qty]') == "2"


def test_an_emailed_order_with_an_unknown_sku_gets_a_reply_listing_it(people, http_server, world, local_pages, tmp_path):
    acme = shop(world)
    sheet = tmp_path / "po-77.csv"
    sheet.write_text("CAB-001,6\nXYZ-999,2\n")
    drop = people()
    drop.goto(f"{http_server}/local/mail-drop")
    drop.fill("#from", acme.buyer.email)
    drop.fill("#subject", "PO-77")
    drop.set_input_files("#file", str(sheet))
    submit(drop, "#drop")
    assert drop.get_attribute("#outcome", "data-outcome") == "ordered"
    [order] = orders_of(acme.client)
    assert (order.origin, order.status, [(m.sku, m.qty) for m in order.lines]) == ("email", "draft", [("CAB-001", 6)])

    drop.goto(f"{http_server}/local/outbox")
    reply = drop.locator("article", has_text="Re: PO-77").first
    assert "XYZ-999" in reply.inner_text() and order.number in reply.inner_text()

    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.goto(f"{http_server}/orders/{order.id}")
    assert buyer.inner_text("#order-origin") == "Email"
