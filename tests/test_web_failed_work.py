"""The admin's failed-work page in headless Chromium: a new order whose processing kept failing waits there,
the admin replays it once the cause is fixed, and the order goes on to its review."""
from __future__ import annotations

import pytest

from chalicelib.services import table_changes
from chalicelib.store import orders as order_store
from chalicelib.store.users import find_user
from tests.test_review_workflow import place, shop
from tests.test_web_ordering import people, sign_in, submit  # noqa: F401 - a browser context per person
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

pytestmark = pytest.mark.browser


def test_an_admin_replays_failed_work_from_its_page(people, http_server, api, world, workflows, monkeypatch):
    _, buyer_token, agent_token = shop(world, auto_approve=True)
    admin_id, _ = world.staff("admin")

    handle_change = table_changes.handle_change

    def unreachable(event_name, keys, **images):
        if table_changes.new_order_id(event_name, keys):
            raise RuntimeError("Step Functions is unreachable")
        return handle_change(event_name, keys, **images)

    monkeypatch.setattr(table_changes, "handle_change", unreachable)
    order = place(api, buyer_token)
    workflows.deliver()
    monkeypatch.undo()  # the cause is fixed
    assert order_store.get(order["id"]).status == "draft"

    admin = people()
    sign_in(admin, http_server, find_user(admin_id).email, lands="**/agent/orders")
    submit(admin, "nav >> text=Failed work")
    row = admin.locator("#failed-work tbody tr[data-id]")
    assert row.count() == 1
    assert "table change" in row.locator(".summary").inner_text()
    assert row.locator(".reason").inner_text() == "Retried until the attempts ran out; the consumer's log has the error."

    with admin.expect_navigation():
        row.get_by_role("button", name="Replay").click()
    assert admin.inner_text("#flash-notice").startswith("Replayed:")
    assert "Nothing has failed" in admin.inner_text("#failed-work")
    workflows.until(lambda: order_store.get(order["id"]).status == "accepted", what="the replayed order's review")


def test_only_admins_have_the_failed_work_page(people, http_server, world):
    agent_id, _ = world.staff("agent")
    agent = people()
    sign_in(agent, http_server, find_user(agent_id).email, lands="**/agent/orders")
    assert agent.locator("nav >> text=Failed work").count() == 0
    response = agent.goto(f"{http_server}/agent/failed-work")
    assert response.status == 403
