"""Workflow automation on the local stack: rules an admin writes, fired by the platform's own events through the
bus, the events queue, the matcher and a real Express execution of automation_run.asl.json."""
from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests

from chalicelib.services import automation, automation_actions
from chalicelib.store import automation as automation_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store.users import find_user
from infra.local.outbox import sent_mail
from infra.local.timers import AutomationTimer
from tests.support.receiver import Receiver
from tests.support.world import PASSWORD

SECRET = "reseller-hook-secret"
ADDRESS = [{"label": "HQ", "line1": "Str. Lunga 1", "city": "Cluj", "postcode": "400000", "country": "RO"}]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture(autouse=True)
def no_backoff_waits(monkeypatch):
    waits = []
    monkeypatch.setattr(automation_actions, "sleep", waits.append)
    return waits


def big_reseller_rule(url, **changes):
    return {"name": "Large reseller orders", "enabled": True, "trigger": {"event": "order.placed"},
            "conditions": {"all": [{"field": "order.total", "op": "gt", "value": 5000},
                                   {"field": "client.group_name", "op": "eq", "value": "Resellers"}]},
            "actions": [{"type": "webhook", "url": url, "secret": SECRET},
                        {"type": "task", "assignee_role": "manager", "title": "Large order {{ order.number }} from {{ client.name }}",
                         "due_hours": 24}], **changes}


def reseller_world(world):
    admin = world.admin_token()
    manager_id, _ = world.staff("manager")
    world.product("SRV-100", name="Server", base_price=Decimal("1000.00"), qty_on_hand=100)
    client = world.client("Reseller Co", group_id=world.group("Resellers"), credit_limit=Decimal("1000000"),
                          addresses=ADDRESS)
    _, buyer = world.buyer(client)
    return admin, manager_id, buyer


def place(api, buyer, qty):
    placed = api.post("/portal/orders", {"lines": [{"sku": "SRV-100", "qty": qty}]}, buyer)
    assert placed.status == 201, placed.body
    return placed.body["id"]


def finished_run(workflows, entity_id, rule_id, statuses=("done", "failed")):
    def run():
        runs = [r for r in automation.runs_for_entity(entity_id) if r["rule_id"] == rule_id]
        return runs[0] if runs and runs[0]["status"] in statuses else None
    return workflows.until(run, timeout=30, what=f"the automation run of {entity_id}")


def test_large_reseller_order_calls_the_signed_webhook_once_and_gives_managers_a_task(api, world, workflows, receiver):
    admin, manager_id, buyer = reseller_world(world)
    created = api.post("/admin/automation/rules", big_reseller_rule(receiver.url), admin)
    assert created.status == 201, created.body
    rule_id = created.body["id"]

    order_id = place(api, buyer, 6)  # 6,000 + VAT
    run = finished_run(workflows, order_id, rule_id)
    assert run["status"] == "done" and run["matched"]
    assert [(a["type"], a["status"], a["attempts"]) for a in run["actions"]] == [("webhook", "done", 1), ("task", "done", 1)]

    assert len(receiver.requests) == 1
    hook = receiver.requests[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), hook["body"], hashlib.sha256).hexdigest()
    assert hook["headers"]["X-Signature"] == expected
    assert hook["json"]["event"] == "order.placed" and hook["json"]["rule_id"] == rule_id
    assert hook["json"]["data"]["order"]["id"] == order_id
    assert hook["json"]["data"]["client"]["group_name"] == "Resellers"

    number = order_store.get(order_id).number
    titles = [t.title for t in order_store.tasks_for(manager_id) if t.title.startswith(f"Large order {number} from Reseller Co")]
    assert len(titles) == 1 and titles[0].endswith(")")  # "(due <date>)"

    # The same event again (SQS redelivers it, or a second Express execution starts): nothing happens twice.
    stored = json.loads(automation_store.get_run(run["id"]).event_json)
    automation.handle_events([{"id": "another-eventbridge-id", "detail-type": stored["type"], "time": stored["time"],
                               "detail": stored["detail"]}])
    automation.start_run(run["id"])
    workflows.deliver()
    assert automation_actions.run_action(run["id"], 0)["repeated"] is True
    assert len(receiver.requests) == 1
    assert [t.title for t in order_store.tasks_for(manager_id)].count(titles[0]) == 1

    # A small order is no match, and its run says why.
    small_id = place(api, buyer, 2)
    def small_run():
        return [r for r in automation.runs_of_rule(rule_id, 10, None)[0] if r["event_id"] == f"order.placed:{small_id}"]
    small = workflows.until(small_run, what="the small order's run")[0]
    assert small["matched"] is False and small["status"] == "no_match"
    assert small["conditions"][0]["field"] == "order.total" and small["conditions"][0]["result"] is False
    assert len(receiver.requests) == 1
    assert [r["id"] for r in automation.runs_for_entity(small_id)] == []  # the order page lists what ran, not every miss

    listed = api.get(f"/admin/automation/runs?rule_id={rule_id}", admin).body["items"]
    assert {r["event_id"] for r in listed} == {f"order.placed:{order_id}", f"order.placed:{small_id}"}


def test_a_failing_receiver_is_retried_then_shown_failed_without_holding_up_the_order(
        api, world, workflows, receiver, no_backoff_waits):
    admin, manager_id, buyer = reseller_world(world)
    rule_id = api.post("/admin/automation/rules", big_reseller_rule(receiver.url), admin).body["id"]
    receiver.always_fail = True

    order_id = place(api, buyer, 6)
    run = finished_run(workflows, order_id, rule_id)
    assert run["status"] == "failed"
    webhook, task = run["actions"]
    assert webhook["status"] == "failed" and webhook["attempts"] == 3 and "HTTP 500" in webhook["error"]
    assert task["status"] == "done"  # the other action still ran
    assert len(receiver.requests) == 3 and no_backoff_waits == [1.0, 4.0]
    # every attempt carries the same delivery id, so a receiver can tell a retry from a new event
    assert len({r["headers"]["X-Delivery-Id"] for r in receiver.requests}) == 1

    # the order's own review went on as if nothing happened
    assert order_store.get(order_id).review_task_token or order_store.get(order_id).status == "accepted"
    shown = api.get(f"/admin/automation/runs?rule_id={rule_id}", admin).body["items"][0]
    assert shown["actions"][0]["status"] == "failed" and shown["actions"][0]["attempts"] == 3

    receiver.always_fail, receiver.fail_next = False, 1  # one more failure, then it answers: retried within the step
    second = place(api, buyer, 7)
    run = finished_run(workflows, second, rule_id)
    assert run["status"] == "done" and run["actions"][0]["attempts"] == 2


def test_three_days_before_the_due_date_fires_on_the_local_timer(api, world, workflows):
    admin = world.admin_token()
    world.product("SRV-100", name="Server", base_price=Decimal("1000.00"), qty_on_hand=100)
    client = world.client("Punctual SRL", auto_approve=True, payment_term_days=30, credit_limit=Decimal("100000"),
                          addresses=ADDRESS)
    _, buyer = world.buyer(client)
    rule = api.post("/admin/automation/rules", {
        "name": "Due in 3 days", "enabled": True,
        "trigger": {"event": "invoice.issued", "relative": {"field": "invoice.due_date", "days": 3, "when": "before"}},
        "conditions": {"all": [{"field": "invoice.amount_due", "op": "gt", "value": 0}]},
        "actions": [{"type": "email", "to": "client_contact", "template": "invoice_due_soon"}]}, admin).body

    order_id = place(api, buyer, 1)
    invoice = workflows.until(lambda: (i := invoice_store.for_order(order_id)) and i[0], timeout=30, what="the invoice")
    run = workflows.until(lambda: automation.runs_for_entity(invoice.id), timeout=30, what="the scheduled run")[0]
    assert run["status"] == "scheduled"
    due_at = datetime.combine(invoice.due_date - timedelta(days=3), datetime.min.time(), timezone.utc) + timedelta(hours=7)
    assert run["due_at"] == due_at

    timer = AutomationTimer()
    assert timer.tick(due_at - timedelta(minutes=1)) == 0  # not yet
    assert timer.tick(due_at + timedelta(minutes=1)) == 1
    assert timer.tick(due_at + timedelta(minutes=2)) == 0  # fired once
    done = finished_run(workflows, invoice.id, rule["id"])
    assert done["status"] == "done", done["actions"]
    reminders = [m for m in sent_mail() if m["subject"] == f"Invoice {invoice.number} is due on {invoice.due_date.isoformat()}"]
    assert len(reminders) == 1 and reminders[0]["to"] == [order_store.get(order_id).contact_email]


def test_a_date_relative_rule_without_its_date_is_recorded_and_not_run(world):
    rule = automation.create_rule({"name": "Due soon", "enabled": True,
                                   "trigger": {"event": "invoice.issued", "relative": {"field": "invoice.due_date", "days": 3}},
                                   "actions": [{"type": "email", "to": "client_contact", "template": "invoice_due_soon"}]})
    event = {"id": "ev-1", "type": "invoice.issued", "time": datetime.now(timezone.utc).isoformat(),
             "detail": {"invoice_id": "inv_missing"}}
    automation.handle_events([{"detail-type": event["type"], "id": event["id"], "time": event["time"], "detail": event["detail"]}])
    run = automation_store.get_run(f"ev-1.{rule.id}")
    assert run.status == "skipped" and "no date" in run.actions_json  # no invoice, no due date to count from


def test_dry_run_explains_why_an_order_does_not_match(api, world, workflows, receiver):
    admin, _, buyer = reseller_world(world)
    rule_id = api.post("/admin/automation/rules", big_reseller_rule(receiver.url), admin).body["id"]
    order_id = place(api, buyer, 2)
    order = order_store.get(order_id)

    answer = api.post(f"/admin/automation/rules/{rule_id}/dry-run", {"event": {"type": "order.placed",
                                                                               "detail": {"order_id": order_id}}}, admin)
    assert answer.status == 200, answer.body
    assert answer.body["matched"] is False and answer.body["actions"] == []
    total, group = answer.body["conditions"]
    assert total == {"group": "all", "field": "order.total", "op": "gt", "value": 5000, "actual": str(order.total),
                     "result": False}
    assert group["actual"] == "Resellers" and group["result"] is True

    big = api.post(f"/admin/automation/rules/{rule_id}/dry-run", {"event": {"detail": {
        "order_id": place(api, buyer, 9)}}}, admin).body
    assert big["matched"] is True
    assert [a["type"] for a in big["actions"]] == ["webhook", "task"] and "signed" in big["actions"][0]["would"]
    assert receiver.requests == []  # nothing sent

    workflows.deliver()  # the placed orders' events are stored: replay them
    replay = api.post(f"/admin/automation/rules/{rule_id}/dry-run", {"since": datetime.now(timezone.utc).date().isoformat()},
                      admin).body
    assert replay["events"] >= 2 and replay["matches"] == 1


def test_invalid_rules_are_refused_field_by_field(api, world, receiver):
    admin = world.admin_token()
    cases = [
        ({"trigger": {"event": "order.teleported"}}, "trigger.event"),
        ({"conditions": {"all": [{"field": "order.colour", "op": "eq", "value": "red"}]}}, "conditions.all[0].field"),
        ({"conditions": {"all": [{"field": "order.total", "op": "like", "value": 1}]}}, "conditions.all[0].op"),
        ({"conditions": {"any": [{"field": "order.total", "op": "gt", "value": "lots"}]}}, "conditions.any[0].value"),
        ({"actions": [{"type": "webhook", "url": "ftp://x"}]}, "actions[0].url"),
        ({"actions": [{"type": "update_field", "entity": "client", "field": "name", "value": "x"}]}, "actions[0].field"),
        ({"actions": [{"type": "email", "to": "client_contact", "body": "Hi {{ client.name "}]}, "actions[0].body"),
        ({"actions": [{"type": "email", "to": "someone"}]}, "actions[0].to"),
        ({"trigger": {"event": "order.placed", "relative": {"field": "invoice.due_date", "days": 3}}}, "trigger.relative.field"),
        ({"actions": []}, "actions"),
    ]
    for change, field in cases:
        answer = api.post("/admin/automation/rules", big_reseller_rule(receiver.url, **change), admin)
        assert answer.status == 422, (change, answer.body)
        assert answer.body["error"]["field"] == field, (change, answer.body)
    assert api.get("/admin/automation/rules", admin).body["items"] == []  # nothing half-written


def test_rules_are_edited_enabled_and_deleted_by_admins_and_managers_only(api, world, receiver):
    admin = world.admin_token()
    _, manager = world.staff("manager")
    _, agent = world.staff("agent")
    assert api.get("/admin/automation/rules", agent).status == 403
    rule = api.post("/admin/automation/rules", big_reseller_rule(receiver.url, enabled=False), manager).body
    assert rule["enabled"] is False and rule["version"] == 1
    patched = api.call("PATCH", f"/admin/automation/rules/{rule['id']}", {"enabled": True}, token=admin)
    assert patched.status == 200 and patched.body["enabled"] is True and patched.body["version"] == 2
    assert [r.id for r in automation.enabled_rules()] == [rule["id"]]
    assert api.call("PATCH", f"/admin/automation/rules/{rule['id']}", {"actions": [{"type": "tag"}]}, token=admin).body["error"]["field"] \
        == "actions[0].tag"
    assert api.delete(f"/admin/automation/rules/{rule['id']}", admin).status == 204
    assert automation.enabled_rules() == ()  # the cache saw the version move
    assert api.get(f"/admin/automation/rules/{rule['id']}", admin).status == 404
    events = api.get("/admin/automation/events", admin).body["items"]
    placed = next(e for e in events if e["event"] == "order.placed")
    assert "total" in placed["fields"] and "group_name" in placed["entity_fields"]["client"]


def editor_check(http_server, form, token=None, csrf="form-token", cookie_csrf="form-token"):
    """POST the rule editor's form to its live check, as the editor's script does (session and CSRF cookies)."""
    cookies = "; ".join(c for c in (f"b2b_csrf={cookie_csrf}", f"b2b_session={token}" if token else "") if c)
    return requests.post(f"{http_server}/agent/automation/rules/validate", data={"csrf": csrf, **form},
                         headers={"Cookie": cookies}, timeout=10, allow_redirects=False)


def editor_form(rule):
    """A rule as the editor's form holds it: the name, the checkbox and three JSON boxes."""
    return {"name": rule["name"], **({"enabled": "on"} if rule["enabled"] else {}),
            **{part: json.dumps(rule[part], indent=2) for part in ("trigger", "conditions", "actions")}}


def problem(page: str) -> str:
    """The refusal a problem page states."""
    return re.search(r'<p id="problem">([^<]*)</p>', page).group(1)


def test_the_editors_live_check_answers_as_a_save_would_and_writes_nothing(http_server, world, receiver):
    _, admin = world.staff("admin")
    _, manager = world.staff("manager")
    good = editor_form(big_reseller_rule(receiver.url))

    assert editor_check(http_server, good, admin).json() == {"ok": True}
    assert editor_check(http_server, good, manager).json() == {"ok": True}

    bad = editor_form(big_reseller_rule(receiver.url, actions=[{"type": "webhook", "url": "ftp://x"}]))
    answer = editor_check(http_server, bad, admin)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {"errors": [{"field": "actions[0].url", "box": "actions",
                                         "message": "actions[0].url: url is an http(s) address."}]}
    saved = requests.post(f"{http_server}/agent/automation/rules", data={"csrf": "form-token", **bad}, timeout=10,
                          headers={"Cookie": f"b2b_csrf=form-token; b2b_session={admin}"}, allow_redirects=False)
    assert saved.status_code == 422 and "actions[0].url: url is an http(s) address." in saved.text  # the same words

    unnamed = editor_check(http_server, {**good, "name": " "}, admin).json()
    assert unnamed["errors"][0]["box"] == "name"
    several = editor_form(big_reseller_rule(receiver.url, name=" ", actions=[
        {"type": "webhook", "url": "ftp://x"}, {"type": "tag", "tag": "ok"}, {"type": "task", "title": "Call"}]))
    answer = editor_check(http_server, several, admin).json()
    assert [(e["box"], e["field"]) for e in answer["errors"]] == [
        ("name", "name"), ("actions", "actions[0].url"), ("actions", "actions[2].assignee_role")]
    saved = requests.post(f"{http_server}/agent/automation/rules", data={"csrf": "form-token", **several}, timeout=10,
                          headers={"Cookie": f"b2b_csrf=form-token; b2b_session={admin}"}, allow_redirects=False)
    assert saved.status_code == 422 and all(e["message"] in html.unescape(saved.text) for e in answer["errors"])
    broken = editor_check(http_server, {**good, "trigger": '{"event": "order.placed"', "actions": "[\n  {,\n]"}, admin).json()
    assert broken == {"errors": [
        {"field": "trigger", "box": "trigger",
         "message": "This is not valid JSON: Expecting ',' delimiter (line 1, column 25)."},
        {"field": "actions", "box": "actions",
         "message": "This is not valid JSON: Expecting property name enclosed in double quotes (line 2, column 4)."}]}
    assert automation.list_rules() == []  # checked, never saved


def test_the_editors_live_check_refuses_whoever_the_editor_refuses(http_server, world, receiver):
    _, admin = world.staff("admin")
    _, agent = world.staff("agent")
    _, buyer = world.buyer(world.client("Reseller Co", addresses=ADDRESS))
    form = editor_form(big_reseller_rule(receiver.url))

    signed_out = editor_check(http_server, form)
    assert (signed_out.status_code, signed_out.headers["Location"]) == (303, "/login")
    assert editor_check(http_server, form, admin, csrf="forged").status_code == 403
    assert editor_check(http_server, form, admin, cookie_csrf="another").status_code == 403
    for token in (agent, buyer):
        editor = requests.get(f"{http_server}/agent/automation/rules/new", headers={"Cookie": f"b2b_session={token}"},
                              timeout=10, allow_redirects=False)
        check = editor_check(http_server, form, token)
        assert check.status_code == editor.status_code == 403
        assert check.headers["Content-Type"].startswith("text/html")
        assert problem(check.text) == problem(editor.text)
    assert "Your role (agent) may not" in problem(editor_check(http_server, form, agent).text)


def test_the_editors_script_is_served_from_the_apps_own_origin(http_server):
    script = requests.get(f"{http_server}/scripts/automation_rule.js", timeout=10)
    assert script.status_code == 200 and script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "dataset.validate" in script.text and script.headers["X-Content-Type-Options"] == "nosniff"
    for missing in ("nope.js", "..%2Fpage_scripts.py", "automation_rule.js.bak"):
        assert requests.get(f"{http_server}/scripts/{missing}", timeout=10).status_code == 404, missing


def test_an_actions_own_event_does_not_trigger_its_rule_again(world):
    client = world.client("Loop SRL", addresses=ADDRESS)
    rule = automation.create_rule({"name": "Tag on update", "enabled": True, "trigger": {"event": "client.updated"},
                                   "actions": [{"type": "update_field", "entity": "client", "field": "segment", "value": "x"}]})
    caused = {"client_id": client, "automation": {"caused_by": [rule.id], "depth": 1}}
    automation.handle_events([{"id": "loop-1", "detail-type": "client.updated", "time": datetime.now(timezone.utc).isoformat(),
                               "detail": caused}])
    run = automation_store.get_run(f"loop-1.{rule.id}")
    assert run.matched == "0" and run.status == "skipped"
    deep = {"client_id": client, "automation": {"caused_by": ["other"], "depth": 3}}
    automation.handle_events([{"id": "loop-2", "detail-type": "client.updated", "time": datetime.now(timezone.utc).isoformat(),
                               "detail": deep}])
    assert automation_store.get_run(f"loop-2.{rule.id}").status == "skipped"


def test_default_rules_are_installed_once_and_only_the_reminder_starts_enabled(world):
    first = automation.install_default_rules()
    assert len(first) == len(automation.DEFAULT_RULES)
    assert automation.install_default_rules() == []  # setup run again installs nothing twice
    rules = {r["template_key"]: r for r in automation.list_rules()}
    assert rules["invoice_due_soon"]["enabled"] is True
    assert not any(r["enabled"] for key, r in rules.items() if key != "invoice_due_soon")


def test_stock_falling_below_its_minimum_gives_the_warehouse_a_task_once(api, world, workflows):
    admin = world.admin_token()
    _, warehouse = world.staff("warehouse")
    world.product("UPS-900", name="UPS 900", base_price=Decimal("300.00"), qty_on_hand=30)
    assert api.call("PATCH", "/admin/products/UPS-900", {"min_stock": 10}, admin).status == 200
    rule = api.post("/admin/automation/rules", {
        "name": "Reorder low stock", "enabled": True, "trigger": {"event": "stock.below_minimum"},
        "actions": [{"type": "task", "assignee_role": "warehouse", "due_hours": 8,
                     "title": "Reorder {{ product.name }}: {{ product.qty_available }} left, minimum {{ product.min_stock }}"}]},
        admin)
    assert rule.status == 201, rule.body

    assert api.put("/admin/products/UPS-900/stock", {"qty_on_hand": 12}, admin).status == 200  # still above
    assert api.put("/admin/products/UPS-900/stock", {"qty_on_hand": 6}, admin).status == 200  # crosses
    run = finished_run(workflows, "UPS-900", rule.body["id"])
    assert run["status"] == "done" and run["event"] == "stock.below_minimum"
    assert run["event_detail"]["qty_available"] == 6
    task = next(t for t in api.get("/admin/tasks", warehouse).body["items"] if t["title"].startswith("Reorder UPS 900"))
    assert task["title"] == "Reorder UPS 900: 6 left, minimum 10"

    assert api.put("/admin/products/UPS-900/stock", {"qty_on_hand": 4}, admin).status == 200  # lower still: no news
    workflows.deliver()
    runs = [r for r in automation.runs_for_entity("UPS-900") if r["rule_id"] == rule.body["id"]]
    assert len(runs) == 1


def test_a_contacts_first_sign_in_fires_once(api, world, workflows):
    admin = world.admin_token()
    rule = api.post("/admin/automation/rules", {
        "name": "Welcome call", "enabled": True, "trigger": {"event": "contact.first_login"},
        "actions": [{"type": "task", "assignee_role": "admin", "title": "Call {{ event.name }} ({{ client.name }})"}]},
        admin).body
    client = world.client("First Steps SRL", addresses=ADDRESS)
    contact_id, buyer = world.buyer(client)  # signs in for the first time
    run = finished_run(workflows, client, rule["id"])
    assert run["status"] == "done", run["actions"][0].get("error")
    assert run["event_detail"]["contact_id"] == contact_id
    titles = [t["title"] for t in api.get("/admin/tasks", admin).body["items"]]
    assert [t for t in titles if t.startswith("Call Test Buyer (First Steps SRL)")], titles

    again = api.post("/auth/login", {"email": find_user(contact_id).email, "password": PASSWORD})
    assert again.status == 200, again.body
    workflows.deliver()
    assert len([r for r in automation.runs_for_entity(client) if r["rule_id"] == rule["id"]]) == 1


def test_a_cart_left_for_the_settings_hours_is_announced_once_per_change(api, world, workflows):
    from chalicelib.services import cart

    admin = world.admin_token()
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=50)
    client = world.client("Idle Carts SRL", addresses=ADDRESS)
    contact_id, buyer = world.buyer(client)
    rule = api.post("/admin/automation/rules", {
        "name": "Nudge about the cart", "enabled": True, "trigger": {"event": "cart.abandoned"},
        "actions": [{"type": "task", "assignee_role": "admin",
                     "title": "{{ event.name }} left {{ event.lines_count }} line(s) for {{ event.idle_hours }} h"}]},
        admin).body
    assert api.put("/portal/cart/lines/CAB-001", {"qty": 3}, buyer).status == 200
    now = datetime.now(timezone.utc)

    assert cart.announce_abandoned(now + timedelta(hours=23)) == 0  # the default: 24 hours
    assert cart.announce_abandoned(now + timedelta(hours=25)) == 1
    assert cart.announce_abandoned(now + timedelta(hours=26)) == 0  # once per version of the cart
    run = finished_run(workflows, client, rule["id"])
    assert run["status"] == "done", run["actions"][0].get("error")
    assert (run["event_detail"]["contact_id"], run["event_detail"]["skus"]) == (contact_id, ["CAB-001"])
    titles = [t["title"] for t in api.get("/admin/tasks", admin).body["items"]]
    assert [t for t in titles if t.startswith("Test Buyer left 1 line(s) for 25 h")], titles

    # the supplier shortens the wait; the buyer comes back and changes the cart: it can be abandoned again
    assert api.put("/admin/settings", {"cart_abandoned_hours": 2}, admin).body["cart_abandoned_hours"] == 2
    assert api.put("/admin/settings", {"cart_abandoned_hours": 0}, admin).status == 422
    assert api.put("/portal/cart/lines/CAB-001", {"qty": 5}, buyer).status == 200
    assert cart.announce_abandoned(now + timedelta(hours=3)) == 1

    # a cart that became an order is nobody's worry
    assert api.put("/portal/cart/lines/CAB-001", {"qty": 6}, buyer).status == 200
    version = api.get("/portal/cart", buyer).body["version"]
    assert api.post("/portal/cart/checkout", {"cart_version": version}, buyer,
                    headers={"Idempotency-Key": "idle-1"}).status == 201
    assert cart.announce_abandoned(now + timedelta(hours=100)) == 0
