"""The embedded local stack: resources from infra/template.json, the Lambda shim under real
Step Functions executions, the stream and queue pollers, and the local-only outbox."""
from __future__ import annotations

import importlib
import json
import os
import time
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
import requests

from chalicelib.store import orders as order_store
from infra.local import lambda_shim, moto_speedups
from infra.local.pollers import Pollers

TEMPLATE = json.loads((Path(__file__).parents[1] / "infra" / "template.json").read_text())

ROOT = Path(__file__).resolve().parents[1]


def aws(stack, service):
    return boto3.client(service, endpoint_url=stack.endpoint_url, region_name="us-east-1")


def test_every_table_pool_and_bucket_of_the_template_exists(stack):
    ddb = aws(stack, "dynamodb")
    for logical, resource in TEMPLATE["Resources"].items():
        if resource["Type"] == "AWS::DynamoDB::Table":
            table = ddb.describe_table(TableName=stack.resources.refs[logical])["Table"]
            wanted = {i["IndexName"] for i in resource["Properties"].get("GlobalSecondaryIndexes", [])}
            assert {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])} == wanted
            assert [k["AttributeName"] for k in table["KeySchema"]] == [k["AttributeName"] for k in resource["Properties"]["KeySchema"]]
    pool = aws(stack, "cognito-idp").describe_user_pool(UserPoolId=os.environ["USER_POOL_ID"])["UserPool"]
    assert pool["UsernameAttributes"] == ["email"]
    assert os.environ["DOCUMENTS_BUCKET"] in [b["Name"] for b in aws(stack, "s3").list_buckets()["Buckets"]]


def load_sample(stack, queue_url=None):
    os.environ["SAMPLE_STREAM_ARN"] = stack.resources.attrs["MainTable"]["StreamArn"]
    if queue_url is None:
        queue_url = aws(stack, "sqs").create_queue(QueueName="sample-events")["QueueUrl"]
    os.environ["SAMPLE_QUEUE"] = "sample-events"
    from tests.support import sample_app  # noqa: PLC0415

    module = importlib.reload(sample_app)
    module.received["stream"].clear()
    module.received["queue"].clear()
    return module, queue_url


def run(stack, definition, payload):
    sfn = aws(stack, "stepfunctions")
    machine = sfn.create_state_machine(name=f"m{time.monotonic_ns()}", definition=json.dumps(definition),
                                       roleArn="arn:aws:iam::123456789012:role/local")["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload))["executionArn"]
    for _ in range(200):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError("execution did not finish")


def test_step_functions_task_runs_the_chalice_lambda_function_in_process(stack):
    module, _ = load_sample(stack)
    arns = lambda_shim.register_functions(module.app, "local", stack.endpoint_url, "us-east-1")
    assert arns["double"].endswith(":function:sample-local-double")
    definition = {"StartAt": "Double", "States": {"Double": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": arns["double"], "Payload.$": "$"}, "OutputPath": "$.Payload", "End": True}}}

    done = run(stack, definition, {"value": 21})

    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"value": 42, "function": "sample-local-double"}


def test_a_failing_lambda_fails_the_execution_like_on_aws(stack):
    module, _ = load_sample(stack)
    arns = lambda_shim.register_functions(module.app, "local", stack.endpoint_url, "us-east-1")
    definition = {"StartAt": "Double", "States": {"Double": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": arns["double"], "Payload.$": "$"}, "End": True}}}
    assert run(stack, definition, {"value": 1, "fail": True})["status"] == "FAILED"


def test_stream_poller_delivers_table_changes_to_the_record_handler(stack):
    module, _ = load_sample(stack)
    pollers = Pollers(module.app, stack.endpoint_url, "us-east-1")
    table = os.environ["TABLE_NAME"]
    aws(stack, "dynamodb").put_item(TableName=table, Item={"pk": {"S": "T#1"}, "sk": {"S": "A"}})
    aws(stack, "dynamodb").delete_item(TableName=table, Key={"pk": {"S": "T#1"}, "sk": {"S": "A"}})
    assert pollers.drain() == 2
    assert module.received["stream"] == [("INSERT", {"pk": {"S": "T#1"}, "sk": {"S": "A"}}),
                                         ("REMOVE", {"pk": {"S": "T#1"}, "sk": {"S": "A"}})]
    assert pollers.drain() == 0  # delivered once


def test_a_stream_record_that_keeps_failing_is_dead_lettered_and_the_records_behind_it_flow_on(stack, caplog):
    module, _ = load_sample(stack)
    pollers = Pollers(module.app, stack.endpoint_url, "us-east-1")
    ddb, table = aws(stack, "dynamodb"), os.environ["TABLE_NAME"]
    for pk in ("T#1", "POISON#2", "T#3", "REFUSE#4", "T#5"):
        ddb.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": "A"}})
    pollers.drain()

    seen = [keys["pk"]["S"] for _, keys in module.received["stream"]]
    assert {"T#1", "T#3", "T#5"} <= set(seen)
    assert seen.count("POISON#2") == 5  # the batch, its failing half, then alone: once and MaximumRetryAttempts=2 more
    assert seen.count("REFUSE#4") == 4  # in the second half, which names it; then alone: once and 2 retries
    dlq = os.environ["STREAM_DLQ_URL"]
    assert dlq.endswith("/b2b-local-stream-dlq")
    dead = [json.loads(m["Body"]) for m in aws(stack, "sqs").receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]]
    stream = aws(stack, "dynamodbstreams")
    arn = stack.resources.attrs["MainTable"]["StreamArn"]
    shard = stream.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    records = stream.get_records(ShardIterator=stream.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"])["Records"]
    sequence = {r["dynamodb"]["Keys"]["pk"]["S"]: r["dynamodb"]["SequenceNumber"] for r in records}
    by_start = {d["DDBStreamBatchInfo"]["startSequenceNumber"]: d for d in dead}
    assert set(by_start) == {sequence["POISON#2"], sequence["REFUSE#4"]}
    poison, refused = by_start[sequence["POISON#2"]], by_start[sequence["REFUSE#4"]]
    assert poison["DDBStreamBatchInfo"] | {"approximateArrivalOfFirstRecord": None, "approximateArrivalOfLastRecord": None} == {
        "shardId": shard, "streamArn": arn, "batchSize": 1, "startSequenceNumber": sequence["POISON#2"],
        "endSequenceNumber": sequence["POISON#2"], "approximateArrivalOfFirstRecord": None, "approximateArrivalOfLastRecord": None}
    assert poison["requestContext"]["condition"] == "RetryAttemptsExhausted" and poison["requestContext"]["approximateInvokeCount"] == 3
    assert poison["requestContext"]["functionArn"].endswith(":function:on_record")
    assert poison["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert refused["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}  # it answered, naming the record
    assert "ValueError: cannot handle POISON#2" in caplog.text and "stream dead-letter queue" in caplog.text

    module.received["stream"].clear()
    ddb.put_item(TableName=table, Item={"pk": {"S": "T#6"}, "sk": {"S": "A"}})
    assert pollers.drain() == 1 and module.received["stream"] == [("INSERT", {"pk": {"S": "T#6"}, "sk": {"S": "A"}})]
    assert pollers.drain() == 0  # moved on: nothing is retried any more


def test_stream_poller_can_start_at_the_end_of_the_stream(stack):
    module, _ = load_sample(stack)
    pollers = Pollers(module.app, stack.endpoint_url, "us-east-1")
    ddb, table = aws(stack, "dynamodb"), os.environ["TABLE_NAME"]
    for n in range(3):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"BULK#{n}"}, "sk": {"S": "A"}})
    assert pollers.pollers[0].skip_to_end() == 3
    ddb.put_item(TableName=table, Item={"pk": {"S": "T#1"}, "sk": {"S": "A"}})
    assert pollers.drain() == 1 and [k["pk"]["S"] for _, k in module.received["stream"]] == ["T#1"]


def test_queue_poller_delivers_and_deletes_messages(stack):
    module, queue_url = load_sample(stack)
    pollers = Pollers(module.app, stack.endpoint_url, "us-east-1")
    for body in ("one", "two"):
        aws(stack, "sqs").send_message(QueueUrl=queue_url, MessageBody=body)
    pollers.drain()
    assert sorted(module.received["queue"]) == ["one", "two"]
    attrs = aws(stack, "sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_queue_poller_redelivers_failed_messages_until_sqs_moves_them_to_the_dead_letter_queue(stack, caplog):
    sqs = aws(stack, "sqs")
    dlq = sqs.create_queue(QueueName="sample-events-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="sample-events", Attributes={
        "VisibilityTimeout": "0", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})})["QueueUrl"]
    module, _ = load_sample(stack, url)
    pollers = Pollers(module.app, stack.endpoint_url, "us-east-1")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "ok"}, {"Id": "2", "MessageBody": "refuse"}])
    pollers.drain()
    sqs.send_message(QueueUrl=url, MessageBody="boom")
    pollers.drain()

    # "ok" once; the partial-batch failure and the failing batch twice each (maxReceiveCount), then the DLQ
    assert sorted(module.received["queue"]) == ["boom", "boom", "ok", "refuse", "refuse"]
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in dead) == ["boom", "refuse"]
    assert "ValueError: asked to fail" in caplog.text  # the handler's traceback is logged


def test_queue_poller_carries_on_when_its_queue_is_re_created(stack, caplog):
    module, url = load_sample(stack)
    pollers = Pollers(module.app, stack.endpoint_url, "us-east-1")
    assert pollers.drain() == 0
    aws(stack, "sqs").delete_queue(QueueUrl=url)
    assert pollers.drain() == 0 and "QueueDoesNotExist" in caplog.text
    url = aws(stack, "sqs").create_queue(QueueName="sample-events")["QueueUrl"]
    aws(stack, "sqs").send_message(QueueUrl=url, MessageBody="again")
    assert pollers.drain() == 1 and module.received["queue"] == ["again"]


def test_the_poller_thread_survives_whatever_a_poll_raises(stack, caplog):
    module, _ = load_sample(stack)
    pollers = Pollers(module.app, stack.endpoint_url, "us-east-1", interval=0.01)
    polls = []

    class Flaky:
        config = type("Config", (), {"name": "flaky"})

        def poll_once(self):
            polls.append(1)
            if len(polls) == 1:
                raise SystemExit("would end a thread")
            if len(polls) == 2:
                raise RuntimeError("a poll failed")
            return 0

    pollers.pollers = [Flaky()]
    pollers.start()
    try:
        deadline = time.monotonic() + 5
        while len(polls) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        pollers.stop()
    assert len(polls) >= 4 and not pollers._thread.is_alive()
    assert "SystemExit: would end a thread" in caplog.text and "RuntimeError: a poll failed" in caplog.text


def test_outbox_lists_sent_mail_newest_first_only_on_the_local_stack(stack, chalice_app, local_pages, http_server, world):
    deployed = [ROOT / "app.py", *(ROOT / "chalicelib").rglob("*.py")]
    assert not [p for p in deployed if "infra.local" in p.read_text()]  # never part of the deployed API
    client = world.client("Acme SRL")
    world.buyer(client)
    world.buyer(client)
    mails = requests.get(f"{http_server}/local/outbox", timeout=10).json()["items"]
    assert len(mails) == 2 and mails[0]["to"] != mails[1]["to"]
    assert all("Acme SRL" in m["body"] for m in mails)
    page = requests.get(f"{http_server}/local/outbox", headers={"Accept": "text/html"}, timeout=10)
    assert page.headers["Content-Type"].startswith("text/html") and "Local outbox" in page.text


def _trusted_shop(world):
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=10_000)
    client = world.client("Acme SRL", auto_approve=True, credit_limit=Decimal("1000000"), addresses=[
        {"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    return client, world.buyer(client)[1]


@pytest.fixture(params=["moto as it is", "with the speed-ups"])
def moto_flavour(request):
    """moto's own transactions swap the table's stream when cancelled; the speed-ups keep it: the poller copes with both."""
    if request.param == "moto as it is":
        moto_speedups.uninstall()
    try:
        yield request.param
    finally:
        moto_speedups.install()


def test_an_order_placed_after_a_cancelled_transaction_is_still_reviewed(moto_flavour, api, world, workflows):
    """moto restores a copy of the table (and of its stream) when it cancels a transaction: the stream
    poller must follow it, or every later order stays draft forever."""
    admin = world.admin_token()
    client, buyer = _trusted_shop(world)
    workflows.deliver()  # the poller is reading the stream before the cancellation
    first = api.post("/admin/price-lists", {"name": "First", "currency": "EUR", "client_id": client, "items": []}, admin)
    assert first.status == 201
    second = api.post("/admin/price-lists", {"name": "Second", "currency": "EUR", "client_id": client,
                                             "items": [{"sku": "CAB-001", "price": "9.00"}]}, admin)
    assert second.status == 409  # a cancelled TransactWriteItems

    placed = api.post("/portal/orders", {"lines": [{"sku": "CAB-001", "qty": 2}]}, buyer)
    assert placed.status == 201 and placed.body["status"] == "draft"
    accepted = workflows.until(lambda: order_store.get(placed.body["id"]).status == "accepted", timeout=10,
                               what="the order to be reviewed")
    assert accepted


def _range_table(ddb, name):
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_g", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}],
    )


def test_a_read_of_a_missing_item_leaves_the_table_as_it_was(stack):
    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415

    ddb = aws(stack, "dynamodb")
    _range_table(ddb, "reads")
    ddb.put_item(TableName="reads", Item={"pk": {"S": "A"}, "sk": {"S": "1"}, "g": {"S": "x"}})
    assert "Item" not in ddb.get_item(TableName="reads", Key={"pk": {"S": "NOPE"}, "sk": {"S": "1"}})
    assert "Item" not in ddb.get_item(TableName="reads", Key={"pk": {"S": "A"}, "sk": {"S": "2"}})
    got = ddb.get_item(TableName="reads", Key={"pk": {"S": "A"}, "sk": {"S": "1"}}, ProjectionExpression="g")
    assert got["Item"] == {"g": {"S": "x"}}

    table = dynamodb_backends["123456789012"]["us-east-1"].tables["reads"]
    assert [key.value for key in table.items] == ["A"]  # no empty partition for "NOPE"


def test_reads_of_missing_items_never_change_a_table_another_thread_is_walking(stack):
    """The soak test's 500: moto's GetItem of a missing partition inserted into the dict a concurrent GSI
    query was walking ("dictionary changed size during iteration")."""
    import sys  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415
    from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: PLC0415

    ddb = aws(stack, "dynamodb")
    _range_table(ddb, "race")
    table = dynamodb_backends["123456789012"]["us-east-1"].tables["race"]
    for n in range(2000):
        table.put_item({"pk": {"S": f"P{n}"}, "sk": {"S": "1"}, "g": {"S": "x"}})
    done, errors = threading.Event(), []

    def read_missing():
        n = 0
        while not done.is_set():
            table.get_item(DynamoType({"S": f"missing-{n}"}), DynamoType({"S": "1"}))
            n += 1

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    reader = threading.Thread(target=read_missing)
    reader.start()
    try:
        for _ in range(50):
            try:
                assert len(table.all_items()) == 2000 and len(table) == 2000
            except RuntimeError as exc:
                errors.append(exc)
    finally:
        done.set()
        reader.join()
        sys.setswitchinterval(interval)
    assert errors == []
    assert len(table.items) == 2000
