"""Company self-service: a buyer company's administrators manage their colleagues, and a purchaser's order above
their spending limit waits for the company's approver before it reaches the supplier's review."""
from __future__ import annotations

from decimal import Decimal

from moto.ses.models import ses_backends

from chalicelib.store import orders as order_store
from infra.local.provision import ACCOUNT_ID


def patch(api, path, body, token):
    return api.call("PATCH", path, body, token=token)


def mails_to(email):
    return [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages
            if email in m.destinations.get("ToAddresses", [])]


def company(world, api):
    agent_id, agent_token = world.staff("agent")
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=1000)
    client = world.client("Acme SRL", sale_agent_id=agent_id,
                          addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    approver_id, approver = world.buyer(client, place_orders=True, orders=True, approve_orders=True, manage_company=True)
    purchaser_id, purchaser = world.buyer(client, spending_limit="500.00", place_orders=True, orders=True)
    return client, agent_token, (approver_id, approver), (purchaser_id, purchaser)


def test_an_order_within_the_limit_goes_straight_to_review(api, world, workflows):
    _, _, _, (_, purchaser) = company(world, api)
    order = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 10}]}, purchaser).body
    assert (order["status"], order["status_code"]) == ("draft", 1)
    workflows.until(lambda: order_store.get(order["id"]).review_task_token, what="the agent's wait")


def test_an_order_above_the_limit_waits_for_the_approver_then_is_reviewed(api, world, workflows):
    client, agent, (approver_id, approver), (_, purchaser) = company(world, api)
    placed = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 50}], "client_reference": "PO-9"}, purchaser)
    assert placed.status == 201, placed.text
    order = placed.body
    assert (order["status"], order["status_code"], order["total"]) == ("awaiting_approval", 6, "595.00")

    workflows.deliver()
    workflows.deliver()
    assert order_store.get(order["id"]).review_task_token is None  # no review started
    assert [o["id"] for o in api.get("/admin/orders?status=draft", agent).body["items"]] == []
    approver_email = api.get("/portal/me", approver).body["contact"]["email"]
    asked = [m for m in mails_to(approver_email) if "waits for your approval" in m.subject]
    assert len(asked) == 1 and order["number"] in asked[0].subject and "/approvals" in asked[0].body
    workflows.deliver()
    assert len([m for m in mails_to(approver_email) if "waits for your approval" in m.subject]) == 1  # asked once

    queue = api.get("/portal/approvals", approver).body["items"]
    assert [o["id"] for o in queue] == [order["id"]]
    assert api.get("/portal/approvals", purchaser).status == 403
    assert api.post(f"/portal/approvals/{order['id']}/approve", {}, purchaser).status == 403

    approved = api.post(f"/portal/approvals/{order['id']}/approve", {}, approver)
    assert approved.status == 200, approved.text
    assert approved.body["status"] == "draft" and approved.body["approval"]["status"] == "approved"
    assert api.post(f"/portal/approvals/{order['id']}/approve", {}, approver).status == 409
    assert api.get("/portal/approvals", approver).body["items"] == []

    workflows.until(lambda: order_store.get(order["id"]).review_task_token, what="the agent's wait")
    assert api.post(f"/admin/orders/{order['id']}/approve", {}, agent).status == 200
    assert workflows.finished(order["id"]) == "SUCCEEDED"
    seen = api.get(f"/portal/orders/{order['id']}", purchaser).body
    assert seen["status"] == "accepted"
    events = [h["event"] for h in seen["history"]]
    assert events[:2] == ["placed", "company_approved"] and "approve" in events
    approved_line = next(h for h in seen["history"] if h["event"] == "company_approved")
    assert "Test Buyer" in (approved_line.get("note") or "") or approved_line.get("actor")


def test_a_rejected_order_never_reaches_the_supplier(api, world, workflows):
    _, agent, (_, approver), (_, purchaser) = company(world, api)
    order = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 60}]}, purchaser).body
    rejected = api.post(f"/portal/approvals/{order['id']}/reject", {"reason": "Over budget this month"}, approver)
    assert rejected.status == 200 and rejected.body["status"] == "declined"
    assert rejected.body["approval"] == {**rejected.body["approval"], "status": "rejected", "reason": "Over budget this month"}
    workflows.deliver()
    workflows.deliver()
    assert order_store.get(order["id"]).review_task_token is None
    purchaser_email = api.get("/portal/me", purchaser).body["contact"]["email"]
    assert any("Over budget this month" in m.body for m in mails_to(purchaser_email))
    assert api.post(f"/portal/approvals/{order['id']}/approve", {}, approver).status == 409


def test_an_approver_cannot_approve_their_own_order(api, world):
    client, _, _, _ = company(world, api)
    _, boss = world.buyer(client, spending_limit="10.00", place_orders=True, approve_orders=True)
    order = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 5}]}, boss).body
    assert order["status"] == "awaiting_approval"
    refused = api.post(f"/portal/approvals/{order['id']}/approve", {}, boss)
    assert refused.status == 403 and refused.body["error"]["code"] == "own_order"


def test_company_admin_invites_colleagues_within_their_own_permissions(api, world):
    client, _, (_, admin), (purchaser_id, purchaser) = company(world, api)
    listed = api.get("/portal/company/contacts", admin)
    assert listed.status == 200 and len(listed.body["items"]) == 2
    assert api.get("/portal/company/contacts", purchaser).status == 403

    beyond = api.post("/portal/company/contacts", {"email": "new@acme.example", "first_name": "Ana", "last_name": "Pop",
                                                   "permissions": {"orders": True, "invoices": True}}, admin)
    assert beyond.status == 403 and beyond.body["error"]["code"] == "permission_not_held"
    assert beyond.body["error"]["field"] == "permissions.invoices"

    invited = api.post("/portal/company/contacts", {"email": "New@Acme.example", "first_name": "Ana", "last_name": "Pop",
                                                    "permissions": {"orders": True, "place_orders": True},
                                                    "spending_limit": "250.00"}, admin)
    assert invited.status == 201, invited.text
    assert invited.body["email"] == "new@acme.example" and invited.body["spending_limit"] == "250.00"
    invitation = mails_to("new@acme.example")
    assert len(invitation) == 1 and "Temporary password" in invitation[0].body
    again = api.post("/portal/company/contacts", {"email": "new@acme.example", "first_name": "A", "last_name": "B",
                                                  "permissions": {"orders": True}}, admin)
    assert again.status == 409

    bad = patch(api, f"/portal/company/contacts/{purchaser_id}", {"spending_limit": "-5"}, admin)
    assert bad.status == 422
    changed = patch(api, f"/portal/company/contacts/{purchaser_id}",
                        {"spending_limit": None, "permissions": {"place_orders": False}}, admin)
    assert changed.status == 200 and changed.body["spending_limit"] is None
    assert changed.body["permissions"]["place_orders"] is False and changed.body["permissions"]["orders"] is True
    grant = patch(api, f"/portal/company/contacts/{purchaser_id}", {"permissions": {"invoices": True}}, admin)
    assert grant.status == 403 and grant.body["error"]["code"] == "permission_not_held"

    other_client = world.client("Other SRL")
    stranger_id, _ = world.buyer(other_client)
    assert patch(api, f"/portal/company/contacts/{stranger_id}", {"status": "disabled"}, admin).status == 404


def test_a_disabled_colleague_is_signed_out_and_cannot_sign_in(api, world):
    client, _, (admin_id, admin), (purchaser_id, purchaser) = company(world, api)
    assert api.get("/portal/me", purchaser).status == 200
    own = patch(api, f"/portal/company/contacts/{admin_id}", {"status": "disabled"}, admin)
    assert own.status == 403 and own.body["error"]["code"] == "own_account"
    disabled = patch(api, f"/portal/company/contacts/{purchaser_id}", {"status": "disabled"}, admin)
    assert disabled.status == 200 and disabled.body["status"] == "disabled"
    assert api.get("/portal/me", purchaser).status == 401
    email = disabled.body["email"]
    from tests.support.world import PASSWORD
    assert api.post("/auth/login", {"email": email, "password": PASSWORD}).status == 401
    enabled = patch(api, f"/portal/company/contacts/{purchaser_id}", {"status": "active"}, admin)
    assert enabled.status == 200 and api.post("/auth/login", {"email": email, "password": PASSWORD}).status == 200
