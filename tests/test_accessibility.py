"""Every page a buyer or a member of staff can reach from the sidebar, checked in Chromium with axe-core (no serious
or critical violation), and the pages at phone (390 px) and tablet (768 px) widths without horizontal scrolling.

The walk follows the sidebar of each person and, on each list, the first link into a detail page, so a page added
later is checked as soon as it is in someone's sidebar.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from chalicelib.store import settings as settings_store
from tests.test_web_documents import accepted_order, shipped_note, staff_member
from tests.test_web_ordering import sign_in
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "support" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
STAFF_ROLES = ("admin", "manager", "agent", "warehouse", "finance")
DETAIL_LINK = "main table a[href]"


@pytest.fixture
def people(browser):  # noqa: F811
    """A browser context per person, allowed to inject axe-core past the pages' Content-Security-Policy."""
    contexts = []

    def person():
        contexts.append(browser.new_context(bypass_csp=True))
        return contexts[-1].new_page()

    yield person
    for context in contexts:
        context.close()


def violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                          ".map(v => ({id: v.id, impact: v.impact, help: v.help, where: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['where']}" for v in found if v["impact"] in SERIOUS]


def sidebar_pages(page, base_url: str) -> list[str]:
    hrefs = page.eval_on_selector_all(".sidebar nav a[href]", "els => els.map(e => e.getAttribute('href'))")
    return [h for h in dict.fromkeys(hrefs) if urlparse(h).path]


def walk(page, base_url: str) -> dict[str, list[str]]:
    """axe findings per page: each sidebar entry and the first detail page linked from it."""
    findings: dict[str, list[str]] = {}
    for href in sidebar_pages(page, base_url):
        page.goto(base_url + href)
        findings[href] = violations(page)
        detail = page.query_selector(DETAIL_LINK)
        if detail is not None:
            target = detail.get_attribute("href")
            page.goto(base_url + target)
            findings[target] = violations(page)
    return findings


def test_every_buyer_page_has_no_serious_accessibility_violation(people, http_server, world, workflows):
    acme = accepted_order(world, workflows)
    shipped_note(workflows, acme.order.id)
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    findings = walk(buyer, http_server)
    assert len(findings) >= 6, findings  # catalogue, cart, orders, deliveries, invoices, statement and their details
    assert {page: found for page, found in findings.items() if found} == {}


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_staff_page_has_no_serious_accessibility_violation(people, http_server, world, workflows, role):
    acme = accepted_order(world, workflows)
    shipped_note(workflows, acme.order.id)
    member = people()
    sign_in(member, http_server, staff_member(world, role), lands="**/agent/**")
    findings = walk(member, http_server)
    assert findings, "no page in the sidebar"
    assert {page: found for page, found in findings.items() if found} == {}


def test_the_staff_order_page_with_its_cancel_form_has_no_serious_accessibility_violation(people, http_server, world, workflows):
    settings = settings_store.load()
    settings.invoice_on = "manual"  # an invoiced order is credited, not cancelled: no form
    settings_store.save(settings)
    acme = accepted_order(world, workflows)
    member = people()
    sign_in(member, http_server, staff_member(world, "admin"), lands="**/agent/**")
    member.goto(f"{http_server}/agent/orders/{acme.order.id}")
    assert member.query_selector("#cancel-form") is not None
    assert violations(member) == []
    member.check("#cancel-confirm")
    with member.expect_navigation():  # no reason (the browser's own check bypassed): the page again with the refusal
        member.evaluate("document.querySelector('#cancel-reason').removeAttribute('required')")
        member.click("#cancel-order")
    assert member.query_selector("#cancel-error") is not None
    assert violations(member) == []


def test_the_sign_in_page_has_no_serious_accessibility_violation(people, http_server):
    visitor = people()
    visitor.goto(f"{http_server}/login")
    assert violations(visitor) == []


@pytest.mark.parametrize("width", [390, 768])
def test_buyer_pages_fit_a_phone_and_a_tablet_without_horizontal_scroll(people, http_server, world, workflows, width):
    acme = accepted_order(world, workflows)
    buyer = people()
    buyer.set_viewport_size({"width": width, "height": 844})
    sign_in(buyer, http_server, acme.buyer.email)
    for href in sidebar_pages(buyer, http_server):
        buyer.goto(http_server + href)
        scroll_width = buyer.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{href} is {scroll_width} px wide at {width} px"
    if width < 600:  # on a phone a product reads as one card, not a row cut off at the edge
        buyer.goto(f"{http_server}/catalogue")
        assert buyer.query_selector("#catalogue tbody tr").bounding_box()["width"] <= width
