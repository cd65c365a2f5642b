"""Recurring (standing) orders: a buyer's lines with a schedule.

    entity           pk              sk                 gsi1pk / gsi1sk
    recurring order  CLIENT#<id>     RECURRING#<id>     RECURRING_DUE / <next wake-up ISO>#<id>   (active only)

The wake-up index holds each active recurring order at its next moment (the reminder a day before a run, then
the run): the local timer asks it what is due (one Query); on AWS one EventBridge Scheduler schedule per recurring
order fires at the same moment (adapters/scheduler.py).
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, UnicodeAttribute, UTCDateTimeAttribute, VersionAttribute
from pynamodb.exceptions import PutError, UpdateError

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.store.attributes import DateAttribute, IntegerAttribute
from chalicelib.store.db import one_page
from chalicelib.store.models import Gsi1, TableItem, client_pk

DUE = "RECURRING_DUE"


class RecurringLineMap(MapAttribute):
    sku = UnicodeAttribute()
    qty = IntegerAttribute()


class RecurringOrderItem(TableItem):
    id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    contact_id = UnicodeAttribute()
    contact_email = UnicodeAttribute()
    lines = ListAttribute(of=RecurringLineMap)
    every = UnicodeAttribute()  # week, month
    interval = IntegerAttribute()
    start_date = DateAttribute()
    next_run = DateAttribute()
    occurrence = IntegerAttribute(default=0)  # runs and skips so far: next_run = start + occurrence * interval
    status = UnicodeAttribute()  # active, paused
    reminded_for = DateAttribute(null=True)
    delivery_address_id = UnicodeAttribute(null=True)
    client_reference = UnicodeAttribute(null=True)
    last_order_id = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    due = Gsi1()


def recurring_sk(recurring_id: str) -> str:
    return f"RECURRING#{recurring_id}"


def create(item: RecurringOrderItem) -> RecurringOrderItem:
    item.pk, item.sk = client_pk(item.client_id), recurring_sk(item.id)
    try:
        item.save(condition=RecurringOrderItem.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("This recurring order exists already.", code="document_exists") from exc
        raise
    return item


def get(client_id: str, recurring_id: str) -> RecurringOrderItem:
    try:
        return RecurringOrderItem.get(client_pk(client_id), recurring_sk(recurring_id), consistent_read=True)
    except RecurringOrderItem.DoesNotExist as exc:
        raise NotFound(f"No recurring order {recurring_id}.", code="recurring_order_not_found") from exc


def for_client(client_id: str, *, limit: int, after: str | None) -> tuple[list[RecurringOrderItem], str | None]:
    condition = (RecurringOrderItem.sk.between(after + "\x00", "RECURRING#\uffff") if after
                 else RecurringOrderItem.sk.startswith("RECURRING#"))
    return one_page(RecurringOrderItem.query(client_pk(client_id), range_key_condition=condition, page_size=limit + 1),
                    limit, "sk")


def due_until(moment_iso: str, limit: int = 100) -> list[RecurringOrderItem]:
    """Active recurring orders whose next wake-up is at or before `moment_iso`."""
    return list(RecurringOrderItem.due.query(DUE, RecurringOrderItem.gsi1sk <= moment_iso + "#\uffff", limit=limit))


def change(item: RecurringOrderItem, actions: list[Any]) -> RecurringOrderItem:
    """Update the recurring order as read (optimistic lock: a concurrent change answers 409 `stale_version`)."""
    try:
        item.update(actions=actions)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("The recurring order changed meanwhile; reload it.", code="stale_version") from exc
        raise
    return item
