"""Ordering in the portal's pages, in real headless Chromium: cart, checkout, orders, the agent's review
pages and the reviewer's email links, with the review workflow running on the local stack."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from chalicelib.services import ordering, review
from chalicelib.services.ordering import Buyer
from chalicelib.services.review import review_link
from chalicelib.store import orders as order_store
from chalicelib.store.models import ProductItem
from chalicelib.store.products import find_products
from chalicelib.store.users import find_user
from tests.support.world import PASSWORD
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

pytestmark = pytest.mark.browser

HQ = {"label": "HQ", "line1": "Str. Memorandumului 1", "city": "Cluj-Napoca", "postcode": "400000", "country": "RO"}


@dataclass(frozen=True)
class Shop:
    client: str
    buyer: Buyer
    agent_id: str
    agent_email: str


def shop(world, **buyer_permissions) -> Shop:
    """Acme SRL with its own price for cables, an agent, a buyer, and a box sold by ten."""
    agent_id, _ = world.staff("agent")
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=100)
    world.product("NET-001", name="Gigabit switch", base_price=Decimal("100.00"), qty_on_hand=100)
    world.product("BOX-010", name="Cable box", base_price=Decimal("5.00"), min_qty=10)
    client = world.client("Acme SRL", sale_agent_id=agent_id, addresses=[HQ])
    world.price_list({"CAB-001": "8.00"}, client_id=client)
    contact_id, _ = world.buyer(client, **buyer_permissions)
    return Shop(client, Buyer(contact_id, find_user(contact_id).email, client), agent_id, find_user(agent_id).email)


@pytest.fixture
def people(browser):  # noqa: F811
    """A fresh browser context (own cookies) per person in the test."""
    contexts = []

    def person():
        contexts.append(browser.new_context())
        return contexts[-1].new_page()

    yield person
    for context in contexts:
        context.close()


def sign_in(page, base_url, email, lands="**/dashboard"):
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lands)
    if lands.endswith("/dashboard"):  # a buyer lands on the dashboard; these tests shop from the catalogue
        page.click(".sidebar >> text=Catalogue")
        page.wait_for_url(lands.replace("/dashboard", "/catalogue"))


def add_to_cart(page, sku, qty):
    row = page.locator(f'#catalogue tr[data-sku="{sku}"]')
    row.locator("input[name=qty]").fill(str(qty))
    with page.expect_navigation():
        row.get_by_role("button", name=f"Add {sku} to the cart").click()


def submit(page, selector):
    with page.expect_navigation():
        page.click(selector)


def placed_order(shop: Shop, workflows, lines=(("CAB-001", 3), ("NET-001", 1))):
    """An order placed through the service, waiting for the agent's decision."""
    order = ordering.place(shop.buyer, {"lines": [{"sku": s, "qty": q} for s, q in lines]})
    workflows.until(lambda: order_store.get(order.id).review_task_token, what="the agent's wait")
    return order


def test_buyer_orders_two_products_and_the_agent_approves_them(people, http_server, world, workflows):
    acme = shop(world)
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    assert buyer.inner_text("#nav-cart") == "Cart (0)"
    add_to_cart(buyer, "CAB-001", 3)
    assert "Added 3 × CAB-001" in buyer.inner_text("#flash-notice")
    add_to_cart(buyer, "NET-001", 1)
    assert buyer.inner_text("#nav-cart") == "Cart (2)"

    buyer.click("#nav-cart")
    buyer.wait_for_url("**/cart")
    assert buyer.inner_text('#cart tr[data-sku="CAB-001"] .line-total') == "24.00 EUR"  # the client's 8.00, not 10.00
    assert buyer.inner_text("#cart-totals .total") == "147.56 EUR"  # 124.00 + 19% VAT
    buyer.click("#to-checkout")
    buyer.wait_for_url("**/checkout")
    assert buyer.inner_text("#checkout-totals .subtotal") == "124.00 EUR"
    assert buyer.inner_text("#checkout-totals .vat") == "23.56 EUR"
    assert buyer.is_checked("#delivery input[type=radio] >> nth=0")  # the saved HQ address
    buyer.fill("#client_reference", "PO-7781")
    buyer.fill("#notes", "Deliver before noon")
    submit(buyer, "#place-order")

    assert "/orders/so_" in buyer.url and "is placed" in buyer.inner_text("#flash-notice")
    order_id = buyer.url.rsplit("/", 1)[1]
    number = buyer.inner_text("#order-number")
    assert buyer.inner_text("#order-status") == "Awaiting review" and buyer.inner_text("#nav-cart") == "Cart (0)"
    stored = order_store.get(order_id)
    assert (stored.client_reference, stored.notes, stored.delivery_address.city) == ("PO-7781", "Deliver before noon", "Cluj-Napoca")

    buyer.click(".sidebar >> text=Orders")
    buyer.wait_for_url("**/orders")
    row = buyer.locator(f'#orders tr[data-id="{order_id}"]')
    assert row.locator(".number").inner_text() == number
    assert row.locator(".status").inner_text() == "Awaiting review" and row.locator(".total").inner_text() == "147.56 EUR"

    workflows.until(lambda: order_store.get(order_id).review_task_token, what="the agent's wait")
    agent = people()
    sign_in(agent, http_server, acme.agent_email, lands="**/agent/orders")  # the same sign-in page sends staff here
    agent.click(f'#queue tr[data-id="{order_id}"] a.number')
    agent.wait_for_url(f"**/agent/orders/{order_id}")
    assert "Acme SRL" in agent.inner_text("#client")
    assert "order total 147.56 EUR, credit available 10,000.00 EUR" in agent.inner_text("#check-credit")
    assert agent.inner_text('#check-figures tr[data-sku="CAB-001"] .available') == "100"
    submit(agent, "#approve")
    assert "Approved" in agent.inner_text("#flash-notice") and agent.inner_text("#order-status") == "Accepted"
    assert agent.query_selector("#decide") is None  # decided: no more forms
    assert workflows.finished(order_id) == "SUCCEEDED"

    buyer.goto(f"{http_server}/orders/{order_id}")
    assert buyer.inner_text("#order-status") == "Accepted"
    assert [e.get_attribute("data-kind") for e in buyer.query_selector_all("#timeline li")][:2] == ["placed", "approve"]


def test_a_double_submitted_checkout_places_one_order(people, http_server, world):
    acme = shop(world)
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    add_to_cart(buyer, "CAB-001", 2)
    buyer.goto(f"{http_server}/checkout")
    # Send the same rendered form twice, as an impatient double click does.
    landed = buyer.evaluate("""async () => {
        const body = new URLSearchParams(new FormData(document.querySelector('#checkout')));
        const send = () => fetch('/checkout', {method: 'POST', body, credentials: 'same-origin'}).then(r => r.url);
        return [await send(), await send()];
    }""")
    assert landed[0] == landed[1] and "/orders/so_" in landed[0]
    orders, _ = order_store.for_client(acme.client, limit=10, after=None)
    assert len(orders) == 1


def test_checkout_explains_a_quantity_below_the_minimum_and_a_bad_address(people, http_server, world):
    acme = shop(world)
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    add_to_cart(buyer, "BOX-010", 2)
    buyer.goto(f"{http_server}/cart")
    assert "at least 10" in buyer.inner_text('#cart tr[data-sku="BOX-010"]') and buyer.query_selector("#to-checkout") is None

    buyer.goto(f"{http_server}/checkout")
    error = buyer.locator('#checkout-lines tr[data-sku="BOX-010"] .field-error')
    assert error.inner_text() == "BOX-010 is sold in quantities of at least 10." and error.get_attribute("data-field") == "lines[0]"
    assert buyer.is_disabled("#place-order")
    buyer.evaluate("document.querySelector('#place-order').disabled = false")  # the server decides, not the button
    submit(buyer, "#place-order")
    assert "at least 10" in buyer.inner_text("#checkout-error")
    assert order_store.for_client(acme.client, limit=10, after=None)[0] == []

    buyer.goto(f"{http_server}/cart")
    buyer.fill('#cart tr[data-sku="BOX-010"] input[name=qty]', "10")
    submit(buyer, "#update-cart")
    assert buyer.inner_text("#cart-totals .total") == "59.50 EUR"
    buyer.click("#to-checkout")
    buyer.wait_for_url("**/checkout")
    buyer.check("#new-address")
    buyer.fill("#address_line1", "Calea Victoriei 10")
    buyer.fill("#address_city", "Bucharest")
    buyer.fill("#address_postcode", "010061")
    buyer.fill("#address_country", "R0")
    submit(buyer, "#place-order")
    assert "two-letter code" in buyer.inner_text("#error-address_country")
    assert buyer.get_attribute("#address_country", "aria-invalid") == "true"
    assert buyer.input_value("#address_city") == "Bucharest" and buyer.is_checked("#new-address")  # nothing typed is lost
    buyer.fill("#address_country", "ro")
    submit(buyer, "#place-order")
    order = order_store.get(buyer.url.rsplit("/", 1)[1])
    assert (order.delivery_address.city, order.delivery_address.country, order.total) == ("Bucharest", "RO", Decimal("59.50"))


def test_agent_proposes_changes_and_the_buyer_accepts_them(people, http_server, world, workflows):
    acme = shop(world)
    order = placed_order(acme, workflows)
    agent = people()
    sign_in(agent, http_server, acme.agent_email, lands="**/agent/orders")
    agent.goto(f"{http_server}/agent/orders/{order.id}")
    rows = agent.locator("#modify-lines tbody tr")
    rows.nth(0).locator("input[name=qty]").fill("5")
    rows.nth(0).locator("input[name=unit_price]").fill("7,50")
    rows.nth(1).locator("input[name=qty]").fill("0")  # the switch is out
    agent.fill("#modify-message", "The switch is out of production; cables at a better price")
    submit(agent, "#modify")
    assert "decimal number such as 12.50" in agent.inner_text("#decision-error")
    assert agent.input_value("#modify-message").startswith("The switch")  # nothing typed is lost
    agent.locator("#modify-lines tbody tr").nth(0).locator("input[name=unit_price]").fill("7.50")
    submit(agent, "#modify")
    assert "Changes proposed" in agent.inner_text("#flash-notice")
    assert agent.inner_text("#proposal-totals .total") == "44.63 EUR"  # 5 x 7.50 = 37.50 + 19% VAT
    workflows.until(lambda: order_store.get(order.id).client_task_token, what="the client's wait")

    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.goto(f"{http_server}/orders")
    assert "changes proposed" in buyer.inner_text(f'#orders tr[data-id="{order.id}"]')
    buyer.goto(f"{http_server}/orders/{order.id}")
    assert buyer.inner_text("#proposal-message") == "The switch is out of production; cables at a better price"
    assert buyer.inner_text('#proposal-lines tr[data-sku="CAB-001"] .unit-price') == "7.50 EUR"
    submit(buyer, "#accept-changes")
    assert buyer.inner_text("#order-status") == "Accepted" and buyer.inner_text("#totals .total") == "44.63 EUR"
    assert buyer.query_selector("#proposal") is None
    assert workflows.finished(order.id) == "SUCCEEDED"


def test_order_these_again_puts_the_lines_in_the_cart_and_names_those_left_out(people, http_server, world):
    acme = shop(world)
    first = ordering.place(acme.buyer, {"lines": [{"sku": "CAB-001", "qty": 4}, {"sku": "NET-001", "qty": 1}]})
    switch = find_products(["NET-001"])["NET-001"]
    switch.update(actions=[ProductItem.portal_visible.set(False)])  # withdrawn from the portal since
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.goto(f"{http_server}/orders/{first.id}")
    submit(buyer, "#reorder")
    assert buyer.url.endswith("/cart")  # into the cart, never straight to a new order
    assert "NET-001" in buyer.inner_text('#flash-skipped li[data-sku="NET-001"]')
    assert [r.get_attribute("data-sku") for r in buyer.query_selector_all("#cart tbody tr")] == ["CAB-001"]
    assert [o.id for o in order_store.for_client(acme.client, limit=10, after=None)[0]] == [first.id]


def test_review_link_shows_the_order_and_approves_only_when_confirmed(people, http_server, world, workflows, monkeypatch):
    acme = shop(world)
    order = placed_order(acme, workflows)
    token = review_link(order, "approve", acme.agent_id).rsplit("/", 1)[1]
    reviewer = people()  # straight from the email: not signed in

    shown = reviewer.goto(f"{http_server}/review-links/{token}")
    assert shown.status == 200 and order.number in reviewer.inner_text("h1") and "Acme SRL" in reviewer.inner_text(".card")
    assert order_store.get(order.id).status == "draft"  # opening the link decides nothing
    submit(reviewer, "#confirm")
    assert "approved" in reviewer.inner_text("#message") and order_store.get(order.id).status == "accepted"
    assert order_store.get(order.id).decided_by == acme.agent_email
    assert workflows.finished(order.id) == "SUCCEEDED"

    again = reviewer.goto(f"{http_server}/review-links/{token}")
    assert again.status == 409 and "Already decided" in reviewer.inner_text("h1")
    forged = reviewer.goto(f"{http_server}/review-links/{token[:-4]}AAAA")
    assert forged.status == 404 and "not valid" in reviewer.inner_text("#message")
    monkeypatch.setattr(review, "LINK_LIFETIME", timedelta(seconds=-60))
    stale = review_link(order, "approve", acme.agent_id).rsplit("/", 1)[1]
    expired = reviewer.goto(f"{http_server}/review-links/{stale}")
    assert expired.status == 410 and "expired" in reviewer.inner_text("#message")


def test_review_link_to_reject_needs_a_reason(people, http_server, world, workflows):
    acme = shop(world)
    order = placed_order(acme, workflows)
    token = review_link(order, "reject", acme.agent_id).rsplit("/", 1)[1]
    reviewer = people()
    reviewer.goto(f"{http_server}/review-links/{token}")
    reviewer.fill("#reason", "   ")
    submit(reviewer, "#confirm")
    assert "reason" in reviewer.inner_text("#link-error") and order_store.get(order.id).status == "draft"
    reviewer.fill("#reason", "Credit on hold")
    submit(reviewer, "#confirm")
    assert "rejected" in reviewer.inner_text("#message")
    assert (order_store.get(order.id).status, order_store.get(order.id).decision_reason) == ("declined", "Credit on hold")


def test_another_clients_order_is_not_found(people, http_server, world):
    acme = shop(world)
    other = world.client("Other SRL", addresses=[HQ])
    other_id, _ = world.buyer(other)
    theirs = ordering.place(Buyer(other_id, find_user(other_id).email, other), {"lines": [{"sku": "CAB-001", "qty": 1}]})
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    answer = buyer.goto(f"{http_server}/orders/{theirs.id}")
    assert answer.status == 404 and "Not found" in buyer.inner_text("h1") and theirs.number not in buyer.content()
    assert buyer.goto(f"{http_server}/orders").status == 200 and theirs.id not in buyer.content()


def test_contact_without_place_orders_sees_prices_but_cannot_order(people, http_server, world):
    acme = shop(world, orders=True, view_stock=True)
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    assert buyer.query_selector_all("#catalogue form.add") == [] and "Order" not in buyer.inner_text("#catalogue thead")
    assert buyer.query_selector("#nav-cart") is None and "Orders" in buyer.inner_text(".sidebar")
    for path in ("/cart", "/checkout"):
        answer = buyer.goto(f"{http_server}{path}")
        assert answer.status == 403 and "may not place orders" in buyer.inner_text("#problem")
    assert buyer.goto(f"{http_server}/agent/orders").status == 403


def test_staff_without_review_rights_see_orders_read_only(people, http_server, world, workflows):
    acme = shop(world)
    order = placed_order(acme, workflows)
    warehouse_id, _ = world.staff("warehouse")
    staff = people()
    sign_in(staff, http_server, find_user(warehouse_id).email, lands="**/agent/delivery-notes")  # its own work first
    staff.goto(f"{http_server}/agent/orders")
    assert staff.locator(f'#queue tr[data-id="{order.id}"]').count() == 1
    staff.goto(f"{http_server}/agent/orders/{order.id}")
    assert staff.query_selector("#approve-form") is None and "may look at it but not decide" in staff.inner_text("#read-only")
    refused = staff.evaluate("""async (id) => {
        const csrf = document.querySelector('input[name=csrf]').value;
        const r = await fetch(`/agent/orders/${id}/approve`, {method: 'POST', body: new URLSearchParams({csrf})});
        return r.status;
    }""", order.id)
    assert refused == 403 and order_store.get(order.id).status == "draft"
    assert staff.goto(f"{http_server}/catalogue").url.endswith("/agent/delivery-notes")  # staff have no buyer pages


def test_orders_are_listed_newest_first_a_page_at_a_time(people, http_server, world, monkeypatch):
    from chalicelib.web.portal import orders as web_orders  # noqa: PLC0415

    monkeypatch.setattr(web_orders, "ORDERS_PAGE", 2)
    acme = shop(world)
    numbers = [ordering.place(acme.buyer, {"lines": [{"sku": "CAB-001", "qty": n}]}).number for n in (1, 2, 3)]
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.goto(f"{http_server}/orders")
    assert [a.inner_text() for a in buyer.query_selector_all("#orders .number")] == numbers[:0:-1]
    buyer.click("#next-page")
    buyer.wait_for_url("**cursor=**")
    assert [a.inner_text() for a in buyer.query_selector_all("#orders .number")] == numbers[:1]
    assert buyer.query_selector("#next-page") is None
    buyer.click("#previous-page")
    buyer.wait_for_url("**before=**")
    assert [a.inner_text() for a in buyer.query_selector_all("#orders .number")] == numbers[:0:-1]
    assert buyer.query_selector("#previous-page") is None and buyer.query_selector("#next-page") is not None


def test_orders_are_found_by_reference_status_and_date(people, http_server, world, monkeypatch):
    acme = shop(world)
    mine = ordering.place(acme.buyer, {"lines": [{"sku": "CAB-001", "qty": 1}], "client_reference": "PO-7781"})
    other = ordering.place(acme.buyer, {"lines": [{"sku": "CAB-001", "qty": 2}], "client_reference": "PO-1200"})
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.goto(f"{http_server}/orders")
    buyer.fill("#filter-q", "po-77")
    submit(buyer, "#order-filters button[type=submit]")
    assert [a.inner_text() for a in buyer.query_selector_all("#orders .number")] == [mine.number]
    buyer.goto(f"{http_server}/orders?q={other.number.lower()}&status=draft")
    assert [a.inner_text() for a in buyer.query_selector_all("#orders .number")] == [other.number]
    buyer.goto(f"{http_server}/orders?status=accepted")
    assert buyer.query_selector_all("#orders .number") == [] and "No orders match" in buyer.inner_text("#no-orders")
    buyer.goto(f"{http_server}/orders?to=2001-01-01")
    assert buyer.query_selector_all("#orders .number") == []
    buyer.goto(f"{http_server}/orders?from=yesterday&status=lost")
    assert "YYYY-MM-DD" in buyer.inner_text("#order-filters") and "Choose a status" in buyer.inner_text("#order-filters")
    assert len(buyer.query_selector_all("#orders .number")) == 2  # what was not understood narrows nothing
