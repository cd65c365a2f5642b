"""Stock reservation: two buyers race for the last units of a product; exactly one gets them."""
from __future__ import annotations

import threading
from decimal import Decimal

from chalicelib.store import orders as order_store
from chalicelib.store.products import get_product

HQ = {"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}


def test_two_buyers_race_for_the_last_units_and_exactly_one_wins(api, world):
    agent_id, agent = world.staff("agent")
    world.product("GPU-001", name="Graphics card", base_price=Decimal("500.00"), qty_on_hand=5)
    offers = []
    for name in ("Acme SRL", "Beta SRL"):
        client = world.client(name, sale_agent_id=agent_id, addresses=[HQ])
        _, buyer = world.buyer(client)
        reply = api.post("/admin/orders", {"client_id": client, "lines": [{"sku": "GPU-001", "qty": 4}]}, agent)
        assert reply.status == 201, reply.text
        offers.append((reply.body["id"], buyer))

    start = threading.Barrier(len(offers))
    answers = {}

    def accept(order_id, buyer):
        start.wait()
        answers[order_id] = api.post(f"/portal/orders/{order_id}/accept", {}, buyer)

    threads = [threading.Thread(target=accept, args=offer) for offer in offers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    statuses = sorted(a.status for a in answers.values())
    assert statuses == [200, 409], [a.text for a in answers.values()]
    loser = next(a for a in answers.values() if a.status == 409)
    assert loser.body["error"]["code"] == "insufficient_stock"
    product = get_product("GPU-001")
    assert (product.qty_on_hand, product.qty_reserved, product.qty_available) == (5, 4, 1)
    assert sorted(order_store.get(o).status for o, _ in offers) == ["accepted", "sent"]  # the loser may still decline

    # the catalogue shows what is left to the buyers who may see stock
    _, viewer = world.buyer(world.client("Gamma SRL", addresses=[HQ]))
    item = api.get("/portal/catalogue/GPU-001", viewer).body
    assert item["qty_available"] == 1
