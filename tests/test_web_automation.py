"""The automation pages in headless Chromium: a manager installs a template, fixes a rule the server refuses
field by field, enables it, dry-runs it against an order, and sees its run on the order's page."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from chalicelib.services import automation
from chalicelib.store.users import find_user
from tests.test_web_ordering import people, sign_in, submit  # noqa: F401 - a browser context per person
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

pytestmark = pytest.mark.browser
ADDRESS = [{"label": "HQ", "line1": "Str. Lunga 1", "city": "Cluj", "postcode": "400000", "country": "RO"}]


def test_a_manager_writes_tries_and_enables_a_rule(people, http_server, api, world, workflows):
    manager_id, _ = world.staff("manager")
    world.product("SRV-100", name="Server", base_price=Decimal("1000.00"), qty_on_hand=100)
    client = world.client("Reseller Co", group_id=world.group("Resellers"), credit_limit=Decimal("1000000"), addresses=ADDRESS)
    _, buyer = world.buyer(client)

    page = people()
    sign_in(page, http_server, find_user(manager_id).email, lands="**/agent/orders")
    submit(page, "nav >> text=Automation")
    assert "No rules yet" in page.inner_text("#rules")

    with page.expect_navigation():
        page.locator("#templates tr[data-template=teams_big_orders] button.install").click()
    assert "Installed" in page.inner_text("#flash-notice")
    assert page.input_value("#rule-name") == "Post large reseller orders to Microsoft Teams"
    assert not page.is_checked("#rule-enabled")

    # a typo the server refuses, shown beside the box it is in; what was typed stays
    actions = json.loads(page.input_value("#rule-actions"))
    actions[0]["url"] = "not a url"
    page.fill("#rule-actions", json.dumps(actions))
    with page.expect_navigation():
        page.click("#save-rule")
    assert page.inner_text("#error-actions").startswith("actions[0].url:")
    assert "not a url" in page.input_value("#rule-actions")

    actions = [a for a in actions if a["type"] != "webhook"]  # no Teams channel here: keep the task
    page.fill("#rule-actions", json.dumps(actions))
    page.check("#rule-enabled")
    with page.expect_navigation():
        page.click("#save-rule")
    assert "Saved" in page.inner_text("#flash-notice")

    order_id = api.post("/portal/orders", {"lines": [{"sku": "SRV-100", "qty": 2}]}, buyer).body["id"]
    page.fill("#dry-run-sample", json.dumps({"detail": {"order_id": order_id}}))
    with page.expect_navigation():
        page.click("#run-dry-run")
    assert page.inner_text("#dry-run-verdict").startswith("No match")
    assert "order.total" in page.inner_text("#dry-run-conditions")

    big = api.post("/portal/orders", {"lines": [{"sku": "SRV-100", "qty": 8}]}, buyer).body["id"]
    workflows.until(lambda: [r for r in automation.runs_for_entity(big) if r["status"] == "done"], timeout=30,
                    what="the rule's run")
    page.goto(f"{http_server}/agent/orders/{big}")
    block = page.inner_text("#automation-runs")
    assert "Post large reseller orders to Microsoft Teams" in block and "Task: Done" in block

    submit(page, "nav >> text=Automation")
    row = page.locator("#rules tr[data-rule]")
    assert row.locator(".rule-status").inner_text() == "Enabled"
    with page.expect_navigation():
        row.locator("button.toggle").click()
    assert page.locator("#rules tr[data-rule] .rule-status").inner_text() == "Disabled"


def test_agents_have_no_automation_pages(people, http_server, world):
    agent_id, _ = world.staff("agent")
    page = people()
    sign_in(page, http_server, find_user(agent_id).email, lands="**/agent/orders")
    assert page.locator("nav >> text=Automation").count() == 0
    assert page.goto(f"{http_server}/agent/automation").status == 403
