"""The table's stream turned into work: a new Sales Order is checked (and its review workflow started when
a person must decide), a new delivery note starts its way to the courier."""
from __future__ import annotations

import os

from chalice import Blueprint
from chalice.app import DynamoDBEvent

from chalicelib.services import fulfilment, review

table_stream = Blueprint(__name__)

# Chalice reads the stream ARN at deploy time from the stage's environment (.chalice/config.json).
STREAM_ARN = os.environ.get("MAIN_TABLE_STREAM_ARN", "arn:aws:dynamodb:us-east-1:123456789012:table/b2b-local/stream/local")


@table_stream.on_dynamodb_record(stream_arn=STREAM_ARN, batch_size=25, starting_position="TRIM_HORIZON")
def on_table_change(event: DynamoDBEvent) -> None:
    for record in event:
        keys = record.keys or {}
        pk, sk = keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", "")
        if record.event_name != "INSERT":
            continue
        if pk.startswith("ORDER#") and sk == "ORDER":
            review.begin(pk.removeprefix("ORDER#"))
        elif pk.startswith("DN#") and sk == "DN":
            fulfilment.start_shipping(pk.removeprefix("DN#"))
