"""Proposals (quotes): staff offer, the client opens, accepts (an accepted Sales Order follows) or declines."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from moto.ses.models import ses_backends

from chalicelib.services.pricing import supplier_today
from chalicelib.store import orders as order_store
from infra.local.provision import ACCOUNT_ID


def setup(world, api):
    world.product("CAB-001", base_price=Decimal("10.00"))
    world.product("NET-001", base_price=Decimal("100.00"))
    agent_id, agent = world.staff("agent")
    client = world.client("Acme SRL", sale_agent_id=agent_id,  # an agent offers to its own clients only
                          addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    _, buyer = world.buyer(client)
    return client, buyer, agent


def offer(api, agent, client, **extra):
    body = {"client_id": client, "lines": [{"sku": "CAB-001", "qty": 100, "unit_price": "8.50"}, {"sku": "NET-001", "qty": 2}],
            "message": "Volume price for your project", "send": True, **extra}
    reply = api.post("/admin/proposals", body, agent)
    assert reply.status == 201, reply.text
    return reply.body


def test_client_opens_and_accepts_a_proposal_which_becomes_an_accepted_order(api, world, workflows):
    client, buyer, agent = setup(world, api)
    proposal = offer(api, agent, client)
    assert (proposal["status"], proposal["status_code"], proposal["total"]) == ("sent", 4, "1249.50")  # 850 + 200, +19%
    assert any(m.subject.startswith(f"Proposal {proposal['number']}") for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages)

    listed = api.get("/portal/proposals", buyer).body["items"]
    assert [p["id"] for p in listed] == [proposal["id"]]
    opened = api.get(f"/portal/proposals/{proposal['id']}", buyer).body
    assert (opened["status"], opened["status_code"]) == ("open", 1)

    accepted = api.post(f"/portal/proposals/{proposal['id']}/accept", None, buyer)
    assert accepted.status == 200 and (accepted.body["status"], accepted.body["status_code"]) == ("accepted", 3)
    order = accepted.body["order"]
    assert (order["status"], order["total"], order["client_reference"]) == ("accepted", "1249.50", proposal["number"])
    assert [(line["sku"], line["unit_price"]) for line in order["lines"]] == [("CAB-001", "8.50"), ("NET-001", "100.00")]
    assert api.post(f"/portal/proposals/{proposal['id']}/accept", None, buyer).status == 409
    workflows.until(lambda: order_store.get(order["id"]).accepted_event_sent, what="order.accepted")


def test_drafts_are_not_shown_and_declines_keep_the_reason(api, world):
    client, buyer, agent = setup(world, api)
    draft = offer(api, agent, client, send=False)
    assert draft["status"] == "draft" and api.get("/portal/proposals", buyer).body["items"] == []
    assert api.get(f"/portal/proposals/{draft['id']}", buyer).status == 404
    sent = api.post(f"/admin/proposals/{draft['id']}/send", None, agent).body
    declined = api.post(f"/portal/proposals/{sent['id']}/decline", {"reason": "Too expensive"}, buyer)
    assert declined.body["status"] == "declined" and declined.body["decline_reason"] == "Too expensive"
    revised = api.post(f"/admin/proposals/{sent['id']}/revise", {"lines": [{"sku": "CAB-001", "qty": 100, "unit_price": "7.90"}], "send": True}, agent)
    assert revised.status == 201 and revised.body["revision_of"] == sent["id"]
    assert api.get(f"/admin/proposals/{sent['id']}", agent).body["status"] == "revised"
    statuses = {p["id"]: p["status"] for p in api.get("/portal/proposals", buyer).body["items"]}
    assert statuses == {sent["id"]: "revised", revised.body["id"]: "sent"}


def test_expired_other_clients_and_bad_proposals_are_refused(api, world):
    client, buyer, agent = setup(world, api)
    expired = offer(api, agent, client, valid_until=supplier_today().isoformat())
    from chalicelib.store import proposals as proposal_store  # noqa: PLC0415
    from chalicelib.store.models import ProposalItem  # noqa: PLC0415

    stored = proposal_store.get(expired["id"])
    proposal_store.change(stored, actions=(ProposalItem.valid_until.set(supplier_today() - timedelta(days=1)),))
    assert api.post(f"/portal/proposals/{expired['id']}/accept", None, buyer).error["code"] == "proposal_expired"

    _, stranger = world.buyer(world.client("Other"))
    assert api.get(f"/portal/proposals/{expired['id']}", stranger).status == 404
    _, no_permission = world.buyer(client, orders=True)
    assert api.get("/portal/proposals", no_permission).status == 403
    for body, field in (({"client_id": "cli_missing", "lines": [{"sku": "CAB-001", "qty": 1}]}, "client_id"),
                        ({"client_id": client, "lines": [{"sku": "NOPE", "qty": 1}]}, "lines[0].sku"),
                        ({"client_id": client, "lines": [{"sku": "CAB-001", "qty": 1}], "valid_until": "2020-01-01"}, "valid_until"),
                        ({"client_id": client, "lines": []}, "lines")):
        reply = api.post("/admin/proposals", body, agent)
        assert reply.status == 422 and reply.error["field"] == field, (body, reply.text)
    assert api.post("/admin/proposals", {"client_id": client, "lines": [{"sku": "CAB-001", "qty": 1}]}, buyer).status == 403
