"""Every installable template (the automation seed's 18 use cases and the ordering workflow's examples) fires on
its event in a supplier's world and does what it says."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from chalicelib.automation_templates import TEMPLATE_LIST
from chalicelib.services import automation, automation_actions, invoicing, proposals, review
from chalicelib.store import automation as automation_store
from chalicelib.store import clients as client_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import proposals as proposal_store
from infra.local.outbox import sent_mail
from infra.local.timers import AutomationTimer
from tests.support.receiver import Receiver

ADDRESS = [{"label": "HQ", "line1": "Str. Lunga 1", "city": "Cluj", "postcode": "400000", "country": "RO"}]


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setattr(automation_actions, "sleep", lambda seconds: None)
    r = Receiver()
    yield r
    r.stop()


def supplier_world(api, world):
    """An agent's reseller client with a buyer, an accepted order of 10,000+ invoiced, and a proposal sent (one server at half price)."""
    admin = world.admin_token()
    agent_id, _ = world.staff("agent")
    world.staff("manager")
    world.staff("finance")
    world.product("SRV-100", name="Server", base_price=Decimal("1000.00"), qty_on_hand=100)
    client = world.client("Reseller Co", group_id=world.group("Resellers"), credit_limit=Decimal("1000000"),
                          sale_agent_id=agent_id, addresses=ADDRESS)
    _, buyer = world.buyer(client)
    order_id = api.post("/portal/orders", {"lines": [{"sku": "SRV-100", "qty": 9}]}, buyer).body["id"]
    review.approve(order_id, "tests")
    invoice = invoicing.issue(order_id)
    proposal = proposals.create("tests", {"client_id": client, "lines": [{"sku": "SRV-100", "qty": 1, "unit_price": Decimal("500.00")}]})
    proposals.send(proposal.id)
    return {"admin": admin, "agent_id": agent_id, "client_id": client, "order_id": order_id, "invoice_id": invoice.id,
            "proposal_id": proposal.id}


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.parametrize("template", TEMPLATE_LIST, ids=[t.key for t in TEMPLATE_LIST])
def test_template_fires_on_its_event(api, world, receiver, template):
    ids = supplier_world(api, world)
    if template.key == "assign_agent_by_region":  # a client nobody looks after yet
        ids["client_id"] = world.client("Unassigned SRL", addresses=ADDRESS)

    installed = api.post(f"/admin/automation/templates/{template.key}/install", None, ids["admin"])
    assert installed.status == 201, installed.body
    assert installed.body["enabled"] is False and installed.body["template_key"] == template.key
    actions = []
    for action in installed.body["actions"]:
        if action["type"] == "webhook":
            action = {**action, "url": receiver.url}
        if action["type"] == "assign_agent":
            action = {**action, "map": {"RO": ids["agent_id"], "*": ids["agent_id"]}}
        actions.append(action)
    rule = automation.update_rule(installed.body["id"], {"enabled": True, "actions": actions})

    detail = {k: v.format(**ids) if isinstance(v, str) else v for k, v in template.sample.items()}
    mails_before = len(sent_mail())
    event = {"id": f"tpl-{template.key}", "detail-type": template.rule["trigger"]["event"],
             "time": datetime.now(timezone.utc).isoformat(), "detail": detail}
    assert automation.handle_events([event]) == 1, automation_store.get_run(f"tpl-{template.key}.{rule.id}").conditions_json
    run_id = f"tpl-{template.key}.{rule.id}"
    if "relative" in template.rule["trigger"]:
        run = automation_store.get_run(run_id)
        assert run.status == "scheduled"
        assert AutomationTimer().tick(run.due_at + timedelta(minutes=1)) == 1

    run = wait_for(lambda: (r := automation_store.get_run(run_id)).status in ("done", "failed") and r)
    outcomes = automation.run_json(run)["actions"]
    assert run.status == "done", outcomes
    assert [o["type"] for o in outcomes] == [a["type"] for a in template.rule["actions"]]

    kinds = [a["type"] for a in template.rule["actions"]]
    assert len(receiver.requests) == kinds.count("webhook")
    for hook in receiver.requests:
        assert hook["json"]["rule_id"] == rule.id and hook["json"]["event"] == template.rule["trigger"]["event"]
    if "email" in kinds:
        assert len(sent_mail()) > mails_before
    for action in template.rule["actions"]:
        if action["type"] == "tag":
            assert action["tag"] in automation_store.client_attributes(ids["client_id"]).tags
        if action["type"] == "assign_agent":
            assert client_store.get_client(ids["client_id"]).sale_agent_id == ids["agent_id"]
        if action["type"] == "update_field" and action["field"] == "store_credit":
            credits = invoice_store.credits_of(ids["client_id"])
            assert [c.amount for c in credits] == [Decimal(action["value"])]
        if action["type"] == "update_field" and action["field"] == "disabled":
            assert proposal_store.get(ids["proposal_id"]).status == "draft"
        if action["type"] == "update_field" and action["field"] == "segment":
            assert automation_store.client_attributes(ids["client_id"]).segment == action["value"]
