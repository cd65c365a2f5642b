"""moto runs no event-source mappings: these pollers read the table's stream and the SQS queues
and call the Chalice handlers registered for them, with Lambda-shaped events."""
from __future__ import annotations

import importlib
import threading
from typing import Any, Callable

import boto3
from chalice import Chalice
from chalice.app import DynamoDBEventConfig, SQSEventConfig

from infra.local.lambda_shim import _Context


def resolve_handler(handler_string: str) -> Callable[[Any, Any], Any]:
    module, attr = handler_string.rsplit(".", 1)
    return getattr(importlib.import_module(module), attr)


class StreamPoller:
    """Delivers DynamoDB stream records to an `@on_dynamodb_record` handler."""

    def __init__(self, config: DynamoDBEventConfig, endpoint_url: str, region: str, stream_arn: str | None = None):
        self.config = config
        self.stream_arn = stream_arn or config.stream_arn
        self.handler = resolve_handler(config.handler_string)
        self.streams = boto3.client("dynamodbstreams", endpoint_url=endpoint_url, region_name=region)
        self._iterators: dict[str, str] = {}

    def _shard_iterators(self) -> dict[str, str]:
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
        return self._iterators

    def poll_once(self) -> int:
        delivered = 0
        for shard_id, iterator in list(self._shard_iterators().items()):
            response = self.streams.get_records(ShardIterator=iterator, Limit=self.config.batch_size)
            records = response.get("Records", [])
            if records:
                for record in records:
                    created = record["dynamodb"].get("ApproximateCreationDateTime")
                    if hasattr(created, "timestamp"):  # boto3 parsed it; Lambda events carry epoch seconds
                        record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
                    record["eventSourceARN"] = self.stream_arn
                    record.setdefault("awsRegion", self.streams.meta.region_name)
                self.handler({"Records": records}, _Context(self.config.name))
                delivered += len(records)
            self._iterators[shard_id] = response.get("NextShardIterator") or iterator
        return delivered


class QueuePoller:
    """Delivers SQS messages to an `@on_sqs_message` handler; deletes them when the handler returns."""

    def __init__(self, config: SQSEventConfig, endpoint_url: str, region: str):
        self.config = config
        self.handler = resolve_handler(config.handler_string)
        self.sqs = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)
        self.url = self.sqs.get_queue_url(QueueName=config.queue)["QueueUrl"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def poll_once(self) -> int:
        messages = self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=min(self.config.batch_size, 10), AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return 0
        records = [{
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody"),
            "eventSource": "aws:sqs", "eventSourceARN": self.arn,
        } for m in messages]
        self.handler({"Records": records}, _Context(self.config.name))  # an exception leaves them for redelivery
        for m in messages:
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])
        return len(messages)


class Pollers:
    """All event-source pollers of an app, run on a background thread (or drained on demand in tests)."""

    def __init__(self, app: Chalice, endpoint_url: str, region: str, interval: float = 0.2,
                 stream_arn: str | None = None):
        """`stream_arn` replaces the ARN the app was imported with (the local table is re-created per test)."""
        self.pollers: list[Any] = []
        for source in app.event_sources:
            if isinstance(source, DynamoDBEventConfig):
                self.pollers.append(StreamPoller(source, endpoint_url, region, stream_arn))
            elif isinstance(source, SQSEventConfig):
                self.pollers.append(QueuePoller(source, endpoint_url, region))
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def drain(self, rounds: int = 50) -> int:
        """Poll until nothing is delivered (or `rounds` passes); returns the records delivered."""
        total = 0
        with self._lock:
            for _ in range(rounds):
                delivered = sum(p.poll_once() for p in self.pollers)
                total += delivered
                if not delivered:
                    break
        return total

    def start(self) -> None:
        if not self.pollers:
            return

        def loop() -> None:
            while not self._stop.wait(self.interval):
                try:
                    self.drain(rounds=1)
                except Exception as exc:  # keep polling; the error is shown like a Lambda log line
                    print(f"[local] poller error: {exc!r}")

        self._thread = threading.Thread(target=loop, name="local-pollers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
