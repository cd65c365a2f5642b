"""Credit exposure = open receivables + accepted orders not yet invoiced: one figure for the review's credit check,
the cart's headroom and the client page."""
from __future__ import annotations

from decimal import Decimal

from chalicelib.services import invoicing
from chalicelib.services.credit import credit_available, credit_exposure
from chalicelib.store import orders as order_store
from chalicelib.store import settings as settings_store
from chalicelib.store.clients import get_client

HQ = {"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}


def test_an_accepted_uninvoiced_order_blocks_the_automatic_approval_of_the_next(api, world, workflows):
    settings = settings_store.load()
    settings.invoice_on = "manual"
    settings_store.save(settings)
    agent_id, agent = world.staff("agent")
    world.product("NET-001", name="Switch", base_price=Decimal("100.00"), vat_rate=Decimal("0"), qty_on_hand=100)
    client = world.client("Acme SRL", sale_agent_id=agent_id, auto_approve=True, credit_limit=Decimal("1000"), addresses=[HQ])
    _, buyer = world.buyer(client)

    first = api.post("/portal/orders", {"lines": [{"sku": "NET-001", "qty": 7}]}, buyer).body
    assert workflows.finished(first["id"]) == "SUCCEEDED"
    assert order_store.get(first["id"]).status == "accepted"
    assert (credit_exposure(client), credit_available(client)) == (Decimal("700.00"), Decimal("300.00"))
    assert get_client(client).balance == 0  # nothing invoiced: receivables alone would allow anything up to 1000

    second = api.post("/portal/orders", {"lines": [{"sku": "NET-001", "qty": 4}]}, buyer).body  # 400 <= 1000, > 300
    workflows.until(lambda: order_store.get(second["id"]).review_task_token, what="the agent's review")
    stored = order_store.get(second["id"])
    assert (stored.status, stored.auto_approved, stored.checks.credit_ok, stored.checks.stock_ok) == ("draft", False, False, True)
    assert stored.checks.credit_available == Decimal("300.00")
    detail = api.get(f"/admin/orders/{second['id']}", agent).body
    assert detail["checks"]["credit"]["ok"] is False

    # invoicing moves the first order from "accepted, not invoiced" to receivables: the exposure stays the same
    invoice = invoicing.issue(first["id"])
    client_item = get_client(client)
    assert (client_item.balance, client_item.uninvoiced_accepted) == (invoice.total, Decimal("0"))
    assert credit_exposure(client) == Decimal("700.00")
    invoicing.issue(first["id"])  # a retried step changes nothing
    assert credit_exposure(client) == Decimal("700.00")


def test_credit_available_reads_one_client_item():
    from chalicelib.store.models import ClientItem

    client = ClientItem(id="c1", name="Acme", payment_term_days=30, credit_limit=Decimal("1000"), currency="EUR",
                        balance=Decimal("150.50"), uninvoiced_accepted=Decimal("200"))
    assert credit_exposure(client) == Decimal("350.50")
    assert credit_available(client) == Decimal("649.50")
    bare = ClientItem(id="c2", name="New", payment_term_days=30, credit_limit=Decimal("500"), currency="EUR")
    assert credit_available(bare) == Decimal("500.00")
