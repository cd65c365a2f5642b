"""The automation pages in headless Chromium: a manager installs a template, fixes a rule the server refuses
field by field, enables it, dry-runs it against an order, and sees its run on the order's page; an admin sees
the rule checked as it is typed (under the pages' Content-Security-Policy) and the chosen event's fields."""
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


def test_the_editor_checks_the_rule_as_it_is_typed_and_shows_the_events_fields(people, http_server, world):
    from playwright.sync_api import expect  # noqa: PLC0415 - waits for the debounced check's answer

    admin_id, _ = world.staff("admin")
    page = people()
    sign_in(page, http_server, find_user(admin_id).email, lands="**/agent/orders")
    page.goto(f"{http_server}/agent/automation/rules/new")
    editor = page.url
    status, actions = page.locator("#rule-problems"), page.locator("#rule-actions")

    # the example rule has no name yet: said at once, beside the name
    expect(status).to_have_text("1 problem")
    expect(page.locator("#error-name")).to_have_text("name: A rule needs a name (at most 120 characters).")
    page.fill("#rule-name", "Big orders to the ERP")
    expect(status).to_have_text("No problems found")
    expect(page.locator("#error-name")).to_be_hidden()

    # a webhook without its address: the same refusal a save gives, beside the actions box, nothing submitted
    page.fill("#rule-actions", json.dumps([{"type": "webhook", "format": "json"}], indent=2))
    expect(page.locator("#error-actions")).to_have_text("actions[0].url: url is an http(s) address.")
    expect(status).to_have_text("1 problem")
    expect(actions).to_have_attribute("aria-invalid", "true")
    assert "error-actions" in actions.get_attribute("aria-describedby").split()
    assert page.url == editor and automation.list_rules() == []

    page.fill("#rule-actions", json.dumps([{"type": "webhook", "format": "json", "url": "https://erp.example.com/hook"}]))
    expect(status).to_have_text("No problems found")
    expect(page.locator("#error-actions")).to_be_hidden()
    expect(actions).not_to_have_attribute("aria-invalid", "true")
    assert actions.get_attribute("aria-describedby") == "hint-actions"

    # JSON that does not read, in two boxes: each said where it is
    page.fill("#rule-trigger", '{"event": "order.placed",}')
    page.fill("#rule-conditions", '{"all": [\n  {"field": "order.total" "op": "gt", "value": 5000}\n]}')
    expect(status).to_have_text("2 problems")
    expect(page.locator("#error-trigger")).to_have_text(
        "This is not valid JSON: Expecting property name enclosed in double quotes (line 1, column 26).")
    expect(page.locator("#error-conditions")).to_have_text("This is not valid JSON: Expecting ',' delimiter (line 2, column 27).")
    expect(page.locator("#rule-trigger")).to_have_attribute("aria-invalid", "true")
    page.fill("#rule-trigger", '{"event": "order.placed"}')
    page.fill("#rule-conditions", '{"all": [{"field": "order.total", "op": "gt", "value": 5000}]}')
    expect(status).to_have_text("No problems found")

    # the event reference beside the trigger: the chosen event's fields and those of what it refers to
    reference = page.locator("#event-reference")
    expect(reference.locator("[data-event='order.placed']")).to_be_visible()
    page.select_option("#rule-event", "invoice.overdue")
    assert json.loads(page.input_value("#rule-trigger")) == {"event": "invoice.overdue"}
    expect(reference.locator("[data-event='order.placed']")).to_be_hidden()
    overdue = reference.locator("[data-event='invoice.overdue']")
    expect(overdue).to_be_visible()
    expect(overdue.locator("dt", has_text="event.days_overdue").locator("+ dd")).to_have_text("days past the due date")
    expect(reference.locator("[data-entity=invoice]")).to_contain_text("invoice.amount_due")
    expect(reference.locator("[data-entity=client]")).to_be_visible()
    expect(reference.locator("[data-entity=proposal]")).to_be_hidden()
    expect(status).to_have_text("No problems found")  # order.total: an overdue invoice refers to its order

    page.fill("#rule-trigger", '{"event": "client.registered"}')  # typed rather than chosen
    expect(reference.locator("[data-event='client.registered']")).to_contain_text("event.registration_id")
    expect(reference.locator("[data-entity=order]")).to_be_hidden()
    assert page.input_value("#rule-event") == "client.registered"
    expect(page.locator("#error-conditions")).to_contain_text("conditions.all[0].field:")
    expect(status).to_have_text("1 problem")

    page.fill("#rule-conditions", "")
    expect(status).to_have_text("No problems found")
    with page.expect_navigation():
        page.click("#save-rule")
    assert "Saved" in page.inner_text("#flash-notice")
    assert [r["trigger"] for r in automation.list_rules()] == [{"event": "client.registered"}]
