"""Work the platform gave up on after its retries: table-stream batches its consumer could not process (AWS's
on-failure records) and domain events their consumer could not handle, each in its dead-letter queue.
Admins see them, replay them once the cause is fixed, or discard them; replaying is safe because every
consumer is idempotent (execution names are document ids, steps are conditional writes)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator

from botocore.exceptions import ClientError

from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.services import table_changes

MAX_LISTED = 100
PEEK_SECONDS = 30  # how long a listed message stays hidden while the listing pages through the queue
MAX_STREAM_READS = 20
# AWS's on-failure conditions and Lambda's function errors, in words (the error itself is in the consumer's log).
FAILURE_WORDS = {
    "RetryAttemptsExhausted": "Retried until the attempts ran out; the consumer's log has the error.",
    "RecordAgeExceeded": "Too old to retry: it waited longer than the stream's maximum record age.",
    "MaximumPayloadSizeExceeded": "Too large for the consumer.",
    "Unhandled": "The consumer failed with an error; its log has the details.",
}


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    queue_suffix: str


SOURCES = (
    Source("table_stream", "New orders and delivery notes (table stream)", "stream-dlq"),
    Source("domain_events", "Domain events (order accepted and others)", "events-dlq"),
)


@dataclass
class DeadLetter:
    id: str
    source: str
    source_label: str
    failed_at: str | None
    attempts: int | None
    reason: str
    summary: str
    body: dict[str, Any] = field(default_factory=dict)
    receipt_handle: str = field(default="", repr=False)


def dead_letters(limit: int = MAX_LISTED) -> list[DeadLetter]:
    """Everything waiting in the dead-letter queues, oldest first (at most `limit`); nothing is consumed."""
    found: list[DeadLetter] = []
    for source in SOURCES:
        with _peek(source) as messages:
            found += [_describe(source, m) for m in messages[: max(0, limit - len(found))]]
    return sorted(found, key=lambda d: d.failed_at or "")


def replay(message_id: str) -> DeadLetter:
    """Process a dead letter again, as its consumer would have; on success it leaves the queue."""
    source, letter = _find(message_id)
    if source.key == "table_stream":
        _replay_stream_batch(letter.body.get("DDBStreamBatchInfo") or {})
    else:  # back to the consumer's own queue
        client("sqs").send_message(QueueUrl=_queue_url(source.queue_suffix.removesuffix("-dlq")),
                                   MessageBody=json.dumps(letter.body))
    client("sqs").delete_message(QueueUrl=_queue_url(source.queue_suffix), ReceiptHandle=letter.receipt_handle)
    return letter


def discard(message_id: str) -> DeadLetter:
    source, letter = _find(message_id)
    client("sqs").delete_message(QueueUrl=_queue_url(source.queue_suffix), ReceiptHandle=letter.receipt_handle)
    return letter


# --- reading the queues ----------------------------------------------------------------------------

def _queue_url(suffix: str) -> str:
    return client("sqs").get_queue_url(QueueName=f"b2b-{settings().stage}-{suffix}")["QueueUrl"]


class _peek:
    """Receive a queue's messages page by page (hiding each for a moment so the next page shows others),
    and make them all visible again on exit."""

    def __init__(self, source: Source, keep: str | None = None):
        self.url = _queue_url(source.queue_suffix)
        self.keep = keep
        self.messages: list[dict[str, Any]] = []

    def __enter__(self) -> list[dict[str, Any]]:
        sqs = client("sqs")
        seen: set[str] = set()
        while len(self.messages) < MAX_LISTED:
            batch = sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, VisibilityTimeout=PEEK_SECONDS,
                                        WaitTimeSeconds=0, AttributeNames=["All"]).get("Messages", [])
            fresh = [m for m in batch if m["MessageId"] not in seen]
            if not fresh:
                break
            seen.update(m["MessageId"] for m in fresh)
            self.messages += fresh
            if self.keep and self.keep in seen:
                break
        return self.messages

    def __exit__(self, *exc: Any) -> None:
        release = [m for m in self.messages if m["MessageId"] != self.keep]
        for start in range(0, len(release), 10):
            client("sqs").change_message_visibility_batch(QueueUrl=self.url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(release[start:start + 10])])


def _find(message_id: str) -> tuple[Source, DeadLetter]:
    for source in SOURCES:
        with _peek(source, keep=message_id) as messages:
            for message in messages:
                if message["MessageId"] == message_id:
                    return source, _describe(source, message)
    raise NotFound("There is no such dead letter (it may have been replayed or discarded already).",
                   code="dead_letter_not_found")


def _describe(source: Source, message: dict[str, Any]) -> DeadLetter:
    try:
        body = json.loads(message.get("Body") or "{}")
    except ValueError:
        body = {"raw": message.get("Body")}
    attrs = message.get("Attributes", {})
    sent = attrs.get("SentTimestamp")
    failed_at = datetime.fromtimestamp(int(sent) / 1000, timezone.utc).isoformat(timespec="seconds") if sent else None
    if source.key == "table_stream":
        info = body.get("DDBStreamBatchInfo") or {}
        request = body.get("requestContext") or {}
        count = info.get("batchSize", 1)
        return DeadLetter(
            id=message["MessageId"], source=source.key, source_label=source.label,
            failed_at=body.get("timestamp") or failed_at, attempts=request.get("approximateInvokeCount"),
            reason=_in_words((body.get("responseContext") or {}).get("functionError") or request.get("condition")),
            summary=f"{count} table change{'s' if count != 1 else ''} (sequence {info.get('startSequenceNumber')}"
                    f"{'' if count == 1 else ' to ' + str(info.get('endSequenceNumber'))}) not processed",
            body=body, receipt_handle=message["ReceiptHandle"])
    detail = body.get("detail") or {}
    subject = detail.get("number") or detail.get("order_id") or detail.get("invoice_id") or ""
    return DeadLetter(
        id=message["MessageId"], source=source.key, source_label=source.label, failed_at=failed_at,
        attempts=int(attrs["ApproximateReceiveCount"]) if attrs.get("ApproximateReceiveCount") else None,
        reason="The consumer failed on every delivery.",
        summary=f"{body.get('detail-type', 'event')} {subject}".strip(),
        body=body, receipt_handle=message["ReceiptHandle"])


def _in_words(code: str | None) -> str:
    return FAILURE_WORDS.get(code or "", f"The consumer gave up ({code})." if code else "The consumer gave up.")


def _replay_stream_batch(info: dict[str, Any]) -> None:
    """Read the named records back from the stream (it keeps them 24 hours, images included) and process them
    again, as the consumer would have."""
    for record in _stream_records(info):
        change = record.get("dynamodb") or {}
        table_changes.handle_change(record.get("eventName", ""), change.get("Keys") or {},
                                    new_image=change.get("NewImage"), old_image=change.get("OldImage"))


def _stream_records(info: dict[str, Any]) -> Iterator[dict[str, Any]]:
    streams = client("dynamodbstreams")
    try:
        start, end = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
        iterator = streams.get_shard_iterator(StreamArn=info["streamArn"], ShardId=info["shardId"],
                                              ShardIteratorType="AT_SEQUENCE_NUMBER",
                                              SequenceNumber=info["startSequenceNumber"])["ShardIterator"]
    except (KeyError, ValueError) as exc:
        raise Conflict("This dead letter does not name its stream records.", code="dead_letter_unreadable") from exc
    except ClientError as exc:
        raise Conflict("The stream no longer holds these records (it keeps them 24 hours); find the documents in the "
                       "review queue or the delivery notes and act there, then discard this entry.",
                       code="records_expired") from exc
    for _ in range(MAX_STREAM_READS):
        if not iterator:
            return
        response = streams.get_records(ShardIterator=iterator, Limit=100)
        for record in response.get("Records", []):
            sequence = int(record["dynamodb"]["SequenceNumber"])
            if sequence > end:
                return
            if sequence >= start:
                yield record
        if not response.get("Records"):
            return
        iterator = response.get("NextShardIterator")
