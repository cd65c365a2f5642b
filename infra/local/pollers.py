"""moto runs no event-source mappings: these pollers read the table's stream and the SQS queues
and call the Chalice handlers registered for them, with Lambda-shaped events."""
from __future__ import annotations

import importlib
import json
import logging
import os
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable

import boto3
from chalice import Chalice
from chalice.app import DynamoDBEventConfig, SQSEventConfig

from infra.local.lambda_shim import _Context

log = logging.getLogger(__name__)


def resolve_handler(handler_string: str) -> Callable[[Any, Any], Any]:
    module, attr = handler_string.rsplit(".", 1)
    return getattr(importlib.import_module(module), attr)


class StreamPoller:
    """Delivers DynamoDB stream records to an `@on_dynamodb_record` handler, with the failure handling of
    Lambda's event-source mapping as the deployed stack configures it:

    - a batch whose handler raises is split in two and each half retried (BisectBatchOnFunctionError), down
      to the failing record; a partial-batch response (`{"batchItemFailures": [{"itemIdentifier":
      <SequenceNumber>}]}`, ReportBatchItemFailures) retries from the first failed record;
    - a record that still fails after MaximumRetryAttempts retries goes to the on-failure destination (the
      StreamDeadLetterQueue), as AWS's on-failure record, and the poller moves on past it.

    moto replaces a table's stream object when it cancels a transaction (it restores a deep copy of the
    table, stream included, under the same ARN and shard id), so an iterator kept between polls can go on
    reading a stream nobody writes to any more. Each poll therefore asks the table for its current stream
    and opens a fresh iterator after the last record handled: a new stream (a new ARN) is read from its
    beginning, and a swapped one carries on where the old one stopped.
    """

    max_retries = 2  # MaximumRetryAttempts
    bisect = True  # BisectBatchOnFunctionError

    def __init__(self, config: DynamoDBEventConfig, endpoint_url: str, region: str, stream_arn: str | None = None,
                 dead_letter_url: str | None = None):
        self.config = config
        self.stream_arn = stream_arn or config.stream_arn
        self.table_name = self.stream_arn.split(":", 5)[5].split("/")[1]
        self.handler = resolve_handler(config.handler_string)
        self.dead_letter_url = dead_letter_url or os.environ.get("STREAM_DLQ_URL")
        self.dynamodb = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region)
        self.streams = boto3.client("dynamodbstreams", endpoint_url=endpoint_url, region_name=region)
        self.sqs = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)
        self._after: dict[str, str] = {}  # shard id -> sequence number of the last record handled

    def _current_shards(self) -> list[str]:
        latest = self.dynamodb.describe_table(TableName=self.table_name)["Table"].get("LatestStreamArn")
        if latest and latest != self.stream_arn:
            log.warning("[local] %s: the table's stream is now %s; reading it from the start", self.config.name, latest)
            self.stream_arn, self._after = latest, {}
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        return [shard["ShardId"] for shard in shards]

    def _iterator(self, shard_id: str) -> str:
        after = self._after.get(shard_id)
        position = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after} if after
                    else {"ShardIteratorType": "TRIM_HORIZON"})
        return self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id, **position)["ShardIterator"]

    def poll_once(self) -> int:
        delivered = 0
        for shard_id in self._current_shards():
            records = self.streams.get_records(ShardIterator=self._iterator(shard_id),
                                               Limit=self.config.batch_size).get("Records", [])
            if not records:
                continue
            for record in records:
                created = record["dynamodb"].get("ApproximateCreationDateTime")
                if hasattr(created, "timestamp"):  # boto3 parsed it; Lambda events carry epoch seconds
                    record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
                record["eventSourceARN"] = self.stream_arn
                record.setdefault("awsRegion", self.streams.meta.region_name)
            self._handle(shard_id, records)
            self._after[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
            delivered += len(records)
        return delivered

    def skip_to_end(self) -> int:
        """Count every record now in the stream as handled, as a new mapping with StartingPosition LATEST would
        (the benchmark's bulk-loaded data); returns the records skipped."""
        skipped = 0
        for shard_id in self._current_shards():
            while records := self.streams.get_records(ShardIterator=self._iterator(shard_id), Limit=1000)["Records"]:
                self._after[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                skipped += len(records)
        return skipped

    def _handle(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        """One batch until it succeeds, split and retried on failure; what keeps failing is dead-lettered."""
        attempts = 0
        while True:
            attempts += 1
            failed_from, error = self._invoke(records)
            if failed_from is None:
                return
            records = records[failed_from:]
            if self.bisect and len(records) > 1:
                half = len(records) // 2
                self._handle(shard_id, records[:half])
                self._handle(shard_id, records[half:])
                return
            if attempts > self.max_retries:
                self._dead_letter(shard_id, records, attempts, error)
                return

    def _invoke(self, records: list[dict[str, Any]]) -> tuple[int | None, str | None]:
        """(index of the first record to retry, the function error) or (None, None) when all succeeded."""
        try:
            failed = _failed_items(self.handler({"Records": records}, _Context(self.config.name)))
        except Exception:
            log.exception("[local] %s failed on %d stream record(s) from %s", self.config.name, len(records),
                          records[0]["dynamodb"]["SequenceNumber"])
            return 0, "Unhandled"
        if not failed:
            return None, None
        numbers = [r["dynamodb"]["SequenceNumber"] for r in records]
        known = [numbers.index(n) for n in failed if n in numbers]
        if len(known) < len(failed):  # an identifier that is no record of the batch: the whole batch failed (as AWS)
            log.error("[local] %s reported unknown batch item failures %s", self.config.name, sorted(failed - set(numbers)))
            return 0, None
        log.warning("[local] %s reported %d failed stream record(s) from %s", self.config.name, len(known), numbers[min(known)])
        return min(known), None

    def _dead_letter(self, shard_id: str, records: list[dict[str, Any]], attempts: int, error: str | None) -> None:
        """AWS's on-failure record for a stream batch (it names the records; it does not carry them)."""
        def at(record: dict[str, Any]) -> str:
            created = record["dynamodb"].get("ApproximateCreationDateTime") or time.time()
            return datetime.fromtimestamp(created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

        message = {
            "requestContext": {"requestId": str(uuid.uuid4()),
                               "functionArn": _Context(self.config.name).invoked_function_arn,
                               "condition": "RetryAttemptsExhausted", "approximateInvokeCount": attempts},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                                **({"functionError": error} if error else {})},
            "version": "1.0",
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard_id, "streamArn": self.stream_arn, "batchSize": len(records),
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": at(records[0]), "approximateArrivalOfLastRecord": at(records[-1]),
            },
        }
        keys = [r["dynamodb"].get("Keys") for r in records]
        if self.dead_letter_url:
            self.sqs.send_message(QueueUrl=self.dead_letter_url, MessageBody=json.dumps(message))
            log.error("[local] %s gave up on stream record(s) %s after %d attempts: sent to the stream dead-letter queue"
                      " (keys %s)", self.config.name, message["DDBStreamBatchInfo"]["startSequenceNumber"], attempts, keys)
        else:
            log.error("[local] %s gave up on stream record(s) %s after %d attempts; no dead-letter queue, dropped"
                      " (keys %s)", self.config.name, message["DDBStreamBatchInfo"]["startSequenceNumber"], attempts, keys)


class QueuePoller:
    """Delivers SQS messages to an `@on_sqs_message` handler, as Lambda's event-source mapping does: the
    messages are deleted when the handler returns, except those it names in `batchItemFailures`; a failed
    message becomes visible again after the queue's visibility timeout, and SQS moves it to the queue's
    dead-letter queue once it has been received `maxReceiveCount` times (moto does that part)."""

    def __init__(self, config: SQSEventConfig, endpoint_url: str, region: str):
        self.config = config
        self.handler = resolve_handler(config.handler_string)
        self.sqs = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)
        self._queue: tuple[str, str] | None = None  # (url, arn), looked up again after an error

    def _url_and_arn(self) -> tuple[str, str]:
        if self._queue is None:
            url = self.sqs.get_queue_url(QueueName=self.config.queue)["QueueUrl"]
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            self._queue = (url, arn)
        return self._queue

    def poll_once(self) -> int:
        try:
            return self._poll()
        except Exception:
            self._queue = None  # the queue may have been re-created: look it up again next time
            raise

    def _poll(self) -> int:
        url, arn = self._url_and_arn()
        messages = self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=min(self.config.batch_size, 10), AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return 0
        records = [{
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody"),
            "eventSource": "aws:sqs", "eventSourceARN": arn,
        } for m in messages]
        try:
            failed = _failed_items(self.handler({"Records": records}, _Context(self.config.name)))
        except Exception:  # the whole batch comes back after the visibility timeout, as on AWS
            log.exception("[local] %s failed on %d message(s); SQS delivers them again", self.config.name, len(messages))
            return len(messages)
        for m in messages:
            if m["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return len(messages)


def _failed_items(response: Any) -> set[str]:
    """The item identifiers of a partial-batch response (`ReportBatchItemFailures`); empty when all succeeded."""
    if not isinstance(response, dict):
        return set()
    return {str(failure["itemIdentifier"]) for failure in response.get("batchItemFailures") or []}


def keep_running(name: str, work: Callable[[], Any], interval: float, stop: threading.Event) -> threading.Thread:
    """Run `work` every `interval` seconds on a daemon thread until `stop` is set. Whatever it raises is logged
    with its traceback and the loop goes on: a background job of the local stack never silently stops."""

    def loop() -> None:
        while not stop.wait(interval):
            try:
                work()
            except BaseException:  # noqa: BLE001 - even SystemExit: the thread must outlive any one run
                log.exception("[local] %s failed; it runs again in %ss", name, interval)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread


class Pollers:
    """All event-source pollers of an app, run on a background thread (or drained on demand in tests)."""

    def __init__(self, app: Chalice, endpoint_url: str, region: str, interval: float = 0.2,
                 stream_arn: str | None = None, stream_dead_letter_url: str | None = None):
        """`stream_arn` replaces the ARN the app was imported with (the local table is re-created per test);
        `stream_dead_letter_url` is the stream's on-failure destination (default: $STREAM_DLQ_URL)."""
        self.pollers: list[Any] = []
        for source in app.event_sources:
            if isinstance(source, DynamoDBEventConfig):
                self.pollers.append(StreamPoller(source, endpoint_url, region, stream_arn, stream_dead_letter_url))
            elif isinstance(source, SQSEventConfig):
                self.pollers.append(QueuePoller(source, endpoint_url, region))
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def drain(self, rounds: int = 50) -> int:
        """Poll until nothing is delivered (or `rounds` passes); returns the records delivered.

        A poller that fails is logged and polled again in the next round; it never holds up the others."""
        total = 0
        with self._lock:
            for _ in range(rounds):
                delivered = 0
                for poller in self.pollers:
                    try:
                        delivered += poller.poll_once()
                    except Exception:
                        log.exception("[local] polling for %s failed; polling again", poller.config.name)
                total += delivered
                if not delivered:
                    break
        return total

    def start(self) -> None:
        if self.pollers:
            # each round drains what is there (a backlog of set-up records too), then waits `interval`
            self._thread = keep_running("local-pollers", self.drain, self.interval, self._stop)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
