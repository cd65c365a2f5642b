"""A tiny Chalice app whose handlers record what reached them: proves the local stack's shims.

Reads SAMPLE_STREAM_ARN and SAMPLE_QUEUE at import; tests reload it after each stack reset.
"""
from __future__ import annotations

import os

from chalice import Blueprint, Chalice

received: dict[str, list] = {"stream": [], "queue": []}
sample = Blueprint(__name__)


@sample.lambda_function(name="double")
def double(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"value": event["value"] * 2, "function": context.function_name}


@sample.on_dynamodb_record(stream_arn=os.environ.get("SAMPLE_STREAM_ARN", "arn:aws:dynamodb:us-east-1:123456789012:table/x/stream/x"))
def on_record(event):
    """A "POISON#" key fails the whole batch; a "REFUSE#" key is reported as a partial-batch failure."""
    failures = []
    for record in event:
        received["stream"].append((record.event_name, record.keys))
        if record.keys["pk"]["S"].startswith("POISON#"):
            raise ValueError(f"cannot handle {record.keys['pk']['S']}")
        if record.keys["pk"]["S"].startswith("REFUSE#"):
            failures.append({"itemIdentifier": record.sequence_number})
    return {"batchItemFailures": failures}


@sample.on_sqs_message(queue=os.environ.get("SAMPLE_QUEUE", "sample"))
def on_message(event):
    """"boom" fails the whole batch; "refuse" is reported as a partial-batch failure."""
    failures = []
    for record in event:
        received["queue"].append(record.body)
        if record.body == "boom":
            raise ValueError("asked to fail")
        if record.body == "refuse":
            failures.append({"itemIdentifier": record.to_dict()["messageId"]})
    return {"batchItemFailures": failures}


app = Chalice(app_name="sample")
app.register_blueprint(sample)
