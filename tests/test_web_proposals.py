"""The buyer's proposals in real headless Chromium: open one (viewed), accept it into an order, decline another."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.services import proposals
from chalicelib.store import proposals as proposal_store
from tests.test_web_ordering import people, shop, sign_in  # noqa: F401 - fixtures and helpers of the ordering pages
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

pytestmark = pytest.mark.browser


def quote(client: str, qty: int = 50):
    return proposals.create("agent@supplier.example", {
        "client_id": client, "lines": [{"sku": "CAB-001", "qty": qty, "unit_price": Decimal("7.50")}],
        "message": "Project price", "send": True})


def test_buyer_accepts_one_proposal_and_declines_another(people, http_server, world):  # noqa: F811
    acme = shop(world)
    accepted, declined = quote(acme.client), quote(acme.client, qty=80)
    page = people()
    sign_in(page, http_server, acme.buyer.email)
    page.click(".sidebar >> text=Proposals")
    page.wait_for_url("**/proposals")
    assert {r.get_attribute("data-id") for r in page.query_selector_all("#proposals tbody tr")} == {accepted.id, declined.id}

    page.click(f'#proposals tr[data-id="{accepted.id}"] a.number')
    page.wait_for_selector("#accept")
    assert proposal_store.get(accepted.id).status == "open"
    assert "7.50 EUR" in page.inner_text("#lines")
    page.click("#accept")
    page.wait_for_url("**/orders/so_*")
    assert "accepted" in page.inner_text("main").lower()

    page.goto(f"{http_server}/proposals/{declined.id}")
    page.fill("#reason", "We found it cheaper")
    page.click("#decline")
    page.wait_for_selector("text=You declined it: We found it cheaper")
    assert page.query_selector("#accept") is None
    assert proposal_store.get(declined.id).status == "declined"
