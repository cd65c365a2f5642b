"""The table's stream turned into work (services/table_changes.py, the rule the dead-letter replay shares): every
new Sales Order starts its review workflow (the checks, the approval and the notifications are states of that
workflow), a changed delivery note or invoice moves its order's statuses, and the documents the reports count bring
the report aggregates up to date (services/aggregates.py)."""
from __future__ import annotations

import os
from typing import Any

from chalice import Blueprint
from chalice.app import DynamoDBEvent

from chalicelib.services import order_status, table_changes
from chalicelib.steps import fresh_log_state, logger

table_stream = Blueprint(__name__)

# Chalice reads the stream ARN at deploy time from the stage's environment (.chalice/config.json).
STREAM_ARN = os.environ.get("MAIN_TABLE_STREAM_ARN", "arn:aws:dynamodb:us-east-1:123456789012:table/b2b-local/stream/local")


@table_stream.on_dynamodb_record(stream_arn=STREAM_ARN, batch_size=25, starting_position="TRIM_HORIZON")
def on_table_change(event: DynamoDBEvent) -> dict[str, Any]:
    """Each record through `table_changes.handle_change`; a record that could not be handled is reported back
    alone (ReportBatchItemFailures), so one bad record neither blocks nor repeats the others (a redelivered one
    adds nothing to the reports twice)."""
    failures = []
    for record in event:
        keys = record.keys or {}
        subject = (table_changes.new_order_id(record.event_name, keys)
                   or order_status.changed_document_order(record.new_image, record.old_image))
        with fresh_log_state(subject or record.sequence_number):
            try:
                table_changes.handle_change(record.event_name, keys, new_image=record.new_image,
                                            old_image=record.old_image)
            except Exception:  # noqa: BLE001 - reported per record; the source retries it (then its dead-letter queue)
                logger.exception("could not handle the table change")
                failures.append({"itemIdentifier": record.sequence_number})
    return {"batchItemFailures": failures}
