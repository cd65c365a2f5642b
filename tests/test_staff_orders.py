"""Sales Orders issued by the sales team: the client accepts with one click (fulfilment starts), declines with a
reason, or lets it expire (the staff-order workflow's timer); accepting reserves the stock and counts the credit."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from moto.ses.models import ses_backends

from chalicelib.services import staff_orders
from chalicelib.services.credit import credit_available
from chalicelib.services.pricing import supplier_today
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import orders as order_store
from chalicelib.store import settings as settings_store
from chalicelib.store.clients import get_client
from chalicelib.store.products import get_product
from infra.local.provision import ACCOUNT_ID

HQ = {"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}


def mails_to(email):
    return [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages if email in m.destinations.get("ToAddresses", [])]


def shop(world, *, stock=10):
    agent_id, agent = world.staff("agent")
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=stock)
    world.product("NET-001", name="Switch", base_price=Decimal("100.00"), qty_on_hand=stock)
    client = world.client("Acme SRL", sale_agent_id=agent_id, addresses=[HQ])
    buyer_id, buyer = world.buyer(client)
    return client, agent, buyer


def issue(api, agent, client, key="k1", **extra):
    body = {"client_id": client, "lines": [{"sku": "CAB-001", "qty": 4}, {"sku": "NET-001", "qty": 1}], **extra}
    return api.post("/admin/orders", body, agent, headers={"Idempotency-Key": key})


def test_agent_issues_an_order_the_client_accepts_and_fulfilment_starts(api, world, workflows):
    settings = settings_store.load()
    settings.auto_create_delivery_note = True
    settings_store.save(settings)
    client, agent, buyer = shop(world)
    reply = issue(api, agent, client, client_reference="PO-77")
    assert reply.status == 201, reply.text
    order = reply.body
    assert (order["status"], order["status_code"], order["origin"], order["total"]) == ("sent", 2, "staff", "166.60")
    assert order["valid_until"] == (supplier_today() + timedelta(days=14)).isoformat()
    again = issue(api, agent, client, client_reference="PO-77")
    assert again.status == 200 and again.body["id"] == order["id"]  # the same Idempotency-Key: the same order
    contact = order_store.get(order["id"]).contact_email
    assert any(m.subject.startswith(f"Sales Order {order['number']}") for m in mails_to(contact))
    assert get_product("CAB-001").qty_reserved == 0  # nothing held until the client accepts

    accepted = api.post(f"/portal/orders/{order['id']}/accept", {"client_reference": "PO-78"}, buyer)
    assert accepted.status == 200, accepted.text
    assert (accepted.body["status"], accepted.body["status_code"], accepted.body["client_reference"]) == ("accepted", 4, "PO-78")
    assert (get_product("CAB-001").qty_reserved, get_product("CAB-001").qty_available) == (4, 6)
    assert credit_available(client) == Decimal("10000") - Decimal("166.60")
    assert api.post(f"/portal/orders/{order['id']}/decline", {}, buyer).status == 409

    note = workflows.until(lambda: dn_store.for_order(order["id"]), what="the delivery note")[0]
    assert note.status == "ready_for_packing"
    admin = world.admin_token()
    assert api.post(f"/admin/delivery-notes/{note.id}/approve", {}, admin).status == 200
    cable = get_product("CAB-001")
    assert (cable.qty_on_hand, cable.qty_reserved, cable.qty_available) == (6, 0, 6)  # the reservation became the decrement
    agent_mail = [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages if "Accepted" in m.subject and order["number"] in m.subject]
    assert len(agent_mail) == 1


def test_declined_with_a_reason_and_bad_orders_are_refused(api, world):
    client, agent, buyer = shop(world)
    order = issue(api, agent, client).body
    declined = api.post(f"/portal/orders/{order['id']}/decline", {"reason": "Too expensive"}, buyer)
    assert (declined.status, declined.body["status"], declined.body["status_code"]) == (200, "declined", 3)
    assert declined.body["decision_reason"] == "Too expensive"
    assert api.post(f"/portal/orders/{order['id']}/accept", {}, buyer).status == 409
    assert get_product("CAB-001").qty_reserved == 0

    bad = api.post("/admin/orders", {"client_id": client, "lines": [{"sku": "NOPE", "qty": 1}]}, agent)
    assert (bad.status, bad.body["error"]["code"]) == (422, "unknown_product")
    past = issue(api, agent, client, key="k2", valid_until=(supplier_today() - timedelta(days=1)).isoformat())
    assert (past.status, past.body["error"]["code"]) == (422, "invalid_date")
    other_key = issue(api, agent, client, key="k1", lines=[{"sku": "CAB-001", "qty": 1}])
    assert other_key.status == 409
    _, other_buyer = world.buyer(world.client("Other SRL", addresses=[HQ]))
    assert api.post(f"/portal/orders/{order['id']}/accept", {}, other_buyer).status == 404
    assert api.post("/admin/orders", {"client_id": client, "lines": []}, buyer).status == 403
    own = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 1}]}, buyer).body  # the buyer's own order
    refused = api.post(f"/portal/orders/{own['id']}/accept", {}, buyer)
    assert (refused.status, refused.body["error"]["code"]) == (409, "order_state_conflict")  # it is ours to review


def test_price_override_needs_a_reviewer_and_is_recorded(api, world):
    client, agent, buyer = shop(world)
    _, warehouse = world.staff("warehouse")
    lines = [{"sku": "CAB-001", "qty": 2, "unit_price": "8.50"}]
    refused = api.post("/admin/orders", {"client_id": client, "lines": lines}, warehouse)
    assert (refused.status, refused.body["error"]["code"]) == (422, "price_override_not_allowed")
    done = api.post("/admin/orders", {"client_id": client, "lines": lines}, agent)
    assert done.status == 201 and done.body["lines"][0]["unit_price"] == "8.50"
    history = order_store.history(done.body["id"])
    assert any(h.event == "price_override" and "10.00 -> 8.50" in h.note for h in history)


def test_unanswered_order_expires_by_its_timer_and_both_answers_are_refused(api, world, workflows, monkeypatch):
    client, agent, buyer = shop(world)
    # time driven forward: the order's expiry moment is a second from now instead of the end of its valid-until day
    soon = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=10)
    monkeypatch.setattr(staff_orders, "expiry_moment", lambda valid_until: soon)
    order = issue(api, agent, client, valid_until=supplier_today().isoformat()).body
    assert order["status"] == "sent"
    name = f"{order['id']}-offer"
    machine = workflows.stack.resources.refs["StaffOrderStateMachine"]
    assert workflows.finished(name, machine=machine, timeout=60) == "SUCCEEDED"
    assert workflows.entered(name, machine=machine) == ["WaitUntilReminder", "RemindBuyer", "WaitUntilExpiry", "ExpireOffer"]
    contact = order_store.get(order["id"]).contact_email
    assert len([m for m in mails_to(contact) if "expires on" in m.subject]) == 1  # reminded (the moment had come)
    stored = order_store.get(order["id"])
    assert (stored.status, stored.reserved) == ("expired", None)
    for answer in ("accept", "decline"):
        refused = api.post(f"/portal/orders/{order['id']}/{answer}", {}, buyer)
        assert (refused.status, refused.body["error"]["code"]) == (409, "order_expired")
    seen = api.get(f"/portal/orders/{order['id']}", buyer).body
    assert (seen["status"], seen["status_code"]) == ("expired", 5)


def test_expiry_moment_is_the_end_of_the_valid_until_day():
    moment = staff_orders.expiry_moment(date(2026, 12, 31))
    assert moment.tzinfo is not None and moment >= datetime(2026, 12, 31, 12, tzinfo=timezone.utc)
    assert moment <= datetime(2027, 1, 1, 12, tzinfo=timezone.utc)
