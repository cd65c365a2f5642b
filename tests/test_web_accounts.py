"""Accounts, company users and approvals in the portal's pages, in real headless Chromium: a forgotten password
reset with the emailed code, the lockout after wrong passwords, an expired session that returns to its page, the
profile, a company administrator inviting a colleague, and an order above its buyer's limit approved by the
company before the agent reviews it."""
from __future__ import annotations

from decimal import Decimal

import pytest
from moto.ses.models import ses_backends

from chalicelib.services import lockout, ordering
from chalicelib.services.ordering import Buyer
from chalicelib.store import orders as order_store
from chalicelib.store.users import find_user
from infra.local import outbox
from infra.local.provision import ACCOUNT_ID
from tests.support.world import PASSWORD
from tests.test_web_ordering import HQ, people, sign_in, submit  # noqa: F401 - fixtures
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

pytestmark = pytest.mark.browser


def mails_to(email):
    return [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages
            if email in m.destinations.get("ToAddresses", [])]


def acme(world, **permissions):
    agent_id, _ = world.staff("agent")
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=1000)
    client = world.client("Acme SRL", sale_agent_id=agent_id, vat_number="RO123", addresses=[HQ])
    contact_id, _ = world.buyer(client, **permissions)
    return client, find_user(contact_id).email, find_user(agent_id).email


def test_a_forgotten_password_is_reset_with_the_code_from_the_outbox(people, http_server, world):
    _, email, _ = acme(world)
    page = people()
    page.goto(f"{http_server}/login")
    page.click("#forgot-link")
    page.wait_for_url("**/forgot-password")
    page.fill("#email", email)
    submit(page, "button[type=submit]")
    assert "/reset-password" in page.url and "a code is on its way" in page.inner_text("#reset-sent")
    code = next(c["code"] for c in outbox.reset_codes() if c["email"] == email)  # what /local/outbox lists

    page.fill("#code", "moto-confirmation-code:000000")
    page.fill("#new_password", "Fresh-Password-42")
    submit(page, "button[type=submit]")
    assert "wrong or has expired" in page.inner_text("#reset-error")
    assert page.get_attribute("#code", "aria-invalid") == "true"

    page.fill("#code", code)
    page.fill("#new_password", "Fresh-Password-42")
    submit(page, "button[type=submit]")
    assert page.url.endswith("/login") and "password is changed" in page.inner_text("#login-notice")
    page.fill("#email", email)
    page.fill("#password", "Fresh-Password-42")
    submit(page, "button[type=submit]")
    assert page.url.endswith("/dashboard")


def test_wrong_passwords_lock_the_sign_in_with_a_clear_message(people, http_server, world):
    _, email, _ = acme(world)
    page = people()
    page.goto(f"{http_server}/login")
    for attempt in range(lockout.ACCOUNT_LIMIT):
        page.fill("#email", email)
        page.fill("#password", f"Wrong-{attempt}")
        submit(page, "button[type=submit]")
        assert "wrong" in page.inner_text(".error").lower()
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation() as navigation:
        page.click("button[type=submit]")
    assert navigation.value.status == 429
    assert "Too many failed sign-ins" in page.inner_text(".error") and "/login" in page.url


def test_an_expired_session_says_so_and_returns_to_the_page_after_signing_in(people, http_server, world):
    _, email, _ = acme(world)
    page = people()
    sign_in(page, http_server, email)
    page.goto(f"{http_server}/orders?cursor=")
    context = page.context
    cookies = [c for c in context.cookies() if c["name"] not in ("b2b_session", "b2b_refresh")]
    context.clear_cookies()
    context.add_cookies([*cookies, {"name": "b2b_session", "value": "expired.token.value", "url": http_server}])
    page.goto(f"{http_server}/profile")
    assert "/login?" in page.url and "next=%2Fprofile" in page.url
    assert "session expired" in page.inner_text("#login-notice")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    submit(page, "button[type=submit]")
    assert page.url.endswith("/profile")

    evil = people()
    evil.goto(f"{http_server}/login?next=//evil.example/steal")
    assert evil.query_selector("input[name=next]") is None
    evil.goto(f"{http_server}/login?next=https://evil.example/")
    assert evil.query_selector("input[name=next]") is None


def test_the_profile_page_saves_name_preferences_and_password_and_asks_the_agent(people, http_server, world):
    _, email, agent_email = acme(world)
    page = people()
    sign_in(page, http_server, email)
    page.click(".sidebar >> text=Profile")
    page.wait_for_url("**/profile")
    assert "RO123" in page.inner_text("#company-data") and page.query_selector("#company-data input[name=vat_number]") is None
    page.fill("#first_name", "Ioana")
    page.fill("#phone", "+40 721 555 000")
    page.uncheck("#notify_order_updates")
    submit(page, "#profile-form button[type=submit]")
    assert "saved" in page.inner_text("#flash-notice")
    assert page.input_value("#first_name") == "Ioana" and not page.is_checked("#notify_order_updates")
    assert "Ioana" in page.inner_text(".sidebar")

    page.fill("#phone", "call me maybe")
    submit(page, "#profile-form button[type=submit]")
    assert page.get_attribute("#phone", "aria-invalid") == "true"

    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", "Another-Pass-77")
    page.fill("#repeat_password", "Another-Pass-77")
    submit(page, "#password-form button[type=submit]")
    assert "password is changed" in page.inner_text("#flash-notice")

    page.fill("#message", "New delivery address: Str. Noua 5, Cluj")
    submit(page, "#company-change-form button[type=submit]")
    assert "Your request went to" in page.inner_text("#flash-notice")
    assert any("Str. Noua 5" in m.body for m in mails_to(agent_email))


def test_a_company_admin_invites_a_colleague_within_their_own_permissions(people, http_server, world):
    client, email, _ = acme(world, orders=True, place_orders=True, manage_company=True)
    page = people()
    sign_in(page, http_server, email)
    page.click(".sidebar >> text=Company users")
    page.wait_for_url("**/company/users")
    assert page.query_selector("#invite-invoices") is None  # not the admin's to give
    page.fill("#invite-email", "colleague@acme.example")
    page.fill("#invite-first", "Radu")
    page.fill("#invite-last", "Ion")
    page.fill("#invite-limit", "300")
    page.check("#invite-orders")
    page.check("#invite-place_orders")
    submit(page, "#invite-form button[type=submit]")
    assert "Radu Ion is invited" in page.inner_text("#flash-notice")
    assert any("Temporary password" in m.body for m in mails_to("colleague@acme.example"))
    row = page.locator('#company-users tr[data-email="colleague@acme.example"]')
    assert row.locator("input[name=spending_limit]").input_value() == "300.00"

    submit(page, '#company-users tr[data-email="colleague@acme.example"] button.danger')
    assert "is disabled" in page.inner_text("#flash-notice")
    assert page.locator('#company-users tr[data-email="colleague@acme.example"] .status').inner_text() == "Disabled"


def test_an_order_above_the_limit_is_approved_by_the_company_then_reviewed_by_the_agent(people, http_server, world, workflows):
    client, approver_email, agent_email = acme(world, orders=True, approve_orders=True, place_orders=True)
    purchaser_id, _ = world.buyer(client, spending_limit="100.00", orders=True, place_orders=True)
    purchaser = find_user(purchaser_id)
    order = ordering.place(Buyer(purchaser.id, purchaser.email, client), {"lines": [{"sku": "CAB-001", "qty": 20}]})
    assert order.status == "awaiting_approval"
    workflows.deliver()
    assert order_store.get(order.id).review_task_token is None

    buyer = people()
    sign_in(buyer, http_server, purchaser.email)
    buyer.goto(f"{http_server}/orders/{order.id}")
    assert "approval" in buyer.inner_text("#order-status").lower()

    approver = people()
    sign_in(approver, http_server, approver_email)
    approver.click(".sidebar >> text=Approvals")
    approver.wait_for_url("**/approvals")
    row = f'#approvals tr[data-id="{order.id}"]'
    assert "238.00 EUR" in approver.inner_text(row)
    submit(approver, f"{row} button.approve")
    assert "is approved" in approver.inner_text("#flash-notice")
    assert approver.query_selector(row) is None

    workflows.until(lambda: order_store.get(order.id).review_task_token, what="the agent's wait")
    agent = people()
    sign_in(agent, http_server, agent_email, lands="**/agent/orders")
    agent.goto(f"{http_server}/agent/orders/{order.id}")
    submit(agent, "#approve")
    assert agent.inner_text("#order-status") == "Accepted"
    history = order_store.history(order.id)
    approved = next(h for h in history if h.event == "company_approved")
    assert "Test Buyer" in approved.note


@pytest.mark.parametrize("server", ["http_server", "api_server"])
def test_an_unknown_url_answers_a_404_page_or_the_api_error_shape(server, request, people, world):
    import requests  # noqa: PLC0415

    base = request.getfixturevalue(server)
    page = people()
    response = page.goto(f"{base}/no/such/page")
    assert response.status == 404 and "Page not found" in page.inner_text("h1")
    assert "/no/such/page" in page.inner_text("#not-found")
    assert page.get_attribute("a[href$='/login']", "href") == base.removeprefix("http://127.0.0.1:" + base.split(":")[2].split("/")[0]) + "/login"

    as_api = requests.get(f"{base}/portal/no-such-thing/1", timeout=10)
    assert as_api.status_code == 404 and as_api.json()["error"]["code"] == "not_found"
    by_accept = requests.get(f"{base}/whatever", headers={"Accept": "application/json"}, timeout=10)
    assert by_accept.status_code == 404 and by_accept.json()["error"]["code"] == "not_found"
    icon = requests.get(f"{base}/favicon.ico", timeout=10)
    assert icon.status_code == 200 and icon.headers["Content-Type"] == "image/svg+xml"

    # real routes are not shadowed: a page, a page with a parameter, an API route with its authorizer
    assert requests.get(f"{base}/login", timeout=10).status_code == 200
    assert requests.get(f"{base}/orders/so_x", allow_redirects=False, timeout=10).status_code == 303
    assert requests.get(f"{base}/portal/me", timeout=10).status_code == 401

    _, email, _ = acme(world)
    sign_in(page, base, email)
    page.goto(f"{base}/orders/so_x/nothing-here")
    assert "Page not found" in page.inner_text("main h1") and "Profile" in page.inner_text(".sidebar")


def test_the_packaged_api_has_one_greedy_get_resource_beside_the_real_routes():
    """What `chalice package` writes into the API's swagger: /{proxy+} with GET only, every real path kept as its
    own resource (API Gateway prefers them to the greedy one)."""
    from chalice.deploy.swagger import CFNSwaggerGenerator  # noqa: PLC0415 - what `chalice package` uses

    from app import app  # noqa: PLC0415

    swagger = CFNSwaggerGenerator().generate_swagger(app)
    greedy = [p for p in swagger["paths"] if "+}" in p]
    assert greedy == ["/{proxy+}"] and set(swagger["paths"]["/{proxy+}"]) == {"get"}
    integration = swagger["paths"]["/{proxy+}"]["get"]["x-amazon-apigateway-integration"]
    assert integration["type"] == "aws_proxy"
    for real in ("/login", "/orders/{order_id}", "/portal/orders/{order_id}/comments", "/favicon.ico"):
        assert real in swagger["paths"], real
