"""Soak: the local stack as `make run` runs it (HTTP server, pollers on their background thread) keeps
reviewing orders placed from many threads while cancelled transactions (409s) happen in between."""
from __future__ import annotations

import os
import threading
import time
from decimal import Decimal

import boto3
import requests

from chalicelib.store import orders as order_store
from infra.local.pollers import Pollers

THREADS, ORDERS_PER_THREAD = 20, 10
MANUAL_EVERY = 10  # every 10th thread orders for a client whose orders an agent must review
# A stall is STALL_SECONDS in which not one more order is reviewed. Not a deadline for all 200: each auto-approved
# order goes on through its fulfilment and invoice (a PDF, the e-invoice) on the same two cores, so on this machine
# the last order is reviewed about 5 minutes after it was placed, more on a busy one (measured: 315-322 s).
STALL_SECONDS = 120
REVIEW_LIMIT = 900  # and a bound on the whole wait, should the reviews trickle
ADDRESS = [{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}]


def test_200_orders_from_20_threads_with_409s_in_between_are_all_reviewed(stack, chalice_app, http_server, world, caplog):
    admin = world.admin_token()
    agent_id, _ = world.staff("agent")
    for sku in ("CAB-001", "NET-001"):
        world.product(sku, base_price=Decimal("10.00"), qty_on_hand=1_000_000)
    trusted = world.client("Trusted SRL", auto_approve=True, credit_limit=Decimal("100000000"), addresses=ADDRESS)
    manual = world.client("Manual SRL", sale_agent_id=agent_id, credit_limit=Decimal("100000000"), addresses=ADDRESS)
    conflicted = world.client("Conflicted SRL")
    tokens = {trusted: world.buyer(trusted)[1], manual: world.buyer(manual)[1]}
    first = requests.post(f"{http_server}/admin/price-lists", headers={"Authorization": f"Bearer {admin}"}, timeout=30,
                          json={"name": "Only", "currency": "EUR", "client_id": conflicted, "items": []})
    assert first.status_code == 201

    pollers = Pollers(chalice_app, stack.endpoint_url, "us-east-1", interval=0.05,
                      stream_arn=stack.resources.attrs["MainTable"]["StreamArn"])
    placed: dict[str, str] = {}  # order id -> client id
    problems: list[str] = []
    conflicts = []
    lock, go = threading.Lock(), threading.Barrier(THREADS)

    def shopper(n: int) -> None:
        client = manual if n % MANUAL_EVERY == 0 else trusted
        session = requests.Session()
        go.wait()
        for i in range(ORDERS_PER_THREAD):
            reply = session.post(f"{http_server}/portal/orders", timeout=60, headers={
                "Authorization": f"Bearer {tokens[client]}", "Idempotency-Key": f"soak-{n}-{i}"},
                json={"lines": [{"sku": "CAB-001", "qty": 1 + i}, {"sku": "NET-001", "qty": 1 + n}]})
            with lock:
                if reply.status_code == 201:
                    placed[reply.json()["id"]] = client
                else:
                    problems.append(f"order {n}/{i}: {reply.status_code} {reply.text[:200]}")
            if i % 2 == 1:  # a cancelled transaction between orders
                refused = session.post(f"{http_server}/admin/price-lists", timeout=60,
                                       headers={"Authorization": f"Bearer {admin}"},
                                       json={"name": f"Second {n}-{i}", "currency": "EUR", "client_id": conflicted,
                                             "items": [{"sku": "CAB-001", "price": "9.00"}]})
                with lock:
                    conflicts.append(refused.status_code)

    pollers.start()
    started = time.monotonic()
    try:
        threads = [threading.Thread(target=shopper, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert problems == []
        assert len(placed) == THREADS * ORDERS_PER_THREAD
        assert conflicts == [409] * (THREADS * ORDERS_PER_THREAD // 2)

        def reviewed(order_id: str) -> bool:
            order = order_store.get(order_id)
            if placed[order_id] == trusted:
                return order.status == "accepted"
            return order.status == "draft" and bool(order.review_task_token)  # the agent's decision is awaited

        # one order at a time, oldest first (a read per check, not 200, so the consumer keeps moto to itself)
        placed_at = progress_at = time.monotonic()
        waiting = list(placed)
        while waiting and time.monotonic() - progress_at < STALL_SECONDS and time.monotonic() - placed_at < REVIEW_LIMIT:
            if reviewed(waiting[0]):
                waiting.pop(0)
                progress_at = time.monotonic()
            else:
                time.sleep(0.5)
        waiting = [order_id for order_id in placed if not reviewed(order_id)]
        timing = f"placed in {placed_at - started:.0f} s, reviewed until {progress_at - placed_at:.0f} s later"
    finally:
        pollers.stop()
    assert waiting == [], (f"{len(waiting)} of {len(placed)} orders not reviewed (stall {STALL_SECONDS} s, limit "
                           f"{REVIEW_LIMIT} s; {timing}): "
                           f"{_why(stack, waiting)}")
    assert sum(1 for c in placed.values() if c == manual) == THREADS // MANUAL_EVERY * ORDERS_PER_THREAD
    dead = boto3.client("sqs", endpoint_url=stack.endpoint_url, region_name="us-east-1").get_queue_attributes(
        QueueUrl=os.environ["STREAM_DLQ_URL"], AttributeNames=["ApproximateNumberOfMessages"])
    assert dead["Attributes"]["ApproximateNumberOfMessages"] == "0"
    assert "gave up" not in caplog.text and "failed" not in caplog.text


def _why(stack, order_ids):
    """Each stuck order as stored, and its review execution as Step Functions saw it (for the failure message)."""
    sfn = boto3.client("stepfunctions", endpoint_url=stack.endpoint_url, region_name="us-east-1")
    machine = os.environ["ORDER_REVIEW_STATE_MACHINE_ARN"]
    executions = {e["name"]: e for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine)
                  for e in page["executions"]}
    found = []
    for order_id in order_ids:
        order = order_store.get(order_id)
        execution = executions.get(order_id)
        history = []
        if execution:
            events = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
            history = [e["type"] + (f" {e.get('stateEnteredEventDetails', {}).get('name')}" if "stateEntered" in e["type"].lower() else "")
                       for e in events][-6:]
        found.append({"order": order_id, "status": order.status, "token": bool(order.review_task_token),
                      "execution": execution and execution["status"], "history": history})
    return found
