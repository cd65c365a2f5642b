"""The back office's people pages in headless Chromium: clients, contacts, staff, settings, sales rep scoping."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.services import ordering
from chalicelib.services.ordering import Buyer
from chalicelib.store import orders as order_store
from chalicelib.store import settings as settings_store
from chalicelib.store.clients import get_client
from chalicelib.store.users import find_user
from tests.test_web_ordering import HQ, people, sign_in, submit  # noqa: F401 - fixtures and helpers
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

pytestmark = pytest.mark.browser


def staff_member(world, role):
    user_id, _ = world.staff(role)
    return user_id, find_user(user_id).email


def test_an_edited_credit_limit_is_what_the_review_checks_use(people, http_server, world, workflows):
    _, admin_email = staff_member(world, "admin")
    agent_id, agent_email = staff_member(world, "agent")
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=100)
    client = world.client("Acme SRL", sale_agent_id=agent_id, addresses=[HQ])
    contact_id, _ = world.buyer(client)

    admin = people()
    sign_in(admin, http_server, admin_email, lands="**/agent/orders")
    with admin.expect_navigation():
        admin.locator(".sidebar").get_by_role("link", name="Clients", exact=True).click()
    admin.fill("#q", "acme")
    submit(admin, "#search")
    admin.click('#clients a.client-name:has-text("Acme SRL")')
    admin.wait_for_url(f"**/agent/clients/{client}")
    assert admin.inner_text("#credit-limit") == "10000.00 EUR" and admin.inner_text("#headroom") == "10000.00 EUR"
    admin.click("#edit-client")
    admin.fill("#credit_limit", "one hundred")
    submit(admin, "#save-client")
    assert "amount such as 5000" in admin.inner_text("#error-credit_limit")
    assert admin.input_value("#credit_limit") == "one hundred"  # what was typed stays
    assert get_client(client).credit_limit == Decimal("10000")  # nothing saved
    admin.fill("#credit_limit", "100.00")
    submit(admin, "#save-client")
    assert admin.inner_text("#flash-notice") == "Client saved."
    assert admin.inner_text("#credit-limit") == "100.00 EUR"
    assert "Client changed" in admin.inner_text("#audit") and "10000.00 → 100.00" in admin.inner_text("#audit")

    order = ordering.place(Buyer(contact_id, find_user(contact_id).email, client), {"lines": [{"sku": "CAB-001", "qty": 20}]})
    workflows.until(lambda: order_store.get(order.id).review_task_token, what="the agent's wait")
    agent = people()
    sign_in(agent, http_server, agent_email, lands="**/agent/orders")
    agent.goto(f"{http_server}/agent/orders/{order.id}")
    credit = agent.inner_text("#check-credit")
    assert "exceeded" in credit and "credit available 100.00 EUR" in credit


def test_a_disabled_contact_is_signed_out_at_the_next_page(people, http_server, world):
    _, admin_email = staff_member(world, "admin")
    world.product("CAB-001", qty_on_hand=5)
    client = world.client("Acme SRL", addresses=[HQ])
    contact_id, _ = world.buyer(client)
    buyer_email = find_user(contact_id).email

    buyer = people()
    sign_in(buyer, http_server, buyer_email)
    assert buyer.locator("#catalogue").count() == 1

    admin = people()
    sign_in(admin, http_server, admin_email, lands="**/agent/orders")
    admin.goto(f"{http_server}/agent/clients/{client}")
    row = admin.locator(f'#contacts tr[data-id="{contact_id}"]')
    assert row.locator("td").nth(4).inner_text() != "never"  # the sign-in was recorded
    with admin.expect_navigation():
        row.get_by_role("button", name="Disable").click()
    assert "signed out at the next page" in admin.inner_text("#flash-notice")
    assert admin.locator(f'#contacts tr[data-id="{contact_id}"] .contact-status').inner_text() == "Disabled"

    buyer.goto(f"{http_server}/orders")
    buyer.wait_for_url("**/login**")
    buyer.fill("#email", buyer_email)
    buyer.fill("#password", "Test-Password-123")
    buyer.click("button[type=submit]")
    assert "/catalogue" not in buyer.url  # the sign-in is refused too


def test_an_agent_cannot_open_another_agents_clients_order(people, http_server, world, workflows):
    owner_id, _ = staff_member(world, "agent")
    _, other_email = staff_member(world, "agent")
    world.product("CAB-001", base_price=Decimal("10.00"), qty_on_hand=100)
    client = world.client("Acme SRL", sale_agent_id=owner_id, addresses=[HQ])
    contact_id, _ = world.buyer(client)
    order = ordering.place(Buyer(contact_id, find_user(contact_id).email, client), {"lines": [{"sku": "CAB-001", "qty": 2}]})
    workflows.until(lambda: order_store.get(order.id).review_task_token, what="the agent's wait")

    other = people()
    sign_in(other, http_server, other_email, lands="**/agent/orders")
    assert other.locator(f'#queue tr[data-id="{order.id}"]').count() == 0
    reply = other.goto(f"{http_server}/agent/orders/{order.id}")
    assert reply.status == 404
    assert other.goto(f"{http_server}/agent/clients/{client}").status == 404
    other.goto(f"{http_server}/agent/clients")
    assert "No clients match." in other.inner_text("#clients")


def test_admin_saves_the_settings_and_sees_a_bad_field_explained(people, http_server, world):
    _, admin_email = staff_member(world, "admin")
    admin = people()
    sign_in(admin, http_server, admin_email, lands="**/agent/orders")
    admin.locator(".sidebar").get_by_role("link", name="Settings", exact=True).click()
    admin.wait_for_url("**/agent/settings")
    admin.fill("#review_timeout_hours", "12")
    admin.fill("#discount_agent", "7.5")
    admin.fill("#reminder_offsets", "3, 10, thirty")
    admin.fill("#supplier_name", "Distribuție Nord SRL")
    submit(admin, "#save-settings")
    assert "Days after the due date" in admin.inner_text("#error-reminder_offsets")
    assert admin.input_value("#reminder_offsets") == "3, 10, thirty"
    assert settings_store.load().review_timeout_hours == Decimal(24)  # nothing saved
    admin.fill("#reminder_offsets", "3, 10, 30")
    admin.uncheck("#show_stock")
    submit(admin, "#save-settings")
    assert "Settings saved" in admin.inner_text("#flash-notice")
    saved = settings_store.load()
    assert (saved.review_timeout_hours, saved.reminder_offsets, saved.show_stock) == (Decimal(12), [3, 10, 30], False)
    assert saved.discount_limits.as_dict()["agent"] == "7.5" and saved.supplier.as_dict()["name"] == "Distribuție Nord SRL"
    assert admin.input_value("#discount_agent") == "7.5" and "Settings changed" in admin.inner_text("#audit")


def test_each_role_lands_on_its_own_work_and_sees_only_its_menu(people, http_server, world):
    _, warehouse_email = staff_member(world, "warehouse")
    _, finance_email = staff_member(world, "finance")
    _, admin_email = staff_member(world, "admin")
    warehouse = people()
    sign_in(warehouse, http_server, warehouse_email, lands="**/agent/delivery-notes")
    menu = warehouse.inner_text(".sidebar")
    assert "Clients" not in menu and "Settings" not in menu and warehouse.locator(".sidebar span.soon").count() == 0
    finance = people()
    sign_in(finance, http_server, finance_email, lands="**/agent/invoices")
    assert "Clients" in finance.inner_text(".sidebar")
    admin = people()
    sign_in(admin, http_server, admin_email, lands="**/agent/orders")
    for entry in ("Clients", "Staff", "Settings", "Audit log"):
        assert entry in admin.inner_text(".sidebar")
    with admin.expect_navigation():
        admin.locator(".sidebar").get_by_role("link", name="Staff", exact=True).click()
    assert admin.locator(f'#staff tr[data-email="{warehouse_email}"]').count() == 1
