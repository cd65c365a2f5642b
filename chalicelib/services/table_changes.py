"""What a change in the table sets in motion: the one rule the table-stream consumer and the replay of its
dead letters share. Only new Sales Orders start work (their review workflow); everything after that is
carried by the workflows themselves; a delivery note or invoice that changed moves its order's fulfilment and
invoice status; every document with a fact for the reports (orders, decisions, invoices, payments, products)
brings the report aggregates up to date.

An order above its contact's spending limit is inserted `awaiting_approval`: its INSERT asks the company's
approvers (once) instead of starting the review. The approver's decision writes the `ORDER#<id> / RELEASED`
marker in the same transaction as the new status, and that marker's INSERT starts the review. Both starts use
the order id as execution name, so an INSERT read after the approval (the stream is behind) and the marker's
start are one execution.
"""
from __future__ import annotations

from typing import Any

from chalicelib.services import aggregates, approvals, order_status, workflows
from chalicelib.store.approvals import released_order_id


def new_order_id(event_name: str, keys: dict[str, Any]) -> str | None:
    """The order id when this change is a new Sales Order (or one released by its company's approver), else None."""
    pk, sk = keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", "")
    if event_name != "INSERT":
        return None
    if pk.startswith("ORDER#") and sk == "ORDER":
        return pk.removeprefix("ORDER#")
    return released_order_id(pk, sk)


def handle_change(event_name: str, keys: dict[str, Any], new_image: dict[str, Any] | None = None,
                  old_image: dict[str, Any] | None = None) -> None:
    """Start the review of a new order (execution name = order id, so a second start changes nothing); an order
    waiting for its company's approver is held, and its approvers are asked. The order of a delivery note or
    invoice that changed gets its statuses worked out again. Then the report aggregates. Each part is safe to
    repeat: a redelivered or replayed record changes nothing twice."""
    changed = order_status.changed_document_order(new_image, old_image)
    if changed:
        order_status.refresh(changed)
    order_id = new_order_id(event_name, keys)
    if order_id:
        if keys.get("sk", {}).get("S") == "ORDER" and approvals.waits(order_id):
            approvals.request_approval(order_id)
        else:
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
