"""What a change in the table sets in motion: the one rule the table-stream consumer and the replay of its
dead letters share."""
from __future__ import annotations

from typing import Any

from chalicelib.services import fulfilment, review


def handle_change(event_name: str, keys: dict[str, Any]) -> None:
    """A new Sales Order is checked (and reviewed); a new delivery note starts its way to the courier."""
    pk, sk = keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", "")
    if event_name != "INSERT":
        return
    if pk.startswith("ORDER#") and sk == "ORDER":
        review.begin(pk.removeprefix("ORDER#"))
    elif pk.startswith("DN#") and sk == "DN":
        fulfilment.start_shipping(pk.removeprefix("DN#"))
