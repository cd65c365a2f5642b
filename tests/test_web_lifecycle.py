"""The order lifecycle in real headless Chromium: an agent writes a Sales Order on the New order page, the buyer
accepts it in the portal and fulfilment starts; an unanswered order and proposal expire and their buttons are gone;
a buyer sets up, skips, pauses and resumes a recurring order."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from chalicelib.services import proposals, staff_orders
from chalicelib.services.pricing import supplier_today
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import orders as order_store
from chalicelib.store import proposals as proposal_store
from chalicelib.store import settings as settings_store
from chalicelib.store.products import get_product
from tests.test_web_ordering import people, shop, sign_in, submit  # noqa: F401 - fixtures and helpers
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

pytestmark = pytest.mark.browser


def test_agent_writes_an_order_the_buyer_accepts_in_the_portal_and_fulfilment_starts(people, http_server, world, workflows):
    settings = settings_store.load()
    settings.auto_create_delivery_note = True
    settings_store.save(settings)
    acme = shop(world)
    agent = people()
    sign_in(agent, http_server, acme.agent_email, lands="**/agent/orders")
    agent.click(".sidebar >> text=New order")
    agent.wait_for_url("**/agent/orders/new")
    agent.select_option("#pick-client", acme.client)
    submit(agent, "#choose-client")
    rows = agent.locator("#new-order-lines tbody tr")
    rows.nth(0).locator("input[name=sku]").fill("CAB-001")
    rows.nth(0).locator("input[name=qty]").fill("12")
    rows.nth(1).locator("input[name=sku]").fill("NET-001")
    rows.nth(1).locator("input[name=qty]").fill("1")
    rows.nth(1).locator("input[name=unit_price]").fill("abc")
    submit(agent, "#preview-prices")
    assert "number like 12.50" in agent.inner_text("#form-error")  # nothing typed is lost
    assert agent.input_value('#new-order-lines tbody tr >> nth=0 >> input[name=sku]') == "CAB-001"
    agent.locator("#new-order-lines tbody tr").nth(1).locator("input[name=unit_price]").fill("95.00")
    submit(agent, "#preview-prices")
    preview = agent.inner_text("#price-preview")
    assert "8.00" in preview and "95.00" in preview  # the client's own cable price, the switch overridden
    agent.fill("#client-reference", "Offer for the new office")
    submit(agent, "#issue-order")
    assert "sent to Acme SRL" in agent.inner_text("#flash-notice")
    order_id = agent.url.rstrip("/").rsplit("/", 1)[1]
    order = order_store.get(order_id)
    assert (order.status, order.origin, order.total) == ("sent", "staff", Decimal("227.29"))  # (96 + 95) * 1.19
    assert any(h.event == "price_override" for h in order_store.history(order_id))

    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.goto(f"{http_server}/orders")
    assert "sent" in buyer.inner_text(f'#orders tr[data-id="{order_id}"]').lower()
    buyer.goto(f"{http_server}/orders/{order_id}")
    assert buyer.inner_text("#offer-valid-until") == order.valid_until.isoformat()
    buyer.fill("#offer-po", "PO-5531")
    submit(buyer, "#accept-offer")
    assert "You accepted the order" in buyer.inner_text("#flash-notice")
    assert buyer.inner_text("#order-status") == "Accepted" and buyer.query_selector("#accept-offer") is None
    assert buyer.inner_text("#order-fulfilment") == "Not started"
    assert get_product("CAB-001").qty_reserved == 12
    note = workflows.until(lambda: dn_store.for_order(order_id), what="the delivery note")[0]
    assert note.status == "ready_for_packing" and order_store.get(order_id).client_reference == "PO-5531"
    workflows.until(lambda: order_store.get(order_id).fulfilment_status == "preparing", what="the order's fulfilment status")
    buyer.goto(f"{http_server}/orders")
    assert "Preparing" in buyer.inner_text(f'#orders tr[data-id="{order_id}"] .fulfilment')
    pdf = buyer.request.get(f"{http_server}/orders/{order_id}/pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")


def test_an_unanswered_order_and_proposal_expire_and_their_buttons_are_gone(people, http_server, world, workflows, monkeypatch):
    acme = shop(world)
    soon = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=20)  # time driven forward
    monkeypatch.setattr(staff_orders, "expiry_moment", lambda valid_until: soon)
    order, _ = staff_orders.create(acme.agent_id, acme.agent_email, True, {
        "client_id": acme.client, "lines": [{"sku": "CAB-001", "qty": 5}], "valid_until": supplier_today()}, "web-1")
    quote = proposals.create(acme.agent_email, {"client_id": acme.client, "lines": [{"sku": "CAB-001", "qty": 50}],
                                                "valid_until": supplier_today(), "send": True})
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.goto(f"{http_server}/orders/{order.id}")
    assert buyer.query_selector("#accept-offer") is not None  # open: the buttons are there

    machine = workflows.stack.resources.refs["StaffOrderStateMachine"]
    for name in (f"{order.id}-offer", f"{quote.id}-offer"):
        assert workflows.finished(name, machine=machine, timeout=90) == "SUCCEEDED"
    buyer.goto(f"{http_server}/orders/{order.id}")
    assert buyer.query_selector("#accept-offer") is None and buyer.query_selector("#decline-offer") is None
    assert "expired" in buyer.inner_text("#offer-expired")
    assert buyer.inner_text("#order-status") == "Expired"

    buyer.goto(f"{http_server}/proposals/{quote.id}")
    assert buyer.query_selector("#accept") is None and buyer.query_selector("#decline") is None
    assert buyer.inner_text("#proposal-status") == "Expired"
    assert proposal_store.get(quote.id).status == "expired"


def test_buyer_sets_up_skips_pauses_and_resumes_a_recurring_order(people, http_server, world):
    acme = shop(world)
    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.click(".sidebar >> text=Recurring orders")
    buyer.wait_for_url("**/recurring-orders")
    form = buyer.locator("#new-recurring")
    form.locator("input[name=sku]").nth(0).fill("CAB-001")
    form.locator("input[name=qty]").nth(0).fill("0")
    start = supplier_today() + timedelta(days=7)
    buyer.fill("#start-date", start.isoformat())
    buyer.fill("#interval", "2")
    submit(buyer, "#save-recurring")
    assert "at least 1" in buyer.inner_text("#form-error") or "Quantity" in buyer.inner_text("#form-error")
    form = buyer.locator("#new-recurring")
    form.locator("input[name=sku]").nth(0).fill("CAB-001")
    form.locator("input[name=qty]").nth(0).fill("20")
    buyer.fill("#start-date", start.isoformat())
    buyer.fill("#interval", "2")
    submit(buyer, "#save-recurring")
    assert "Recurring order saved" in buyer.inner_text("#flash-notice")
    row = buyer.locator("#recurring-orders tbody tr").nth(0)
    assert row.locator(".next-run").inner_text() == start.isoformat()
    submit(buyer, "#recurring-orders .skip-next")
    assert buyer.locator("#recurring-orders .next-run").nth(0).inner_text() == (start + timedelta(weeks=2)).isoformat()
    submit(buyer, "#recurring-orders .pause")
    assert buyer.locator("#recurring-orders .status").nth(0).inner_text().startswith("Paused")
    submit(buyer, "#recurring-orders .resume")
    assert buyer.locator("#recurring-orders .status").nth(0).inner_text().startswith("Active")
