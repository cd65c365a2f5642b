"""Recurring (standing) orders: a buyer saves lines with a schedule ("every 2 weeks from 1 December"); each run
places an order through the same pipeline as the portal (server prices, the review workflow, stock and credit
checks), once per occurrence: the order id is keyed on the recurring order and the occurrence date. The buyer is
reminded by email a day before each run and can pause, resume or skip the next run.

Timing: one timer per recurring order (adapters/scheduler.py). The recurring order's wake-up moment is stored in
the table's wake-up index; `fire` does what is due at a moment (the reminder, the run) and moves the timer on.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger

from chalicelib.adapters.scheduler import scheduler_from_env
from chalicelib.config import settings
from chalicelib.domain.errors import Conflict, DomainError, ValidationFailed
from chalicelib.domain.recurring import check_schedule, occurrence_date
from chalicelib.services import mail, ordering
from chalicelib.services.ordering import Buyer, price_lines
from chalicelib.services.pricing import supplier_today
from chalicelib.store import orders as order_store
from chalicelib.store import recurring as store
from chalicelib.store.clients import get_client
from chalicelib.store.recurring import RecurringLineMap, RecurringOrderItem

logger = Logger(service="b2b-portal", child=True)
RUN_AT = time(6, 0)  # a run places its order early in the supplier's morning
REMIND_AT = time(9, 0)  # the reminder comes the day before, during office hours
MOMENT = "%Y-%m-%dT%H:%M:%SZ"


def _zone() -> ZoneInfo:
    return ZoneInfo(settings().supplier_timezone)


def run_moment(day: date) -> datetime:
    return datetime.combine(day, RUN_AT, tzinfo=_zone()).astimezone(timezone.utc)


def reminder_moment(day: date) -> datetime:
    return datetime.combine(day - timedelta(days=1), REMIND_AT, tzinfo=_zone()).astimezone(timezone.utc)


def wake_up(item: RecurringOrderItem) -> datetime:
    """The next moment the recurring order needs attention: its reminder, or (reminded already) its run."""
    return run_moment(item.next_run) if item.reminded_for == item.next_run else reminder_moment(item.next_run)


def _schedule_name(item: RecurringOrderItem) -> str:
    """The schedule's name, scoped to the stage (the functions' policy allows only the stage's own schedules)."""
    import os  # noqa: PLC0415

    return f"b2b-{os.environ.get('STAGE', 'local')}-recurring-{item.id}"


def _index_actions(item: RecurringOrderItem, *, next_run: date, reminded_for: date | None, status: str) -> list[Any]:
    """The wake-up index entry follows the recurring order (none while paused)."""
    probe = RecurringOrderItem(next_run=next_run, reminded_for=reminded_for)
    if status != "active":
        return [RecurringOrderItem.gsi1pk.remove(), RecurringOrderItem.gsi1sk.remove()]
    return [RecurringOrderItem.gsi1pk.set(store.DUE),
            RecurringOrderItem.gsi1sk.set(f"{wake_up(probe).strftime(MOMENT)}#{item.id}")]


def _sync_timer(item: RecurringOrderItem) -> None:
    timer = scheduler_from_env()
    if item.status == "active":
        timer.put(_schedule_name(item), wake_up(item), {"client_id": item.client_id, "recurring_id": item.id})
    else:
        timer.delete(_schedule_name(item))


def _lines(client_id: str, lines: list[dict[str, Any]]) -> list[RecurringLineMap]:
    client = get_client(client_id)
    price_lines(client, [{"sku": line["sku"], "qty": line["qty"]} for line in lines])  # orderable now, or 422
    return [RecurringLineMap(sku=line["sku"].strip(), qty=line["qty"]) for line in lines]


def create(buyer: Buyer, body: dict[str, Any]) -> RecurringOrderItem:
    start = body["start_date"]
    check_schedule(body["every"], body["interval"], start, supplier_today())
    client = get_client(buyer.client_id)
    if body.get("delivery_address_id") and not any(a.id == body["delivery_address_id"] for a in client.addresses):
        raise ValidationFailed("That address is not one of yours.", code="unknown_address", field="delivery_address_id")
    at = order_store.now()
    item = RecurringOrderItem(
        id=f"ro_{secrets.token_hex(8)}", client_id=buyer.client_id, contact_id=buyer.contact_id,
        contact_email=buyer.email, lines=_lines(buyer.client_id, body["lines"]), every=body["every"],
        interval=body["interval"], start_date=start, next_run=start, occurrence=0, status="active",
        delivery_address_id=body.get("delivery_address_id") or None,
        client_reference=(body.get("client_reference") or "").strip() or None, created_at=at, updated_at=at)
    item.gsi1pk, item.gsi1sk = store.DUE, f"{wake_up(item).strftime(MOMENT)}#{item.id}"
    store.create(item)
    _sync_timer(item)
    return item


def change(buyer: Buyer, recurring_id: str, body: dict[str, Any]) -> RecurringOrderItem:
    """Pause / resume (a resumed order skips the runs it missed while paused) and/or replace the lines."""
    item = store.get(buyer.client_id, recurring_id)
    actions: list[Any] = [RecurringOrderItem.updated_at.set(order_store.now())]
    status, next_run, occurrence = item.status, item.next_run, item.occurrence
    if body.get("lines") is not None:
        actions.append(RecurringOrderItem.lines.set(_lines(buyer.client_id, body["lines"])))
    if body.get("status") and body["status"] != item.status:
        status = body["status"]
        if status == "active":  # resumed: the next run is the first one not in the past
            while next_run < supplier_today():
                occurrence += 1
                next_run = occurrence_date(item.start_date, item.every, item.interval, occurrence)
        actions += [RecurringOrderItem.status.set(status), RecurringOrderItem.next_run.set(next_run),
                    RecurringOrderItem.occurrence.set(occurrence)]
    actions += _index_actions(item, next_run=next_run, reminded_for=item.reminded_for, status=status)
    item = store.change(item, actions)
    _sync_timer(item)
    return item


def skip_next(buyer: Buyer, recurring_id: str) -> RecurringOrderItem:
    """The next run does not happen; the one after it becomes the next."""
    item = store.get(buyer.client_id, recurring_id)
    if item.status != "active":
        raise Conflict("This recurring order is paused; resume it first.", code="recurring_paused")
    item = _advance(item, note=None)
    _sync_timer(item)
    return item


def _advance(item: RecurringOrderItem, *, note: str | None, order_id: str | None = None) -> RecurringOrderItem:
    occurrence = item.occurrence + 1
    next_run = occurrence_date(item.start_date, item.every, item.interval, occurrence)
    actions = [RecurringOrderItem.occurrence.set(occurrence), RecurringOrderItem.next_run.set(next_run),
               RecurringOrderItem.updated_at.set(order_store.now()),
               *_index_actions(item, next_run=next_run, reminded_for=item.reminded_for, status=item.status)]
    if order_id:
        actions.append(RecurringOrderItem.last_order_id.set(order_id))
    actions.append(RecurringOrderItem.last_error.set(note) if note else RecurringOrderItem.last_error.remove())
    return store.change(item, actions)


def occurrence_order_id(item: RecurringOrderItem, day: date) -> str:
    """One order per occurrence: every attempt for this date writes the same id, conditional on its absence."""
    return f"so_{hashlib.sha256(f'recurring:{item.id}:{day.isoformat()}'.encode()).hexdigest()[:16]}"


def fire(client_id: str, recurring_id: str, now: datetime | None = None) -> RecurringOrderItem:
    """Do what is due at `now` (the timer's moment): the reminder a day before a run, the run itself. Safe to call
    again: a reminder is sent once per occurrence (conditional write first), an occurrence places one order."""
    now = now or order_store.now()
    item = store.get(client_id, recurring_id)
    if item.status != "active":
        return item
    if item.reminded_for != item.next_run and now >= reminder_moment(item.next_run):
        claimed = store.change(item, [RecurringOrderItem.reminded_for.set(item.next_run),
                                      *_index_actions(item, next_run=item.next_run, reminded_for=item.next_run,
                                                      status=item.status)])
        if now < run_moment(item.next_run):  # a late timer past the run too places the order without a reminder
            mail.send("recurring_reminder", item.contact_email, recurring=view(claimed),
                      manage_url="/recurring-orders")
        item = claimed
    if now >= run_moment(item.next_run):
        day = item.next_run
        order_id = occurrence_order_id(item, day)
        problem = None
        try:
            body = {"lines": [{"sku": m.sku, "qty": m.qty} for m in item.lines],
                    "delivery_address_id": item.delivery_address_id,
                    "client_reference": item.client_reference or f"Recurring order {day.isoformat()}"}
            ordering.place(Buyer(item.contact_id, item.contact_email, item.client_id), body, order_id=order_id,
                           origin="recurring")
        except Conflict as exc:
            if exc.code != "document_exists":  # placed by an earlier attempt: this occurrence is done
                raise
        except DomainError as exc:  # a product no longer orderable, the address removed: tell the buyer, go on
            problem = exc.message
            logger.warning("recurring run not placed", extra={"recurring_id": item.id, "error": exc.message})
            mail.send("recurring_failed", item.contact_email, recurring=view(item), day=day.isoformat(), problem=problem)
        item = _advance(item, note=problem, order_id=None if problem else order_id)
    _sync_timer(item)
    return item


def fire_due(now: datetime | None = None, rounds: int = 20) -> int:
    """The local timer's tick (on AWS each recurring order's own schedule calls `fire`): everything whose wake-up
    moment has come. Returns how many wake-ups were handled."""
    now = now or order_store.now()
    handled = 0
    for _ in range(rounds):
        due = store.due_until(now.strftime(MOMENT))
        if not due:
            break
        for item in due:
            try:
                fire(item.client_id, item.id, now)
            except Conflict:
                continue  # changed meanwhile (paused, skipped): read again next round
            handled += 1
    return handled


def view(item: RecurringOrderItem) -> dict[str, Any]:
    return {"id": item.id, "status": item.status, "every": item.every, "interval": item.interval,
            "start_date": item.start_date.isoformat(), "next_run": item.next_run.isoformat(),
            "lines": [{"sku": m.sku, "qty": m.qty} for m in item.lines],
            "delivery_address_id": item.delivery_address_id, "client_reference": item.client_reference,
            "last_order_id": item.last_order_id, "last_error": item.last_error,
            "created_at": item.created_at, "updated_at": item.updated_at}
