"""Requests that never half-succeed: a DynamoDB timeout at each write of order placement and of a decision.

The timeouts are real botocore ReadTimeoutErrors raised by a botocore `after-call` (or `before-send`) hook on
the app's own clients: the request reached moto (or did not), the answer is what gets lost.
"""
from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from botocore.exceptions import ReadTimeoutError

from chalicelib.services import ordering
from chalicelib.store.db import connection
from chalicelib.store.models import OrderItem


def shop(world):
    agent_id, agent = world.staff("agent")
    world.product("NET-001", name="Switch", base_price=Decimal("100.00"))
    client = world.client("Acme SRL", sale_agent_id=agent_id,
                          addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    _, buyer = world.buyer(client)
    return buyer, agent


def orders():
    return [o.id for o in OrderItem.scan(OrderItem.sk == "ORDER")]


def idempotency_client():
    return ordering.idempotency_store().client


@contextlib.contextmanager
def timeout(client, operation: str, *, before_send: bool = False):
    """The next call of `operation` on `client` times out after moto answered (the write happened); with
    `before_send`, every attempt inside the block times out before it leaves (botocore's retries included)."""
    left = [1]

    def hook(**kwargs):
        if left[0] > 0 or before_send:
            left[0] = 0
            raise ReadTimeoutError(endpoint_url="http://dynamodb.local")

    event = f"{'before-send' if before_send else 'after-call'}.dynamodb.{operation}"
    client.meta.events.register(event, hook)
    try:
        yield left
    finally:
        client.meta.events.unregister(event, hook)
    assert left[0] == 0, f"{operation} was not called"


def place(api, token, key="checkout-1"):
    return api.post("/portal/orders", {"lines": [{"sku": "NET-001", "qty": 1}]}, token, headers={"Idempotency-Key": key})


def test_lost_answer_of_the_order_write_still_answers_with_the_order_and_the_retry_gets_it(api, world):
    buyer, _ = shop(world)
    with timeout(connection().client, "TransactWriteItems"):
        first = place(api, buyer)
    assert first.status == 201, first.text  # the write landed: read back, answered as placed
    again = place(api, buyer)
    assert again.status in (200, 201) and again.body["id"] == first.body["id"]
    assert orders() == [first.body["id"]]


def test_order_write_that_never_left_is_not_stored_and_the_retry_places_one_order(api, world):
    buyer, _ = shop(world)
    with timeout(connection().client, "TransactWriteItems", before_send=True):
        first = place(api, buyer)
    assert first.status == 503 and first.error["code"] == "outcome_unknown"
    assert orders() == []
    again = place(api, buyer)
    assert again.status == 201 and orders() == [again.body["id"]]


@pytest.mark.parametrize("operation", ["PutItem", "UpdateItem"])
def test_timeout_on_the_idempotency_record_never_makes_a_second_order(api, world, operation):
    """PutItem: the key is taken (in progress) and no order is placed; UpdateItem: the order is placed but its
    answer is not recorded. Either way the retries with the key answer with at most one order."""
    buyer, _ = shop(world)
    with timeout(idempotency_client(), operation):
        first = place(api, buyer)
    if operation == "PutItem":
        assert first.status == 503 and orders() == []
        again = place(api, buyer)
        assert again.status == 409 and again.error["code"] == "request_in_progress" and orders() == []
    else:
        assert first.status == 201, first.text
        again = place(api, buyer)
        assert again.status in (200, 201) and again.body["id"] == first.body["id"]
        assert orders() == [first.body["id"]]


def test_lost_answer_of_a_decision_answers_with_the_decided_order(api, world):
    buyer, agent = shop(world)
    order = place(api, buyer, key="k").body
    with timeout(connection().client, "TransactWriteItems"):
        approved = api.post(f"/admin/orders/{order['id']}/approve", {}, agent)
    assert approved.status == 200 and approved.body["status"] == "accepted", approved.text
    assert api.post(f"/admin/orders/{order['id']}/approve", {}, agent).status == 409  # decided once


def test_a_read_timeout_is_a_503_not_a_crash(api, world):
    buyer, _ = shop(world)
    with timeout(connection().client, "Query"):
        reply = api.get("/portal/orders", buyer)
    assert reply.status == 503 and reply.error["code"] == "unavailable"


def test_a_lost_answer_to_a_conditional_update_is_a_503_outcome_unknown_not_a_crash(api, world):
    """PynamoDB wraps a timeout like a refusal; asking that wrapper for DynamoDB's code used to raise AttributeError."""
    shop(world)
    admin = world.admin_token()
    with timeout(connection().client, "UpdateItem"):
        reply = api.put("/admin/products/NET-001/stock", {"qty_on_hand": 7}, admin)
    assert reply.status == 503 and reply.error["code"] == "outcome_unknown"
    assert api.get("/admin/products/NET-001", admin).body["qty_on_hand"] == 7  # it had landed: the retry is harmless


def test_a_decision_whose_workflow_cannot_be_resumed_still_answers_with_the_committed_decision(api, world, workflows):
    from chalicelib.aws import client  # noqa: PLC0415
    from chalicelib.store import orders as order_store  # noqa: PLC0415

    buyer, agent = shop(world)
    order = place(api, buyer, key="k").body
    workflows.until(lambda: order_store.get(order["id"]).review_task_token, what="the agent's wait")
    sfn = client("stepfunctions")
    left = [1]

    def lost(**kwargs):
        if left[0]:
            left[0] = 0
            raise ReadTimeoutError(endpoint_url="http://states.local")

    sfn.meta.events.register("after-call.sfn.SendTaskSuccess", lost)
    try:
        approved = api.post(f"/admin/orders/{order['id']}/approve", {}, agent)
    finally:
        sfn.meta.events.unregister("after-call.sfn.SendTaskSuccess", lost)
    assert left[0] == 0 and approved.status == 200 and approved.body["status"] == "accepted"
