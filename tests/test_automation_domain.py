"""The automation interpreter on its own, without AWS: comparisons, matching with explanations, timing of
delayed and date-relative triggers, validation, and the sandbox around admin-written text."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from jinja2.exceptions import SecurityError

from chalicelib.domain import automation as a
from chalicelib.domain.errors import ValidationFailed


def rule(**parts):
    body = {"name": "R", "enabled": True, "trigger": {"event": "order.placed"},
            "actions": [{"type": "tag", "tag": "big"}], **parts}
    return a.rule_from("r1", a.validate_rule(body))


CONTEXT = {"event_type": "order.placed", "event_id": "e1", "event": {"order_id": "so_1", "total": "6188.00"},
           "order": {"id": "so_1", "total": "6188.00", "number": "SO-1", "currency": "EUR"},
           "client": {"id": "c1", "name": "Reseller Co", "group_name": "Resellers", "tags": ["trusted"], "country": "RO"},
           "meta": {}}


@pytest.mark.parametrize("op,actual,value,expected", [
    ("gt", "6188.00", 5000, True), ("gt", "4999.99", 5000, False), ("gte", 5000, "5000.00", True),
    ("eq", "Resellers", "resellers", True), ("ne", "Resellers", "Distributors", True), ("eq", None, "x", False),
    ("in", "RO", ["BG", "RO"], True), ("contains", ["trusted", "vip"], "VIP", True), ("contains", "Reseller Co", "co", True),
    ("exists", None, True, False), ("exists", "", False, True), ("lt", "2026-12-01", "2026-12-24", True),
    ("gt", "abc", 1, False), ("ne", None, "x", True),
])
def test_comparisons(op, actual, value, expected):
    assert a.compare(op, actual, value) is expected


def test_all_and_any_with_each_condition_explained():
    r = rule(conditions={"all": [{"field": "order.total", "op": "gt", "value": 5000}],
                         "any": [{"field": "client.group_name", "op": "eq", "value": "Distributors"},
                                 {"field": "client.tags", "op": "contains", "value": "trusted"}]})
    match = a.evaluate(r, CONTEXT)
    assert match.matched
    assert [(c["field"], c["actual"], c["result"]) for c in match.conditions] == [
        ("order.total", "6188.00", True), ("client.group_name", "Resellers", False), ("client.tags", ["trusted"], True)]
    assert not a.evaluate(r, {**CONTEXT, "client": {**CONTEXT["client"], "tags": []}}).matched


def test_own_events_and_deep_chains_never_run_a_rule():
    r = rule()
    assert a.evaluate(r, {**CONTEXT, "meta": {"caused_by": ["r1"], "depth": 1}}).skipped
    assert a.evaluate(r, {**CONTEXT, "meta": {"caused_by": ["r2"], "depth": a.MAX_DEPTH}}).skipped
    assert a.evaluate(r, {**CONTEXT, "meta": {"caused_by": ["r2"], "depth": 1}}).matched


def test_delay_and_date_relative_times():
    at = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
    assert a.fire_at(rule(trigger={"event": "order.placed", "delay": {"minutes": 90}}), CONTEXT, at) == datetime(
        2026, 11, 27, 11, 30, tzinfo=timezone.utc)
    due = a.rule_from("r2", a.validate_rule({"name": "Due", "trigger": {"event": "invoice.issued", "relative": {
        "field": "invoice.due_date", "days": 3, "when": "before"}}, "actions": [{"type": "tag", "tag": "x"}]}))
    ctx = {"event_type": "invoice.issued", "invoice": {"due_date": "2026-12-27"}}
    assert a.fire_at(due, ctx, at) == datetime(2026, 12, 24, 7, 0, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        a.fire_at(due, {"event_type": "invoice.issued", "invoice": {}}, at)


def test_validation_names_the_field():
    with pytest.raises(ValidationFailed) as refused:
        a.validate_rule({"name": "R", "trigger": {"event": "order.placed", "delay": {"minutes": 0}}, "actions": []})
    assert refused.value.field == "trigger.delay.minutes"
    with pytest.raises(ValidationFailed) as refused:
        a.validate_rule({"name": "R", "trigger": {"event": "client.created"},
                         "actions": [{"type": "update_field", "entity": "proposal", "field": "disabled", "value": True}]})
    assert refused.value.field == "actions[0].entity"


def test_every_wrong_field_is_listed_in_the_order_of_the_rule():
    checked, problems = a.check_rule_parts({
        "name": " ", "enabled": "yes", "trigger": {"event": "order.placed"},
        "conditions": {"all": [{"field": "order.total", "op": "bigger", "value": 1}]},
        "actions": [{"type": "webhook", "url": "ftp://x"}, {"type": "tag", "tag": "vip"},
                    {"type": "task", "title": "Call"}]})
    assert [p.field for p in problems] == ["name", "enabled", "conditions.all[0].op", "actions[0].url",
                                           "actions[2].assignee_role"]
    assert checked["trigger"] == {"event": "order.placed"} and checked["actions"][1] == {"type": "tag", "tag": "vip"}
    with pytest.raises(ValidationFailed) as refused:  # a save names the first of them
        a.validate_rule({"name": " ", "trigger": {"event": "order.placed"}, "actions": []})
    assert refused.value.field == "name"

    _, problems = a.check_rule_parts({"name": "R", "trigger": {"event": "no.such"}, "actions": "all"})
    assert [p.field for p in problems] == ["trigger.event", "actions"]  # the actions' details wait for the event


def test_admin_text_is_sandboxed():
    assert a.render_text("{{ client.name }} {{ order.total }}", CONTEXT) == "Reseller Co 6188.00"
    with pytest.raises(SecurityError):
        a.render_text("{{ ''.__class__.__mro__[1].__subclasses__() }}", CONTEXT)
    subject, body = a.email_content({"template": "order_placed_agent"}, {**CONTEXT, "links": {"order_staff": "http://x"}})
    assert subject == "New order from Reseller Co — 6188.00 EUR" and "http://x" in body


def test_webhook_formats():
    ctx = {**CONTEXT, "event_label": "Order placed", "summary": "order SO-1"}
    plain = a.webhook_payload({"format": "json"}, "r1", ctx)
    assert plain["event"] == "order.placed" and plain["rule_id"] == "r1" and plain["data"]["order"]["id"] == "so_1"
    assert a.webhook_payload({"format": "slack"}, "r1", ctx)["text"] == "Order placed: order SO-1"
    teams = a.webhook_payload({"format": "teams", "text": "Big {{ order.number }}"}, "r1", ctx)
    assert teams["@type"] == "MessageCard" and teams["text"] == "Big SO-1"


def test_agent_picking():
    rr = {"strategy": "round_robin", "agents": ["a1", "a2", "a3"]}
    assert [a.pick_agent(rr, CONTEXT, n) for n in range(4)] == ["a1", "a2", "a3", "a1"]
    by = {"strategy": "by_field", "field": "client.country", "map": {"ro": "a-ro", "*": "a-rest"}}
    assert a.pick_agent(by, CONTEXT, 0) == "a-ro"
    assert a.pick_agent(by, {**CONTEXT, "client": {"country": "BG"}}, 0) == "a-rest"
