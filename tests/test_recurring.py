"""Recurring orders: a buyer's standing order runs on its schedule through the same pipeline as any portal order,
once per occurrence, with a reminder the day before; pause, resume and skip-next. Time is driven forward by
handing the local timer later moments (no sleeping)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from moto.ses.models import ses_backends

from chalicelib.domain.recurring import occurrence_date
from chalicelib.services import recurring
from chalicelib.services.pricing import supplier_today
from chalicelib.store import orders as order_store
from infra.local import scheduler as local_timer
from infra.local.provision import ACCOUNT_ID

HQ = {"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}


def mails_to(email, prefix):
    return [m for m in ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages
            if email in m.destinations.get("ToAddresses", []) and m.subject.startswith(prefix)]


def shop(world):
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=100)
    world.product("NET-001", name="Switch", base_price=Decimal("100.00"), qty_on_hand=100)
    client = world.client("Acme SRL", addresses=[HQ])
    _, buyer = world.buyer(client)
    return client, buyer


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def client_orders(client):
    orders, _ = order_store.for_client(client, limit=50, after=None)
    return orders


def test_a_recurring_order_runs_twice_on_the_local_timer_once_per_occurrence(api, world, workflows):
    client, buyer = shop(world)
    start = supplier_today() + timedelta(days=3)
    reply = api.post("/portal/recurring-orders", {
        "lines": [{"sku": "CAB-001", "qty": 5}, {"sku": "NET-001", "qty": 1}], "every": "week", "interval": 2,
        "start_date": start.isoformat(), "client_reference": "Weekly cables"}, buyer)
    assert reply.status == 201, reply.text
    standing = reply.body
    assert (standing["status"], standing["next_run"]) == ("active", start.isoformat())
    contact_email = api.get("/portal/me", buyer).body["contact"]["email"]

    assert local_timer.tick(at(start - timedelta(days=2), 12)) == 0  # nothing due yet
    assert local_timer.tick(at(start - timedelta(days=1), 12)) == 1  # the reminder, the day before
    assert len(mails_to(contact_email, "Your recurring order runs tomorrow")) == 1
    assert local_timer.tick(at(start - timedelta(days=1), 13)) == 0  # reminded once
    assert client_orders(client) == []

    assert local_timer.tick(at(start, 12)) >= 1  # the first run
    first = client_orders(client)
    assert len(first) == 1 and (first[0].origin, first[0].status, first[0].total) == ("recurring", "draft", Decimal("178.50"))
    assert first[0].client_reference == "Weekly cables"
    workflows.until(lambda: order_store.get(first[0].id).review_task_token or order_store.get(first[0].id).status != "draft",
                    what="the run's order in review")  # the same pipeline: its review workflow started

    second_day = occurrence_date(start, "week", 2, 1)
    listed = api.get("/portal/recurring-orders", buyer).body["items"]
    assert [i["next_run"] for i in listed] == [second_day.isoformat()]
    assert local_timer.tick(at(second_day, 12)) >= 1  # reminder and run of the second occurrence at once
    orders = client_orders(client)
    assert len(orders) == 2 and {o.origin for o in orders} == {"recurring"}

    # the same occurrence fired again (a redelivered schedule) places nothing new
    item = recurring.store.get(client, standing["id"])
    assert recurring.occurrence_order_id(item, second_day) in {o.id for o in orders}
    assert local_timer.tick(at(second_day, 13)) == 0
    assert len(client_orders(client)) == 2


def test_pause_resume_and_skip_next(api, world):
    client, buyer = shop(world)
    start = supplier_today() + timedelta(days=1)
    standing = api.post("/portal/recurring-orders", {"lines": [{"sku": "CAB-001", "qty": 2}], "every": "month",
                                                      "interval": 1, "start_date": start.isoformat()}, buyer).body
    skipped = api.post(f"/portal/recurring-orders/{standing['id']}/skip-next", {}, buyer)
    assert skipped.status == 200 and skipped.body["next_run"] == occurrence_date(start, "month", 1, 1).isoformat()
    paused = api.call("PATCH", f"/portal/recurring-orders/{standing['id']}", {"status": "paused"}, token=buyer)
    assert paused.status == 200 and paused.body["status"] == "paused"
    assert local_timer.tick(at(occurrence_date(start, "month", 1, 3), 12)) == 0  # a paused order never runs
    assert client_orders(client) == []
    assert api.post(f"/portal/recurring-orders/{standing['id']}/skip-next", {}, buyer).status == 409
    resumed = api.call("PATCH", f"/portal/recurring-orders/{standing['id']}", {"status": "active", "lines": [{"sku": "NET-001", "qty": 1}]}, token=buyer)
    assert resumed.status == 200 and resumed.body["status"] == "active" and resumed.body["lines"] == [{"sku": "NET-001", "qty": 1}]


def test_bad_recurring_orders_are_refused(api, world):
    client, buyer = shop(world)
    tomorrow = (supplier_today() + timedelta(days=1)).isoformat()
    cases = [
        ({"lines": [{"sku": "NOPE", "qty": 1}], "every": "week", "interval": 1, "start_date": tomorrow}, 422, "unknown_product"),
        ({"lines": [{"sku": "CAB-001", "qty": 0}], "every": "week", "interval": 1, "start_date": tomorrow}, 422, "invalid_quantity"),
        ({"lines": [{"sku": "CAB-001", "qty": 1}], "every": "day", "interval": 1, "start_date": tomorrow}, 422, None),
        ({"lines": [{"sku": "CAB-001", "qty": 1}], "every": "month", "interval": 13, "start_date": tomorrow}, 422, "invalid_value"),
        ({"lines": [{"sku": "CAB-001", "qty": 1}], "every": "week", "interval": 1,
          "start_date": (supplier_today() - timedelta(days=1)).isoformat()}, 422, "invalid_date"),
        ({"lines": [{"sku": "CAB-001", "qty": 1}], "every": "week", "interval": 1, "start_date": "2026-02-30"}, 422, "invalid_date"),
    ]
    for body, status, code in cases:
        reply = api.post("/portal/recurring-orders", body, buyer)
        assert reply.status == status, (body, reply.text)
        if code:
            assert reply.body["error"]["code"] == code, (body, reply.text)
    _, other = world.buyer(world.client("Other SRL", addresses=[HQ]))
    mine = api.post("/portal/recurring-orders", {"lines": [{"sku": "CAB-001", "qty": 1}], "every": "week", "interval": 1,
                                                  "start_date": tomorrow}, buyer).body
    assert api.call("PATCH", f"/portal/recurring-orders/{mine['id']}", {"status": "paused"}, token=other).status == 404
    _, viewer = world.buyer(client, orders=True)
    assert api.get("/portal/recurring-orders", viewer).status == 403


def test_month_ends_are_kept():
    assert occurrence_date(date(2027, 1, 31), "month", 1, 1) == date(2027, 2, 28)
    assert occurrence_date(date(2027, 1, 31), "month", 1, 2) == date(2027, 3, 31)
    assert occurrence_date(date(2027, 11, 15), "month", 3, 1) == date(2028, 2, 15)
    assert occurrence_date(date(2027, 1, 1), "week", 2, 3) == date(2027, 2, 12)
