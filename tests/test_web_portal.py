"""The portal's own pages, driven in real headless Chromium (Debian's package) through Playwright."""
from __future__ import annotations

import shutil
from datetime import timedelta
from decimal import Decimal

import pytest
import requests

from chalicelib.services import setup
from chalicelib.services.pricing import supplier_today

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def shop(world):
    world.product("CAB-001", name="UTP patch cable", category="Cables", base_price=Decimal("10"), qty_on_hand=33)
    world.product("CAB-002", name="Fibre patch cord", category="Cables", base_price=Decimal("20"))
    world.product("NET-001", name="Gigabit switch", category="Networking", base_price=Decimal("90"))
    group = world.group()
    client = world.client("Acme SRL", group_id=group)
    world.price_list({"CAB-001": "8.00"}, client_id=client)
    world.price_list({"CAB-002": "18.00"}, group_id=group)
    today = supplier_today()
    world.price_list({"NET-001": "75.00"}, is_promotion=True, valid_from=today, valid_to=today + timedelta(days=3))
    return client


def first_login(page, base_url, email, temporary="Temp-Pass-1234", chosen="Chosen-Pass-987"):
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", temporary)
    page.click("button[type=submit]")
    page.wait_for_selector("#new_password")
    page.fill("#new_password", chosen)
    page.click("button[type=submit]")
    page.wait_for_selector("#dashboard-figures")  # a buyer lands on the dashboard
    page.click(".sidebar >> text=Catalogue")
    page.wait_for_selector("#catalogue")


def invite(client, email, **permissions):
    setup.create_contact(client, {"email": email, "first_name": email.split("@")[0].title(), "last_name": "Buyer",
                                  "permissions": permissions, "temporary_password": "Temp-Pass-1234"}, inviter="Tests")


def test_invited_buyer_sets_a_password_and_browses_negotiated_prices(page, http_server, world):
    client = shop(world)
    invite(client, "maria@acme.example", place_orders=True, view_stock=True)

    page.goto(f"{http_server}/catalogue")
    assert page.url.endswith("/login")
    first_login(page, http_server, "maria@acme.example")

    assert "Maria Buyer" in page.inner_text(".sidebar") and "Acme SRL" in page.inner_text(".sidebar")
    rows = {r.get_attribute("data-sku"): r for r in page.query_selector_all("#catalogue tbody tr")}
    assert set(rows) == {"CAB-001", "CAB-002", "NET-001"}
    assert rows["CAB-001"].inner_text().count("8.00 EUR") == 1
    assert [rows[s].query_selector(".source").get_attribute("data-source") for s in ("CAB-001", "CAB-002", "NET-001")] == ["client", "group", "promotion"]
    assert [rows[s].query_selector(".source").inner_text() for s in ("CAB-001", "CAB-002", "NET-001")] == ["Your price", "Your price", "Promotion"]
    assert rows["CAB-001"].query_selector(".stock").inner_text() == "33"

    page.select_option("select[name=category]", "Networking")
    page.click("form.filters button")
    page.wait_for_url("**category=Networking**")
    assert [r.get_attribute("data-sku") for r in page.query_selector_all("#catalogue tbody tr")] == ["NET-001"]

    page.select_option("select[name=category]", "")
    page.fill("input[name=q]", "patch")
    page.click("form.filters button")
    page.wait_for_url("**q=patch**")
    assert [r.get_attribute("data-sku") for r in page.query_selector_all("#catalogue tbody tr")] == ["CAB-001", "CAB-002"]

    page.click(".sidebar button")
    page.wait_for_url("**/login")
    page.goto(f"{http_server}/catalogue")
    assert page.url.endswith("/login")


def test_buyer_without_view_stock_sees_no_stock_and_wrong_password_is_explained(page, http_server, world):
    client = shop(world)
    invite(client, "nils@acme.example", orders=True)
    page.goto(f"{http_server}/login")
    page.fill("#email", "nils@acme.example")
    page.fill("#password", "Wrong-Pass-000")
    page.click("button[type=submit]")
    assert "wrong" in page.inner_text(".error").lower()
    first_login(page, http_server, "nils@acme.example")
    assert page.query_selector_all("#catalogue .stock") == []
    assert "Available" not in page.inner_text("#catalogue thead")


def test_session_cookie_is_httponly_secure_and_samesite(page, http_server, world):
    client = shop(world)
    invite(client, "ana@acme.example", orders=True)
    first_login(page, http_server, "ana@acme.example")
    session = next(c for c in page.context.cookies() if c["name"] == "b2b_session")
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""


def test_login_form_without_its_csrf_token_is_refused(http_server, stack):
    reply = requests.post(f"{http_server}/login", data={"email": "a@b.example", "password": "x"}, allow_redirects=False, timeout=10)
    assert reply.status_code == 403
    forged = requests.post(f"{http_server}/login", data={"email": "a@b.example", "password": "x", "csrf": "guess"},
                           cookies={"b2b_csrf": "other"}, allow_redirects=False, timeout=10)
    assert forged.status_code == 403
