"""Comments on orders and proposals: the client's contacts and the supplier's staff write in one thread, and
each comment is emailed to the other side."""
from __future__ import annotations

from decimal import Decimal

import pytest
from moto.ses.models import ses_backends

from chalicelib.services import ordering
from chalicelib.services.ordering import Buyer
from chalicelib.store.users import find_user
from infra.local.provision import ACCOUNT_ID
from tests.test_web_ordering import HQ, people, sign_in, submit  # noqa: F401 - fixtures
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module


def mails(subject_part):
    return [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages if subject_part in m.subject]


def acme(world):
    agent_id, agent = world.staff("agent")
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=100)
    client = world.client("Acme SRL", sale_agent_id=agent_id, addresses=[HQ])
    buyer_id, buyer = world.buyer(client)
    colleague_id, colleague = world.buyer(client, orders=True, proposals=True)
    return client, (agent_id, agent), (buyer_id, buyer), (colleague_id, colleague)


def test_a_buyer_and_the_agent_talk_about_an_order(api, world):
    client, (agent_id, agent), (buyer_id, buyer), (colleague_id, _) = acme(world)
    order = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 3}]}, buyer).body
    assert api.get(f"/portal/orders/{order['id']}/comments", buyer).body == {"items": [], "next_cursor": None}

    posted = api.post(f"/portal/orders/{order['id']}/comments", {"body": "  Can you deliver by Friday?  "}, buyer)
    assert posted.status == 201 and posted.body["author_side"] == "client" and posted.body["body"] == "Can you deliver by Friday?"
    to_agent = mails(f"New comment on order {order['number']}")
    assert [m.destinations["ToAddresses"] for m in to_agent] == [[find_user(agent_id).email]]
    assert "Can you deliver by Friday?" in to_agent[0].body and f"/agent/orders/{order['id']}" in to_agent[0].body

    answer = api.post(f"/admin/orders/{order['id']}/comments", {"body": "Yes, Thursday."}, agent)
    assert answer.status == 201 and answer.body["author_side"] == "supplier"
    to_client = [m.destinations["ToAddresses"][0] for m in mails(f"New comment on order {order['number']}")][1:]
    assert sorted(to_client) == sorted([find_user(buyer_id).email, find_user(colleague_id).email])

    thread = api.get(f"/admin/orders/{order['id']}/comments", agent).body["items"]
    assert [(c["author_side"], c["body"]) for c in thread] == [("client", "Can you deliver by Friday?"), ("supplier", "Yes, Thursday.")]
    assert thread == api.get(f"/portal/orders/{order['id']}/comments", buyer).body["items"]
    page1 = api.get(f"/portal/orders/{order['id']}/comments?limit=1", buyer).body
    assert len(page1["items"]) == 1 and page1["next_cursor"]
    page2 = api.get(f"/portal/orders/{order['id']}/comments?limit=1&cursor={page1['next_cursor']}", buyer).body
    assert [c["body"] for c in page2["items"]] == ["Yes, Thursday."]


def test_comments_refuse_empty_bodies_strangers_and_missing_permissions(api, world):
    client, (_, agent), (_, buyer), _ = acme(world)
    order = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 3}]}, buyer).body
    empty = api.post(f"/portal/orders/{order['id']}/comments", {"body": "   "}, buyer)
    assert empty.status == 422 and empty.error["field"] == "body"
    assert api.post(f"/portal/orders/{order['id']}/comments", {"body": "x" * 4001}, buyer).status == 422
    other = world.client("Other SRL")
    _, stranger = world.buyer(other)
    assert api.get(f"/portal/orders/{order['id']}/comments", stranger).status == 404
    assert api.post(f"/portal/orders/{order['id']}/comments", {"body": "hi"}, stranger).status == 404
    _, no_orders = world.buyer(client, invoices=True)
    assert api.get(f"/portal/orders/{order['id']}/comments", no_orders).status == 403
    assert api.get(f"/admin/orders/{order['id']}/comments", buyer).status == 403
    assert api.get("/admin/orders/so_nope/comments", agent).status == 404


def test_comments_on_a_proposal(api, world):
    client, (_, agent), (_, buyer), _ = acme(world)
    proposal = api.post("/admin/proposals", {"client_id": client, "lines": [{"sku": "CAB-001", "qty": 100}], "send": True}, agent).body
    asked = api.post(f"/portal/proposals/{proposal['id']}/comments", {"body": "Better price for 200?"}, buyer)
    assert asked.status == 201
    assert api.post(f"/admin/proposals/{proposal['id']}/comments", {"body": "7.50 each for 200."}, agent).status == 201
    assert [c["body"] for c in api.get(f"/portal/proposals/{proposal['id']}/comments", buyer).body["items"]] == \
        ["Better price for 200?", "7.50 each for 200."]
    draft = api.post("/admin/proposals", {"client_id": client, "lines": [{"sku": "CAB-001", "qty": 5}]}, agent).body
    assert api.get(f"/portal/proposals/{draft['id']}/comments", buyer).status == 404  # drafts are not the client's yet


@pytest.mark.browser
def test_comments_on_the_order_pages_of_both_sides(people, http_server, world):
    client, (agent_id, _), (buyer_id, _), _ = acme(world)
    buyer_user, agent_user = find_user(buyer_id), find_user(agent_id)
    order = ordering.place(Buyer(buyer_user.id, buyer_user.email, client), {"lines": [{"sku": "CAB-001", "qty": 2}]})
    buyer = people()
    sign_in(buyer, http_server, buyer_user.email)
    buyer.goto(f"{http_server}/orders/{order.id}")
    assert "No comments yet" in buyer.inner_text("#comments")
    buyer.fill("#comment-body", "Please add the PO number on the invoice.")
    submit(buyer, "#comment-form button[type=submit]")
    assert "comment is posted" in buyer.inner_text("#flash-notice")
    assert buyer.inner_text("#comments .comment.client .body") == "Please add the PO number on the invoice."

    agent = people()
    sign_in(agent, http_server, agent_user.email, lands="**/agent/orders")
    agent.goto(f"{http_server}/agent/orders/{order.id}")
    assert "Please add the PO number" in agent.inner_text("#comments")
    agent.fill("#comment-body", "Done.")
    submit(agent, "#comment-form button[type=submit]")
    assert agent.inner_text("#comments .comment.supplier .body") == "Done."
    buyer.reload()
    assert [e.get_attribute("data-side") for e in buyer.query_selector_all("#comments .comment")] == ["client", "supplier"]
