"""The portal and the staff pages served under /api, as on API Gateway's default URL (the stage in the
path) and as `BASE_PATH=/api make run` serves them, driven in headless Chromium: every link and form
stays under /api, and so do the emailed approve link and the local-only pages (outbox, sandbox checkout)."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest

from chalicelib.adapters.courier import courier_from_env
from chalicelib.adapters.payments import gateway_from_env
from chalicelib.config import settings
from chalicelib.services import invoicing
from chalicelib.store import orders as order_store
from tests.test_web_documents import configure
from tests.test_web_ordering import add_to_cart, people, shop, sign_in, submit  # noqa: F401 - a browser context per person
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

pytestmark = pytest.mark.browser

LINKS = """els => els.map(e => e.getAttribute('href') ?? e.getAttribute('action') ?? e.getAttribute('src'))"""


@pytest.fixture
def portal_at_api(api_server, chalice_app, local_pages, monkeypatch):
    """PORTAL_URL is the prefixed server (emails and the sandbox checkout point there); the local-only pages
    are registered, as `make run` does, before any browser connects."""
    monkeypatch.setenv("PORTAL_URL", api_server)
    caches = (settings, gateway_from_env, courier_from_env)
    for cache in caches:
        cache.cache_clear()
    yield api_server
    monkeypatch.undo()
    for cache in caches:
        cache.cache_clear()


class Visited:
    """Every href/action/src on every page a test looked at, checked to stay under the prefix."""

    def __init__(self, base_url: str):
        self.netloc, self.prefix = urlparse(base_url).netloc, urlparse(base_url).path + "/"
        self.outside: list[str] = []
        self.count = 0

    def check(self, page) -> None:
        assert urlparse(page.url).path.startswith(self.prefix), page.url
        for value in page.eval_on_selector_all("[href], [action], [src]", LINKS):
            if value.startswith("#"):
                continue  # a link within the page (the skip link)
            self.count += 1
            target = urlparse(value)
            if (target.netloc and target.netloc != self.netloc) or not target.path.startswith(self.prefix):
                self.outside.append(f"{urlparse(page.url).path}: {value}")


def test_portal_and_staff_pages_work_under_the_stage_prefix(portal_at_api, people, world, workflows):
    base = portal_at_api
    assert urlparse(base).path == "/api"
    visited = Visited(base)
    configure(auto_create_delivery_note=False, invoice_on="manual")
    acme = shop(world)

    buyer = people()
    sign_in(buyer, base, acme.buyer.email, lands="**/api/dashboard")
    assert {c["name"]: c["path"] for c in buyer.context.cookies()}["b2b_session"] == "/api"
    visited.check(buyer)
    add_to_cart(buyer, "CAB-001", 3)
    assert "Added 3 × CAB-001" in buyer.inner_text("#flash-notice") and urlparse(buyer.url).path == "/api/catalogue"
    visited.check(buyer)
    buyer.click("#nav-cart")
    buyer.wait_for_url("**/api/cart")
    visited.check(buyer)
    buyer.click("#to-checkout")
    buyer.wait_for_url("**/api/checkout")
    visited.check(buyer)
    submit(buyer, "#place-order")
    assert urlparse(buyer.url).path.startswith("/api/orders/so_") and "is placed" in buyer.inner_text("#flash-notice")
    order_id = urlparse(buyer.url).path.rsplit("/", 1)[1]
    visited.check(buyer)
    buyer.click(".sidebar >> text=Orders")
    buyer.wait_for_url("**/api/orders")
    visited.check(buyer)

    workflows.until(lambda: order_store.get(order_id).review_task_token, what="the agent's wait")
    number = order_store.get(order_id).number
    agent = people()
    sign_in(agent, base, acme.agent_email, lands="**/api/agent/orders")
    visited.check(agent)
    agent.click(f'#queue tr[data-id="{order_id}"] a.number')
    agent.wait_for_url(f"**/api/agent/orders/{order_id}")
    visited.check(agent)

    # The reviewer's email, in the local outbox (served under the prefix too): its Approve link works.
    agent.goto(f"{base}/local/outbox")
    mail = agent.locator("article", has=agent.locator(f"strong:text-is('{number}')")).filter(has_text="Approve").first
    with agent.expect_navigation():
        mail.get_by_role("link", name="Approve").click()
    assert urlparse(agent.url).path.startswith("/api/review-links/")
    visited.check(agent)
    submit(agent, "#confirm")
    assert "approved" in agent.inner_text("#message") and order_store.get(order_id).status == "accepted"
    visited.check(agent)
    assert workflows.finished(order_id) == "SUCCEEDED"

    # Online payment through the local sandbox checkout, out and back under the prefix.
    invoice = invoicing.issue(order_id)
    buyer.goto(f"{base}/invoices/{invoice.id}")
    visited.check(buyer)
    buyer.click("#pay-online")
    buyer.wait_for_url("**/api/local/pay/cs_local_*")
    visited.check(buyer)
    buyer.click("#pay")
    buyer.wait_for_url(f"**/api/invoices/{invoice.id}?paid=1")
    assert buyer.inner_text("h1 .status") == "Paid"
    visited.check(buyer)
    tracking = buyer.goto(f"{base}/local/track/SBX123")
    assert tracking.status == 200

    buyer.goto(f"{base}/orders/{order_id}")
    submit(buyer, ".sidebar button[type=submit]")  # sign out
    assert urlparse(buyer.url).path == "/api/login"
    visited.check(buyer)

    assert visited.count > 50
    assert not visited.outside, "\n".join(visited.outside)
