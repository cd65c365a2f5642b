"""Domain events on the EventBridge bus (routed to SQS for the consumers)."""
from __future__ import annotations

import json
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
