"""The order timeline, built from the real workflow executions' histories and the order's own rows, in the API
and on the agent's and the buyer's order pages (real headless Chromium): an order that was modified, partly
back-ordered, shipped, invoiced and partly paid."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.services.pricing import supplier_today
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store import settings as settings_store
from chalicelib.store.users import find_user
from tests.test_web_ordering import HQ, people, sign_in  # noqa: F401 - a browser context per person
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

pytestmark = pytest.mark.browser

PARCELS = {"parcels": [{"weight_kg": "2.5", "length_cm": 40, "width_cm": 30, "height_cm": 20}]}


@pytest.fixture
def bucharest(app_settings):
    """The supplier works in Bucharest (UTC+2 in November)."""
    app_settings(SUPPLIER_TIMEZONE="Europe/Bucharest")


def an_order_with_a_story(api, world, workflows):
    """Placed; modified by the agent to more cables than there are; accepted by the client; delivered in part
    with a back-order; shipped, invoiced on shipping and half paid."""
    stored = settings_store.load()
    stored.auto_create_delivery_note, stored.invoice_on = True, "shipping"
    settings_store.save(stored)
    agent_id, agent = world.staff("agent")
    admin = world.admin_token()
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=3)
    world.product("NET-001", name="Switch", base_price=Decimal("100.00"), qty_on_hand=10)
    client = world.client("Acme SRL", sale_agent_id=agent_id, addresses=[HQ])
    contact_id, buyer = world.buyer(client)
    order = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 2}, {"sku": "NET-001", "qty": 1}]}, buyer).body
    workflows.until(lambda: order_store.get(order["id"]).review_task_token, what="the agent's wait")
    modified = api.post(f"/admin/orders/{order['id']}/modify", {
        "lines": [{"sku": "CAB-001", "qty": 5}, {"sku": "NET-001", "qty": 1}], "message": "Take five cables, a better price"}, agent)
    assert modified.status == 200
    workflows.until(lambda: order_store.get(order["id"]).client_task_token, what="the client's wait")
    assert api.post(f"/portal/orders/{order['id']}/accept-changes", None, buyer).status == 200

    dn = workflows.until(lambda: dn_store.for_order(order["id"]), what="the delivery note")[0]
    workflows.until(lambda: dn_store.get(dn.id).approval_task_token, what="the warehouse's approval wait")
    approved = api.post(f"/admin/delivery-notes/{dn.id}/approve", None, admin).body
    assert approved["backorder_id"]
    workflows.until(lambda: dn_store.get(dn.id).packing_task_token, what="the packing wait")
    api.post(f"/admin/delivery-notes/{dn.id}/packing-list", PARCELS, admin)
    invoice = workflows.until(lambda: (i := invoice_store.find(f"inv_{dn.id}")) and "issued" in (i.notified or set()) and i,
                              timeout=30, what="the invoice")
    paid = api.post(f"/admin/invoices/{invoice.id}/payments",
                    {"amount": "50.00", "date": supplier_today().isoformat(), "method": "bank_transfer"}, admin)
    assert paid.status == 201 and paid.body["status"] == "partially_paid"
    return order, agent, buyer, find_user(agent_id).email, find_user(contact_id).email, dn_store.get(dn.id)


def test_the_timeline_tells_the_orders_story_to_the_agent_and_the_buyer(api, world, workflows, people, http_server, bucharest):
    order, agent, buyer, agent_email, buyer_email, dn = an_order_with_a_story(api, world, workflows)

    staff_view = api.get(f"/admin/orders/{order['id']}", agent).body["timeline"]
    kinds = [e["kind"] for e in staff_view]
    # the back-order note is created (and runs its own fulfilment) when the warehouse approves the first one
    assert kinds == ["placed", "checks", "modify", "accept_changes", "delivery_note_created", "delivery_note_created",
                     "delivery_note_approved", "packed", "shipped", "invoiced", "paid"]
    backorder = dn_store.get(dn.backorder_id)
    assert [e["label"] for e in staff_view if e["kind"] == "delivery_note_created"] == [
        f"Delivery note {dn.number} created", f"Delivery note {backorder.number} created"]
    by_kind = {e["kind"]: e for e in staff_view}
    assert by_kind["checks"]["audience"] == "staff" and "credit" in by_kind["checks"]["detail"]
    assert by_kind["modify"]["actor"] == agent_email and by_kind["modify"]["detail"] == "Take five cables, a better price"
    assert "the rest waits for stock on" in by_kind["delivery_note_approved"]["detail"]
    assert f"AWB {dn.awb}" in by_kind["shipped"]["detail"]
    assert "still due" in by_kind["paid"]["detail"]
    assert all(e["at"].endswith("+02:00") for e in staff_view)  # the supplier's time zone
    assert [e["at"] for e in staff_view] == sorted(e["at"] for e in staff_view)

    buyer_view = api.get(f"/portal/orders/{order['id']}", buyer).body["timeline"]
    assert [e["kind"] for e in buyer_view] == [k for k in kinds if k != "checks"]
    assert {e["audience"] for e in buyer_view} == {"all"}
    assert agent_email not in str(buyer_view)
    assert {e["kind"]: e["actor"] for e in buyer_view}["modify"] == "Your sales agent"
    assert {e["kind"]: e["actor"] for e in buyer_view}["accept_changes"] == "You"

    agent_page = people()
    sign_in(agent_page, http_server, agent_email, lands="**/agent/orders")
    agent_page.goto(f"{http_server}/agent/orders/{order['id']}")
    items = agent_page.locator("#timeline li")
    assert [items.nth(i).get_attribute("data-kind") for i in range(items.count())] == kinds
    checks = agent_page.locator('#timeline li[data-kind="checks"]')
    assert "credit" in checks.inner_text() and checks.get_attribute("class") == "staff"
    first_time = agent_page.locator("#timeline li time").first
    assert first_time.get_attribute("datetime").endswith("+02:00")
    assert first_time.inner_text() == first_time.get_attribute("datetime")[:16].replace("T", " ")

    buyer_page = people()
    sign_in(buyer_page, http_server, buyer_email)
    buyer_page.goto(f"{http_server}/orders/{order['id']}")
    shown = buyer_page.locator("#timeline li")
    assert [shown.nth(i).get_attribute("data-kind") for i in range(shown.count())] == [k for k in kinds if k != "checks"]
    text = buyer_page.inner_text("#timeline")
    assert agent_email not in text and "Your sales agent" in text and "still due" in text
    assert "waits for stock" in text and dn.awb in text
