"""A customer calls to cancel an accepted order: staff cancel it while no stock has left, and its reservation, the
client's credit exposure and its fulfilment workflow all end with it (real Step Functions on the local stack)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from moto.ses.models import ses_backends

from chalicelib.domain.errors import Conflict
from chalicelib.domain.orders import NoteState, OrderStatus, check_cancellable
from chalicelib.services import review
from chalicelib.services.credit import credit_exposure
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import orders as order_store
from chalicelib.store import settings as settings_store
from chalicelib.store.clients import get_client
from chalicelib.store.products import get_product
from infra.local.provision import ACCOUNT_ID
from tests.test_web_ordering import people, placed_order, shop, sign_in, submit  # noqa: F401 - fixtures and helpers
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

HQ = {"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}
REASON = {"reason": "The client called: the project was postponed."}


def configure(**changes):
    settings = settings_store.load()
    for name, value in changes.items():
        setattr(settings, name, value)
    settings_store.save(settings)


def accepted_order(api, world, workflows, *, agent_id=None):
    """Acme SRL's order of 4 cables and 2 switches, approved automatically; its delivery note (when notes are
    automatic) waits for the warehouse."""
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), vat_rate=Decimal("0"), qty_on_hand=50)
    world.product("NET-001", name="Switch", base_price=Decimal("100.00"), vat_rate=Decimal("0"), qty_on_hand=50)
    client = world.client("Acme SRL", sale_agent_id=agent_id, auto_approve=True, credit_limit=Decimal("5000"), addresses=[HQ])
    _, buyer = world.buyer(client)
    order = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 4}, {"sku": "NET-001", "qty": 2}]}, buyer).body
    workflows.until(lambda: order_store.get(order["id"]).accepted_event_sent, what="acceptance")
    assert order_store.get(order["id"]).status == "accepted"
    return order, client, buyer


def reserved():
    return get_product("CAB-001").qty_reserved or 0, get_product("NET-001").qty_reserved or 0


def cancellation_emails(order_id):
    order = order_store.get(order_id)
    return [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages
            if order.contact_email in m.destinations.get("ToAddresses", []) and "cancelled" in m.subject]


def test_the_cancel_rule_accepted_no_stock_taken_and_no_invoice_issued():
    waiting = NoteState("DN-2026-000001", "ready_for_packing", False)
    check_cancellable(OrderStatus.ACCEPTED, [waiting, NoteState("DN-2026-000002", "cancelled", False)])
    refusals = {
        "already cancelled": (OrderStatus.CANCELLED, [], ()),
        "only an accepted order": (OrderStatus.DRAFT, [], ()),
        "taken for delivery note DN-2026-000003": (OrderStatus.ACCEPTED, [waiting, NoteState("DN-2026-000003", "approved", True)], ()),
        "Invoice INV-2026-000001": (OrderStatus.ACCEPTED, [waiting], ("INV-2026-000001",)),
    }
    for words, (status, notes, invoices) in refusals.items():
        with pytest.raises(Conflict, match=words) as refused:
            check_cancellable(status, notes, invoices)
        assert refused.value.code == "order_not_cancellable"


def test_an_accepted_order_whose_note_waits_for_approval_is_cancelled_and_gives_everything_back(api, world, workflows):
    configure(auto_create_delivery_note=True, invoice_on="manual")
    agent_id, agent = world.staff("agent")
    order, client, buyer = accepted_order(api, world, workflows, agent_id=agent_id)
    assert reserved() == (4, 2) and credit_exposure(client) == Decimal("240.00")
    dn = workflows.until(lambda: dn_store.for_order(order["id"]), what="the delivery note")[0]
    workflows.until(lambda: dn_store.get(dn.id).approval_task_token, what="the warehouse's approval wait")

    answer = api.post(f"/admin/orders/{order['id']}/cancel", REASON, agent)

    assert answer.status == 200, answer.text
    assert (answer.body["status"], answer.body["status_code"]) == ("cancelled", 7)
    assert reserved() == (0, 0)
    assert get_client(client).uninvoiced_accepted == 0 and credit_exposure(client) == 0
    assert dn_store.get(dn.id).status == "cancelled"
    last = order_store.history(order["id"])[-1]
    assert (last.event, last.status, last.note) == ("cancel", "cancelled", REASON["reason"])
    assert "@" in last.actor
    assert workflows.finished(order["id"], machine=workflows.fulfilment) == "SUCCEEDED"
    assert workflows.entered(order["id"], workflows.fulfilment)[-2:] == ["WaitForApproval", "Cancelled"]
    assert len(cancellation_emails(order["id"])) == 1
    seen = api.get(f"/portal/orders/{order['id']}", buyer).body
    assert (seen["status"], seen["decision_reason"]) == ("cancelled", REASON["reason"])

    again = api.post(f"/admin/orders/{order['id']}/cancel", REASON, agent)  # a retried request, or a second click
    assert again.status == 409 and again.error["code"] == "order_not_cancellable"
    assert "already cancelled" in again.error["message"]
    assert reserved() == (0, 0) and get_client(client).uninvoiced_accepted == 0  # nothing released twice
    assert len(cancellation_emails(order["id"])) == 1
    # the warehouse can no longer approve the cancelled note
    refused = api.post(f"/admin/delivery-notes/{dn.id}/approve", None, world.admin_token())
    assert refused.status == 409 and get_product("CAB-001").qty_on_hand == 50


def test_a_note_the_cancel_did_not_see_cannot_take_stock_for_the_cancelled_order(api, world, workflows, monkeypatch):
    """A note created between the cancel's read and its write stays ready for packing: its approval must still
    refuse, in the same transaction that would take the stock."""
    from chalicelib.services import fulfilment
    from chalicelib.store.models import DeliveryNoteItem

    configure(auto_create_delivery_note=True, invoice_on="manual")
    order, _, _ = accepted_order(api, world, workflows)
    dn = workflows.until(lambda: dn_store.for_order(order["id"]), what="the delivery note")[0]
    workflows.until(lambda: dn_store.get(dn.id).approval_task_token, what="the warehouse's approval wait")
    admin = world.admin_token()
    assert api.post(f"/admin/orders/{order['id']}/cancel", REASON, admin).status == 200
    dn_store.get(dn.id).update(actions=[DeliveryNoteItem.status.set("ready_for_packing")])  # the note it missed

    refused = api.post(f"/admin/delivery-notes/{dn.id}/approve", None, admin)
    assert refused.status == 409 and refused.error["code"] == "order_not_accepted", refused.text
    assert get_product("CAB-001").qty_on_hand == 50 and dn_store.get(dn.id).stock_applied is not True

    # the order's status read just before a cancel lands: the transaction itself refuses, nothing is taken
    real_get = order_store.get
    stale = real_get(order["id"])
    stale.status = "accepted"
    monkeypatch.setattr(fulfilment.order_store, "get", lambda order_id: stale if order_id == order["id"] else real_get(order_id))
    with pytest.raises(Conflict):
        fulfilment.approve(dn.id, "warehouse@supplier.example")
    monkeypatch.undo()
    assert get_product("CAB-001").qty_on_hand == 50 and dn_store.get(dn.id).stock_applied is not True


def test_a_note_whose_creation_read_the_order_just_before_the_cancel_is_not_stored(api, world, workflows, monkeypatch):
    """The warehouse creates a note while the order is being cancelled: the note's own write requires the order
    still accepted, so no note of a cancelled order reaches the packing list, and its number is not used up."""
    from chalicelib.services import fulfilment

    configure(auto_create_delivery_note=False, invoice_on="manual")
    order, _, _ = accepted_order(api, world, workflows)
    admin = world.admin_token()
    real_get = order_store.get
    stale = real_get(order["id"])  # read as accepted ...
    assert api.post(f"/admin/orders/{order['id']}/cancel", REASON, admin).status == 200  # ... then cancelled
    monkeypatch.setattr(fulfilment.order_store, "get", lambda order_id: stale if order_id == order["id"] else real_get(order_id))

    with pytest.raises(Conflict) as refused:
        fulfilment.create_delivery_note(order["id"])
    configure(auto_create_delivery_note=True)
    with pytest.raises(fulfilment.OrderCancelled):  # the workflow's CreateDeliveryNote: ends at Cancelled
        fulfilment.delivery_note_step(order["id"], None)
    monkeypatch.undo()
    assert refused.value.code == "order_not_accepted"
    assert dn_store.for_order(order["id"]) == []
    note = api.post(f"/admin/orders/{order['id']}/delivery-notes", {}, admin)
    assert note.status == 409 and note.error["code"] == "order_not_accepted"


def test_an_order_waiting_for_its_first_delivery_note_ends_its_workflow_when_cancelled(api, world, workflows):
    configure(auto_create_delivery_note=False, invoice_on="manual")
    order, client, _ = accepted_order(api, world, workflows)
    workflows.until(lambda: order_store.get(order["id"]).delivery_note_task_token, what="the wait for a note")

    assert api.post(f"/admin/orders/{order['id']}/cancel", REASON, world.admin_token()).status == 200

    assert workflows.finished(order["id"], machine=workflows.fulfilment) == "SUCCEEDED"
    assert workflows.entered(order["id"], workflows.fulfilment)[-2:] == ["WaitForDeliveryNote", "Cancelled"]
    assert reserved() == (0, 0) and credit_exposure(client) == 0
    refused = api.post(f"/admin/orders/{order['id']}/delivery-notes", {}, world.admin_token())
    assert refused.status == 409 and refused.error["code"] == "order_not_accepted"


def test_after_the_warehouse_approved_a_note_the_order_cannot_be_cancelled_and_nothing_changes(api, world, workflows):
    configure(auto_create_delivery_note=True, invoice_on="manual")
    admin = world.admin_token()
    order, client, _ = accepted_order(api, world, workflows)
    dn = workflows.until(lambda: dn_store.for_order(order["id"]), what="the delivery note")[0]
    assert api.post(f"/admin/delivery-notes/{dn.id}/approve", None, admin).status == 200
    before = (reserved(), get_client(client).uninvoiced_accepted, order_store.get(order["id"]).version)

    refused = api.post(f"/admin/orders/{order['id']}/cancel", REASON, admin)

    assert refused.status == 409 and refused.error["code"] == "order_not_cancellable"
    assert f"Stock has already been taken for delivery note {dn_store.get(dn.id).number}" in refused.error["message"]
    stored = order_store.get(order["id"])
    assert stored.status == "accepted" and dn_store.get(dn.id).status == "approved"
    assert (reserved(), get_client(client).uninvoiced_accepted, stored.version) == before
    assert cancellation_emails(order["id"]) == []


def test_an_agent_cannot_cancel_another_agents_clients_order(api, world, workflows):
    configure(auto_create_delivery_note=False, invoice_on="manual")
    owner_id, _ = world.staff("agent")
    _, other_agent = world.staff("agent")
    order, _, _ = accepted_order(api, world, workflows, agent_id=owner_id)

    answer = api.post(f"/admin/orders/{order['id']}/cancel", REASON, other_agent)

    assert answer.status == 404 and answer.error["code"] == "order_not_found"
    assert order_store.get(order["id"]).status == "accepted" and reserved() == (4, 2)


@pytest.mark.parametrize("body", [{}, {"reason": "   "}, {"reason": "x" * 2001}])
def test_a_cancel_needs_a_reason(api, world, workflows, body):
    configure(auto_create_delivery_note=False, invoice_on="manual")
    order, _, _ = accepted_order(api, world, workflows)

    answer = api.post(f"/admin/orders/{order['id']}/cancel", body, world.admin_token())

    assert answer.status == 422 and answer.error["field"] == "reason"
    assert order_store.get(order["id"]).status == "accepted" and reserved() == (4, 2)


def test_only_an_accepted_order_can_be_cancelled(api, world, workflows):
    agent_id, agent = world.staff("agent")
    world.product("CAB-001", base_price=Decimal("10.00"), qty_on_hand=50)
    client = world.client("Acme SRL", sale_agent_id=agent_id, addresses=[HQ])
    _, buyer = world.buyer(client)
    draft = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 3}]}, buyer).body  # waits for review
    workflows.until(lambda: order_store.get(draft["id"]).review_task_token, what="the agent's review")
    offer = api.post("/admin/orders", {"client_id": client, "lines": [{"sku": "CAB-001", "qty": 3}]}, agent).body

    for order, status in ((draft, "draft"), (offer, "sent")):
        answer = api.post(f"/admin/orders/{order['id']}/cancel", REASON, agent)
        assert answer.status == 409 and answer.error["code"] == "order_not_cancellable", answer.text
        assert "only an accepted order can be cancelled" in answer.error["message"]
        assert order_store.get(order["id"]).status == status


def test_an_invoiced_order_is_credited_not_cancelled(api, world, workflows):
    configure(auto_create_delivery_note=False, invoice_on="accept")
    order, client, _ = accepted_order(api, world, workflows)
    workflows.until(lambda: order_store.get(order["id"]).invoice_status == "invoiced", what="the invoice")

    answer = api.post(f"/admin/orders/{order['id']}/cancel", REASON, world.admin_token())

    assert answer.status == 409 and answer.error["code"] == "order_not_cancellable" and "credit note" in answer.error["message"]
    assert order_store.get(order["id"]).status == "accepted"


def test_a_warehouse_role_may_not_cancel(api, world, workflows):
    configure(auto_create_delivery_note=False, invoice_on="manual")
    order, _, _ = accepted_order(api, world, workflows)
    _, warehouse = world.staff("warehouse")

    assert api.post(f"/admin/orders/{order['id']}/cancel", REASON, warehouse).status == 403


@pytest.mark.browser
def test_the_agent_cancels_an_accepted_order_on_its_page_and_the_buyer_reads_cancelled(people, http_server, world, workflows):  # noqa: F811
    configure(auto_create_delivery_note=True, invoice_on="manual")
    acme = shop(world)
    order = placed_order(acme, workflows)
    review.approve(order.id, "tests")
    dn = workflows.until(lambda: dn_store.for_order(order.id), what="the delivery note")[0]
    workflows.until(lambda: dn_store.get(dn.id).approval_task_token, what="the warehouse's approval wait")

    agent = people()
    sign_in(agent, http_server, acme.agent_email, lands="**/agent/orders")
    agent.goto(f"{http_server}/agent/orders/{order.id}")
    assert agent.inner_text("#order-status") == "Accepted"
    agent.fill("#cancel-reason", "The client called: the project was postponed.")
    assert agent.get_attribute("#cancel-confirm", "required") is not None  # the browser asks for the confirmation
    agent.check("#cancel-confirm")
    submit(agent, "#cancel-order")
    assert "Order cancelled" in agent.inner_text("#flash-notice")
    assert agent.inner_text("#order-status") == "Cancelled" and agent.query_selector("#cancel-form") is None
    assert order_store.get(order.id).status == "cancelled"

    buyer = people()
    sign_in(buyer, http_server, acme.buyer.email)
    buyer.goto(f"{http_server}/orders/{order.id}")
    assert buyer.inner_text("#order-status") == "Cancelled"
    assert "the project was postponed" in buyer.inner_text("#order-cancelled")
