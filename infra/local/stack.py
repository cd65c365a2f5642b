"""Start the embedded AWS (moto server), create the stack's resources and point the app at them."""
from __future__ import annotations

import os
import secrets
import threading
import socket
from dataclasses import dataclass
from typing import Any

import requests

from infra.local.provision import Provisioned, provision

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalStack:
    """One moto server for the process; `reset()` empties it and creates the resources again."""

    port: int
    stage: str = "local"
    resources: Provisioned | None = None
    _server: Any = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LocalStack":
        # The Step Functions interpreter makes its own AWS calls to localhost:$MOTO_PORT.
        os.environ["MOTO_PORT"] = str(self.port)
        os.environ.update({
            "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION, "AWS_ENDPOINT_URL": self.endpoint_url,
        })
        import logging  # noqa: PLC0415

        from moto.server import ThreadedMotoServer  # noqa: PLC0415 - moto is a dev dependency only

        logging.getLogger("werkzeug").setLevel(logging.ERROR)

        serialize_dynamodb_writes()
        from infra.local import moto_speedups  # noqa: PLC0415

        moto_speedups.install()
        from infra.local import ses_raw  # noqa: PLC0415

        ses_raw.install()  # raw emails (attachments) read like the others in the outbox
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self._configure()
        self.reset()
        return self

    def _configure(self) -> None:
        requests.post(f"{self.endpoint_url}/moto-api/config", json={
            "stepfunctions": {"execute_state_machine": True},
            "lambda": {"use_docker": False},
        }, timeout=10).raise_for_status()

    def reset(self) -> Provisioned:
        """Empty every service and create infra/template.json's resources again; the app is pointed at them."""
        requests.post(f"{self.endpoint_url}/moto-api/reset", timeout=10).raise_for_status()
        self._configure()
        self.resources = provision(self.endpoint_url, REGION, self.stage)
        refs = self.resources.refs
        os.environ.update({
            "STAGE": self.stage,
            "TABLE_NAME": refs["MainTable"],
            "IDEMPOTENCY_TABLE_NAME": refs["IdempotencyTable"],
            "USER_POOL_ID": refs["UserPool"],
            "USER_POOL_CLIENT_ID": refs["UserPoolClient"],
            "DOCUMENTS_BUCKET": refs["DocumentsBucket"],
            "EVENT_BUS_NAME": refs["EventBus"],
            "MAIN_TABLE_STREAM_ARN": self.resources.attrs["MainTable"]["StreamArn"],
            "STREAM_DLQ_URL": refs["StreamDeadLetterQueue"],  # the local stream poller's on-failure destination
            "ORDER_REVIEW_STATE_MACHINE_ARN": refs["OrderReviewStateMachine"],
            "FULFILMENT_STATE_MACHINE_ARN": refs["FulfilmentStateMachine"],
            "INVOICING_STATE_MACHINE_ARN": refs["InvoicingStateMachine"],
            "OVERDUE_REMINDERS_STATE_MACHINE_ARN": refs["OverdueRemindersStateMachine"],
            "STAFF_ORDER_STATE_MACHINE_ARN": refs["StaffOrderStateMachine"],
            "AUTOMATION_RUN_STATE_MACHINE_ARN": refs["AutomationRunStateMachine"],
        })
        os.environ.setdefault("REVIEW_LINK_SECRET", secrets.token_urlsafe(32))
        os.environ.setdefault("MAIL_SENDER", "portal@example.com")
        self._verify_sender(os.environ["MAIL_SENDER"])
        from chalicelib.config import settings  # noqa: PLC0415

        settings.cache_clear()
        return self.resources

    def _verify_sender(self, sender: str) -> None:
        import boto3  # noqa: PLC0415

        boto3.client("ses", endpoint_url=self.endpoint_url, region_name=REGION).verify_email_identity(EmailAddress=sender)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


_WRITE_LOCK = threading.RLock()
_KEPT_SHARD_ITERATORS = 1000


def serialize_dynamodb_writes() -> None:
    """DynamoDB applies each write (and each transaction) atomically; moto's server threads do not.

    Without this, two concurrent conditional writes can both pass their condition, and a failed
    transaction's rollback can undo a concurrent commit. One lock around moto's write operations
    gives the local stack the guarantee the application relies on in AWS. Stream reads take the same
    lock, so a poller never sees the records of a transaction that is about to be cancelled (their
    sequence numbers are reused by the next write, which would then be skipped).
    """
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend  # noqa: PLC0415

    if getattr(DynamoDBBackend, "_b2b_serialized", False):
        return
    for backend, names in ((DynamoDBBackend, ("put_item", "update_item", "delete_item", "transact_write_items",
                                              "batch_write_item")),
                           (DynamoDBStreamsBackend, ("describe_stream", "get_shard_iterator", "get_records"))):
        for name in names:
            original = getattr(backend, name, None)
            if original is None:
                continue

            def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
                with _WRITE_LOCK:
                    return __original(self, *args, **kwargs)

            setattr(backend, name, locked)
    get_records = DynamoDBStreamsBackend.get_records

    def get_records_forgetting_old_iterators(self: Any, *args: Any, **kwargs: Any) -> Any:
        """moto keeps every shard iterator forever (AWS expires them after 15 minutes): keep the newest."""
        result = get_records(self, *args, **kwargs)
        with _WRITE_LOCK:
            for stale in list(self.shard_iterators)[:-_KEPT_SHARD_ITERATORS]:
                del self.shard_iterators[stale]
        return result

    DynamoDBStreamsBackend.get_records = get_records_forgetting_old_iterators
    _reads_that_never_write()
    DynamoDBBackend._b2b_serialized = True


def _reads_that_never_write() -> None:
    """moto keeps a range-key table's items in a defaultdict, so its GetItem of a partition that does not exist
    *inserts* an empty one, outside any lock, while another thread may be walking the table (a scan, the table's
    size, the fast queries' index partitions): "dictionary changed size during iteration", a 500 that failed a
    workflow step in the soak test. Here a read never inserts, and the walks over the whole table take the write
    lock, so no write changes the table under them."""
    from moto.dynamodb.models.table import Table  # noqa: PLC0415

    get_item, all_items, size = Table.get_item, Table.all_items, Table.__len__

    def get_item_without_inserting(self: Any, hash_key: Any, range_key: Any = None,
                                   projection_expression: Any = None) -> Any:
        if not (self.has_range_key and range_key):
            return get_item(self, hash_key, range_key, projection_expression)  # moto's checks and answer
        item = self.items.get(hash_key, {}).get(range_key)  # dict.get: no defaultdict insert
        return item.project(projection_expression) if projection_expression and item else item

    def all_items_locked(self: Any) -> Any:
        with _WRITE_LOCK:
            return all_items(self)

    def size_locked(self: Any) -> int:
        with _WRITE_LOCK:
            return size(self)

    Table.get_item, Table.all_items, Table.__len__ = get_item_without_inserting, all_items_locked, size_locked
