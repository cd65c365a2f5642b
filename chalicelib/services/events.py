"""Domain events on the EventBridge bus (routed to SQS for the consumers)."""
from __future__ import annotations

import json
import logging
import os
from typing import Any

from chalicelib.aws import client

SOURCE = "b2b.portal"


def publish(detail_type: str, detail: dict[str, Any]) -> None:
    response = client("events").put_events(Entries=[{
        "Source": SOURCE, "DetailType": detail_type, "Detail": json.dumps(detail, default=str),
        "EventBusName": os.environ.get("EVENT_BUS_NAME", "default"),
    }])
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"EventBridge refused {detail_type}: {response['Entries']}")


def announce(detail_type: str, key: str, quiet: bool = False, **detail: Any) -> None:
    """A domain event for the automation rules (GET /admin/automation/events lists them). `key` names the
    happening (an order id, an invoice id and reminder level), so a retried step that announces it again is
    still one event: the automation's runs are keyed by `event_key`, not by EventBridge's id.

    `quiet` for a request that has already committed its change (a new client): a bus that refuses the event is
    logged, and the request still answers what it did rather than a 500 for a half-success."""
    try:
        publish(detail_type, {**detail, "event_key": f"{detail_type}:{key}"})
    except Exception:
        if not quiet:
            raise
        logging.getLogger(__name__).exception("could not announce %s %s", detail_type, key)
