"""infra/local/moto_speedups.py changes moto's speed, not its answers: the same operations give the same
results, cancellation reasons, items and stream records with and without it."""
from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError

from infra.local import moto_speedups


def _table(ddb: Any, name: str) -> None:
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "gpk", "gsk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [
            {"AttributeName": "gpk", "KeyType": "HASH"}, {"AttributeName": "gsk", "KeyType": "RANGE"}]}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


def _item(pk: str, sk: str, qty: int, group: str = "G1") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, "qty": {"N": str(qty)}, "gpk": {"S": group}, "gsk": {"S": f"{pk}#{sk}"}}


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _script(name: str) -> list[Any]:
    """Transactions that commit, that are cancelled after some of their items were written, and that are refused."""
    def put(pk: str, sk: str, qty: int, condition: str | None = None, **extra: Any) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": name, "Item": _item(pk, sk, qty), **extra}
        if condition:
            op["ConditionExpression"] = condition
        return {"Put": op}

    def take(pk: str, sk: str, qty: int) -> dict[str, Any]:
        return {"Update": {"TableName": name, "Key": _key(pk, sk), "UpdateExpression": "SET qty = qty - :q",
                           "ConditionExpression": "qty >= :q", "ExpressionAttributeValues": {":q": {"N": str(qty)}},
                           "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}

    new = "attribute_not_exists(pk)"
    return [
        [put("P#1", "A", 10, new), put("P#1", "B", 5, new), put("P#2", "A", 1, new)],
        [take("P#1", "A", 3), put("O#1", "ORDER", 3, new)],
        # the first two items are written before the third fails: all of it must go
        [put("O#2", "ORDER", 9, new), take("P#1", "A", 2), take("P#1", "B", 6)],
        [put("P#1", "A", 99, new, ReturnValuesOnConditionCheckFailure="ALL_OLD")],
        [{"Delete": {"TableName": name, "Key": _key("P#2", "A")}}, take("P#1", "B", 50)],
        [take("P#1", "A", 1), take("P#1", "A", 1)],  # the same item twice: refused as a whole
        [{"ConditionCheck": {"TableName": name, "Key": _key("P#9", "X"), "ConditionExpression": "attribute_exists(pk)"}},
         put("O#3", "ORDER", 1, new)],
        [take("P#1", "B", 5), {"Delete": {"TableName": name, "Key": _key("P#2", "A")}}, put("O#4", "ORDER", 5, new)],
    ]


def _run(endpoint: str, name: str) -> dict[str, Any]:
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name="us-east-1")
    _table(ddb, name)
    outcomes: list[Any] = []
    for transaction in _script(name):
        try:
            ddb.transact_write_items(TransactItems=transaction)
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append((exc.response["Error"]["Code"], exc.response.get("CancellationReasons")))
        ddb.put_item(TableName=name, Item=_item("LOG", f"{len(outcomes):02d}", len(outcomes), group="G2"))
    items = sorted(ddb.scan(TableName=name)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
    queries = [
        ddb.query(TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "P#1"}})["Items"],
        ddb.query(TableName=name, IndexName="gsi", KeyConditionExpression="gpk = :g",
                  ExpressionAttributeValues={":g": {"S": "G1"}}, ScanIndexForward=False)["Items"],
        ddb.query(TableName=name, IndexName="gsi", KeyConditionExpression="gpk = :g AND begins_with(gsk, :o)",
                  FilterExpression="qty > :z", Limit=2,
                  ExpressionAttributeValues={":g": {"S": "G1"}, ":o": {"S": "O#"}, ":z": {"N": "0"}})["Items"],
    ]
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = [(r["eventName"], r["dynamodb"]["SequenceNumber"], r["dynamodb"]["Keys"], r["dynamodb"].get("OldImage"),
                r["dynamodb"].get("NewImage")) for r in streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]]
    return {"outcomes": outcomes, "items": items, "queries": queries, "records": records}


def test_transactions_and_queries_answer_the_same_with_and_without_the_speedups(stack):
    assert moto_speedups.installed()  # the local stack runs with them
    try:
        moto_speedups.uninstall()
        plain = _run(stack.endpoint_url, "plain")
    finally:
        moto_speedups.install()
    fast = _run(stack.endpoint_url, "fast")

    assert fast == plain
    # and the script exercised what it is meant to: commits, cancellations with reasons, a refused transaction
    codes = [o if o == "ok" else o[0] for o in plain["outcomes"]]
    assert codes == ["ok", "ok", "TransactionCanceledException", "TransactionCanceledException",
                     "TransactionCanceledException", "ValidationException", "TransactionCanceledException", "ok"]
    reasons = plain["outcomes"][2][1]
    assert [r["Code"] for r in reasons] == ["None", "None", "ConditionalCheckFailed"] and reasons[2]["Item"]["qty"] == {"N": "5"}
    assert [i["pk"]["S"] for i in plain["items"] if i["pk"]["S"] != "LOG"] == ["O#1", "O#4", "P#1", "P#1"]
    assert len(plain["records"]) == 3 + 2 + 3 + len(plain["outcomes"])  # no record of a cancelled transaction


def test_uninstall_restores_moto_as_it_is(stack):
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415
    from moto.dynamodb.models.table import Table  # noqa: PLC0415

    fast = (DynamoDBBackend.transact_write_items, Table.query)
    try:
        moto_speedups.uninstall()
        assert not moto_speedups.installed()
        assert DynamoDBBackend.transact_write_items is not fast[0] and Table.query is not fast[1]
    finally:
        moto_speedups.install()
    assert moto_speedups.installed()
