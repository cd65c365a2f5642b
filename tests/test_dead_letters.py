"""Failed background work: what a consumer gave up on waits in a dead-letter queue, where an admin sees it,
replays it once the cause is fixed (nothing happens twice), or discards it."""
from __future__ import annotations

import json

import boto3

from chalicelib.services import table_changes
from chalicelib.store import orders as order_store
from infra.local.pollers import QueuePoller
from tests.test_review_workflow import place, shop


def queue_url(stack, suffix):
    return boto3.client("sqs").get_queue_url(QueueName=f"b2b-{stack.stage}-{suffix}")["QueueUrl"]


def without_event_consumer(workflows):
    """Stop the local SQS poller of the domain events, so a test can play SQS's redrive itself."""
    consumers = [p for p in workflows.pollers.pollers if isinstance(p, QueuePoller)]
    workflows.pollers.pollers = [p for p in workflows.pollers.pollers if not isinstance(p, QueuePoller)]
    return consumers


def fulfilment_started(workflows, order_id):
    sfn, machine = workflows.sfn, workflows.stack.resources.refs["FulfilmentStateMachine"]
    return [e for e in sfn.list_executions(stateMachineArn=machine)["executions"] if e["name"] == order_id]


def test_an_event_the_consumer_gave_up_on_is_listed_and_replayed_once(api, world, workflows, stack):
    client, buyer, _ = shop(world, auto_approve=True)
    admin = world.admin_token()
    consumers = without_event_consumer(workflows)
    order = place(api, buyer)
    workflows.until(lambda: order_store.get(order["id"]).accepted_event_sent, what="the order.accepted event")
    sqs = boto3.client("sqs")
    events, dlq = queue_url(stack, "events"), queue_url(stack, "events-dlq")
    message = None
    while message is None:  # the queue also carries the world's other events (client.created, order.placed...)
        for candidate in sqs.receive_message(QueueUrl=events, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]:
            sqs.delete_message(QueueUrl=events, ReceiptHandle=candidate["ReceiptHandle"])
            if json.loads(candidate["Body"])["detail-type"] == "order.accepted":
                message = candidate
    sqs.send_message(QueueUrl=dlq, MessageBody=message["Body"])  # what SQS does after maxReceiveCount failures

    listed = api.get("/admin/dead-letters", admin)
    assert listed.status == 200
    [letter] = listed.body["items"]
    assert letter["source"] == "domain_events" and letter["summary"] == f"order.accepted {order['number']}"
    assert api.get("/admin/dead-letters", world.staff("agent")[1]).status == 403

    replayed = api.post(f"/admin/dead-letters/{letter['id']}/replay", {}, admin)
    assert replayed.status == 200, replayed.text
    assert api.get("/admin/dead-letters", admin).body["items"] == []
    workflows.pollers.pollers += consumers
    workflows.until(lambda: fulfilment_started(workflows, order["id"]), what="the order's fulfilment")
    assert api.post(f"/admin/dead-letters/{letter['id']}/replay", {}, admin).error["code"] == "dead_letter_not_found"


def test_a_new_order_the_stream_consumer_gave_up_on_is_replayed_from_the_stream(api, world, workflows, stack, monkeypatch):
    _, buyer, _ = shop(world, auto_approve=True)
    admin = world.admin_token()

    handle_change = table_changes.handle_change

    def broken(event_name, keys, **images):
        if table_changes.new_order_id(event_name, keys):
            raise RuntimeError("Step Functions is unreachable")
        return handle_change(event_name, keys, **images)

    monkeypatch.setattr(table_changes, "handle_change", broken)
    order = place(api, buyer)
    workflows.deliver()
    assert order_store.get(order["id"]).status == "draft"
    [letter] = api.get("/admin/dead-letters", admin).body["items"]
    assert letter["source"] == "table_stream" and letter["attempts"] >= 2
    assert "not processed" in letter["summary"]

    monkeypatch.undo()  # the cause is fixed
    assert api.post(f"/admin/dead-letters/{letter['id']}/replay", {}, admin).status == 200
    workflows.until(lambda: order_store.get(order["id"]).status == "accepted", what="the replayed order's review")
    assert api.get("/admin/dead-letters", admin).body["items"] == []


def test_a_dead_letter_can_be_discarded(api, world, stack):
    admin = world.admin_token()
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=queue_url(stack, "events-dlq"), MessageBody=json.dumps(
        {"detail-type": "order.accepted", "detail": {"order_id": "ord_gone", "number": "SO-2026-000404"}}))
    [letter] = api.get("/admin/dead-letters", admin).body["items"]

    assert api.delete(f"/admin/dead-letters/{letter['id']}", admin).status == 204
    assert api.get("/admin/dead-letters", admin).body["items"] == []
    assert api.delete(f"/admin/dead-letters/{letter['id']}", admin).status == 404


def test_an_order_status_refresh_the_stream_consumer_gave_up_on_is_replayed_with_its_images(api, world, workflows, stack,
                                                                                            monkeypatch):
    from chalicelib.services import order_status
    from tests.test_fulfilment_flow import configure, delivery_note_of, world_with_order

    configure(auto_create_delivery_note=True)
    admin = world.admin_token()
    order, buyer = world_with_order(api, world, workflows)
    dn = delivery_note_of(workflows, order["id"])
    workflows.until(lambda: order_store.get(order["id"]).fulfilment_status == "not_started"
                    or order_store.get(order["id"]).fulfilment_status, what="the order's first status")
    before = order_store.get(order["id"]).fulfilment_status

    def unreachable(order_id):
        raise RuntimeError("the table is throttled")

    monkeypatch.setattr(order_status, "refresh", unreachable)
    assert api.post(f"/admin/delivery-notes/{dn.id}/approve", None, admin).status == 200
    letter = workflows.until(lambda: [l for l in api.get("/admin/dead-letters", admin).body["items"]
                                      if l["source"] == "table_stream"], what="the dead letter")[0]
    assert order_store.get(order["id"]).fulfilment_status == before  # the order did not follow its note

    monkeypatch.undo()  # the cause is fixed: the replay reads the records back, images included
    assert api.post(f"/admin/dead-letters/{letter['id']}/replay", {}, admin).status == 200
    assert order_store.get(order["id"]).fulfilment_status == "preparing"
    assert api.get(f"/portal/orders/{order['id']}", buyer).body["fulfilment_status"] == "preparing"
