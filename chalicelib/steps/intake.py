"""Email intake on AWS: SES receives mail for the orders address and stores each message in the inbound mail
bucket (infra/template.json, OrderMailRule); the bucket's object-created notification invokes this function,
which reads the raw message and hands it to services/intake.py (the local /local/mail-drop page calls the same
service). A repeated notification is harmless: the same file for the same client is the same order, and the
reply about bad lines goes out only the first time."""
from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from chalice import Blueprint

from chalicelib.aws import client as aws_client
from chalicelib.services import intake
from chalicelib.steps import logger

intake_steps = Blueprint(__name__)


@intake_steps.lambda_function(name="receive_order_email")
def receive_order_email(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """S3 ObjectCreated records of stored emails -> draft orders (origin `email`) and replies to their senders."""
    outcomes = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        raw = aws_client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        result = intake.receive_email(raw)
        logger.info("order email handled", extra={"key": key, "sender": result.sender, "outcome": result.outcome})
        outcomes.append({"key": key, "outcome": result.outcome,
                         "orders": [i.order.id for i in result.intakes if i.order is not None]})
    return {"emails": outcomes}
