"""What a change in the table sets in motion: the one rule the table-stream consumer and the replay of its
dead letters share. Only new Sales Orders start work (their review workflow); everything after that is
carried by the workflows themselves."""
from __future__ import annotations

from typing import Any

from chalicelib.services import workflows


def new_order_id(event_name: str, keys: dict[str, Any]) -> str | None:
    """The order id when this change is a new Sales Order, else None."""
    pk, sk = keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", "")
    if event_name == "INSERT" and pk.startswith("ORDER#") and sk == "ORDER":
        return pk.removeprefix("ORDER#")
    return None


def handle_change(event_name: str, keys: dict[str, Any]) -> None:
    """Start the review of a new order (execution name = order id, so a second start changes nothing)."""
    order_id = new_order_id(event_name, keys)
    if order_id:
        workflows.start_review(order_id)
