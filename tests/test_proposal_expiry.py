"""Proposals done right: past its valid-until day a proposal is `expired` (its timer), accept/decline answer 409;
the buyer is reminded before; the agent hears the client's answer; accepting takes a PO number and an address and
reserves the stock; the proposal has a PDF."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import requests
from moto.ses.models import ses_backends

from chalicelib.services import offer_documents, staff_orders
from chalicelib.services.pricing import supplier_today
from chalicelib.store import proposals as proposal_store
from chalicelib.store.products import get_product
from infra.local.provision import ACCOUNT_ID

HQ = {"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}
SITE = {"label": "Site", "line1": "Str. Fabricii 9", "city": "Brasov", "postcode": "500000", "country": "RO"}


def sent_to(email, prefix):
    return [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages
            if email in m.destinations.get("ToAddresses", []) and m.subject.startswith(prefix)]


def setup(world):
    world.product("CAB-001", base_price=Decimal("10.00"), qty_on_hand=500)
    agent_id, agent = world.staff("agent")
    client = world.client("Acme SRL", addresses=[HQ, SITE], sale_agent_id=agent_id)  # the agent's own client
    _, buyer = world.buyer(client)
    return client, buyer, agent


def offer(api, agent, client, **extra):
    body = {"client_id": client, "lines": [{"sku": "CAB-001", "qty": 100, "unit_price": "8.50"}], "send": True, **extra}
    reply = api.post("/admin/proposals", body, agent)
    assert reply.status == 201, reply.text
    return reply.body


def test_an_unanswered_proposal_expires_by_its_timer_and_its_buttons_are_gone(api, world, workflows, monkeypatch):
    client, buyer, agent = setup(world)
    soon = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=10)  # time driven forward
    monkeypatch.setattr(staff_orders, "expiry_moment", lambda valid_until: soon)
    proposal = offer(api, agent, client, valid_until=supplier_today().isoformat())
    machine = workflows.stack.resources.refs["StaffOrderStateMachine"]
    name = f"{proposal['id']}-offer"
    assert workflows.finished(name, machine=machine, timeout=60) == "SUCCEEDED"
    assert workflows.entered(name, machine=machine) == ["WaitUntilReminder", "RemindBuyer", "WaitUntilExpiry", "ExpireOffer"]
    stored = proposal_store.get(proposal["id"])
    assert stored.status == "expired"
    seen = api.get(f"/portal/proposals/{proposal['id']}", buyer).body
    assert (seen["status"], seen["status_code"]) == ("expired", 7)
    for answer in ("accept", "decline"):
        refused = api.post(f"/portal/proposals/{proposal['id']}/{answer}", {}, buyer)
        assert (refused.status, refused.body["error"]["code"]) == (409, "proposal_expired")
    contact = api.get("/portal/me", buyer).body["contact"]["email"]
    assert len(sent_to(contact, f"Proposal {proposal['number']} expires on")) == 1  # the reminder came first
    revised = api.post(f"/admin/proposals/{proposal['id']}/revise", {"lines": [{"sku": "CAB-001", "qty": 100}], "send": True}, agent)
    assert revised.status == 201  # an expired proposal can be replaced by a new version


def test_a_proposal_past_its_day_is_expired_when_answered_even_before_its_timer(api, world):
    client, buyer, agent = setup(world)
    proposal = offer(api, agent, client, valid_until=supplier_today().isoformat())
    stored = proposal_store.get(proposal["id"])
    from chalicelib.store.models import ProposalItem  # noqa: PLC0415

    proposal_store.change(stored, actions=(ProposalItem.valid_until.set(supplier_today() - timedelta(days=1)),))
    refused = api.post(f"/portal/proposals/{proposal['id']}/accept", {}, buyer)
    assert (refused.status, refused.body["error"]["code"]) == (409, "proposal_expired")
    assert proposal_store.get(proposal["id"]).status == "expired"


def test_accepting_takes_a_po_number_and_an_address_reserves_stock_and_tells_the_agent(api, world, workflows):
    client, buyer, agent = setup(world)
    proposal = offer(api, agent, client)
    site_id = api.get(f"/admin/clients/{client}", agent).body["addresses"][1]["id"]
    accepted = api.post(f"/portal/proposals/{proposal['id']}/accept",
                        {"client_reference": "PO-2026-17", "delivery_address_id": site_id}, buyer)
    assert accepted.status == 200, accepted.text
    order = accepted.body["order"]
    assert (order["status"], order["origin"], order["client_reference"]) == ("accepted", "proposal", "PO-2026-17")
    assert order["delivery_address"]["city"] == "Brasov"
    assert get_product("CAB-001").qty_reserved == 100
    agent_email = proposal_store.get(proposal["id"]).created_by
    assert len(sent_to(agent_email, f"Proposal {proposal['number']} for Acme SRL: Accepted")) == 1
    bad = offer(api, agent, client)
    wrong = api.post(f"/portal/proposals/{bad['id']}/accept", {"delivery_address_id": "nope"}, buyer)
    assert (wrong.status, wrong.body["error"]["code"]) == (422, "unknown_address")
    declined = api.post(f"/portal/proposals/{bad['id']}/decline", {"reason": "Budget cut"}, buyer)
    assert declined.status == 200
    assert len(sent_to(agent_email, f"Proposal {bad['number']} for Acme SRL: Declined")) == 1


def test_the_proposal_pdf(api, world):
    client, buyer, agent = setup(world)
    proposal = proposal_store.get(offer(api, agent, client)["id"])
    url = offer_documents.proposal_pdf_url(proposal)
    body = requests.get(url, timeout=10).content
    assert body.startswith(b"%PDF") and len(body) > 1000
