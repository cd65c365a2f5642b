"""What a change in the table sets in motion: the one rule the table-stream consumer and the replay of its
dead letters share. New Sales Orders start work (their review workflow); every document with a fact for the
reports (orders, decisions, invoices, payments, products) brings the report aggregates up to date."""
from __future__ import annotations

from typing import Any

from chalicelib.services import aggregates, workflows


def new_order_id(event_name: str, keys: dict[str, Any]) -> str | None:
    """The order id when this change is a new Sales Order, else None."""
    pk, sk = keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", "")
    if event_name == "INSERT" and pk.startswith("ORDER#") and sk == "ORDER":
        return pk.removeprefix("ORDER#")
    return None


def handle_change(event_name: str, keys: dict[str, Any], new_image: dict[str, Any] | None = None,
                  old_image: dict[str, Any] | None = None) -> None:
    """Start the review of a new order (execution name = order id, so a second start changes nothing), then
    bring the report aggregates up to date."""
    order_id = new_order_id(event_name, keys)
    if order_id:
        workflows.start_review(order_id)
    update_reports(event_name, keys, new_image, old_image)


def update_reports(event_name: str, keys: dict[str, Any], new_image: dict[str, Any] | None = None,
                   old_image: dict[str, Any] | None = None) -> None:
    """The report aggregates after this change (each fact once: a redelivered record adds nothing). Without the
    record's image (a dead letter replayed from its keys) the item is read as it is now."""
    if aggregates.kind_of(keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", "")) is None:
        return
    if new_image is None and event_name != "REMOVE":
        new_image = aggregates.current_image(keys)
    aggregates.handle_change(event_name, keys, new_image, old_image)
