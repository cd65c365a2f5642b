"""One order's story, from what really ran: the order's audit rows (placement and every decision, with who
made it), the histories of its workflow executions (checks with their figures, escalations, delivery notes,
packing, AWB) and its invoices and payments, merged into one list ordered by time.

Each entry is `{at, kind, label, detail, actor, audience}`: `at` in the supplier's time zone, `kind` a stable
code, `label` and `detail` the words people read, `audience` "all" (the buyer sees it) or "staff".
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any, Iterable, Iterator
from zoneinfo import ZoneInfo

from botocore.exceptions import ClientError

from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.domain.access import Capability, role_can
from chalicelib.domain.money import format_money
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store import users as user_store
from chalicelib.store.models import DeliveryNoteItem, OrderItem

STAFF, ALL = "staff", "all"
DECISIONS = {"placed": "Order placed", "approve": "Approved", "auto_approve": "Approved automatically",
             "reject": "Declined", "modify": "Changes proposed", "accept_changes": "Changes accepted",
             "decline_changes": "Changes declined", "expire": "Expired", "accept": "Accepted", "decline": "Declined",
             "company_approved": "Approved by the company's approver", "company_rejected": "Rejected by the company's approver"}
METHODS = {"bank_transfer": "bank transfer", "card": "card", "cash": "cash"}


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    label: str
    detail: str | None
    actor: str | None
    audience: str


def order_timeline(order_id: str, *, buyer: bool = False, deliveries: bool = True, invoices: bool = True,
                   loaded: Loaded | None = None) -> list[dict[str, Any]]:
    """The order's timeline; a buyer gets the buyer-facing entries only, with people named by their side, and
    deliveries and money only with the permission to see them. `loaded`: what the caller already read."""
    loaded = loaded or Loaded()
    order = loaded.order or order_store.get(order_id)
    history = loaded.history if loaded.history is not None else order_store.history(order_id)
    entries = [*_audit(history), *_review(order)]
    if deliveries:
        notes = {dn.id: dn for dn in (loaded.notes if loaded.notes is not None else dn_store.for_order(order_id))}
        entries += [*_fulfilment(order, notes), *_delivered(notes.values())]
    if invoices:
        entries += list(_money(loaded.invoices if loaded.invoices is not None else invoice_store.for_order(order_id)))
    entries.sort(key=lambda e: e.at)
    zone = ZoneInfo(settings().supplier_timezone)
    colleagues = {c.email for c in user_store.contacts_of(order.client_id)} if buyer else set()
    shown = []
    for entry in entries:
        if buyer and entry.audience != ALL:
            continue
        actor = _buyer_actor(entry.actor, order, colleagues) if buyer else _staff_actor(entry.actor)
        shown.append({**asdict(entry), "at": entry.at.astimezone(zone).isoformat(timespec="seconds"), "actor": actor})
    return shown


@dataclass
class Loaded:
    """Records of the order a page or endpoint has already read (None: the timeline reads them itself)."""

    order: OrderItem | None = None
    history: list[Any] | None = None
    notes: list[DeliveryNoteItem] | None = None
    invoices: list[Any] | None = None


def staff_timeline(order_id: str, role: str, loaded: Loaded | None = None) -> list[dict[str, Any]]:
    """The timeline for a staff member: deliveries and money when the role may see them."""
    return order_timeline(order_id, deliveries=role_can(role, Capability.VIEW_DELIVERIES),
                          invoices=role_can(role, Capability.VIEW_INVOICES), loaded=loaded)


# --- the order's own rows ---------------------------------------------------------------------------------

def _audit(history: Iterable[Any]) -> Iterator[Entry]:
    for row in history:
        label = DECISIONS.get(row.event, row.event.replace("_", " ").capitalize())
        detail = row.note if row.event in ("reject", "modify", "decline") else None
        yield Entry(row.at, row.event, label, detail, row.actor, ALL)


# --- workflow histories -------------------------------------------------------------------------------------

def _review(order: OrderItem) -> Iterator[Entry]:
    for at, state, output in _exits("ORDER_REVIEW_STATE_MACHINE_ARN", order.id):
        if state == "RunChecks":
            review = output.get("review", {})
            yield Entry(at, "checks", "Checks: " + ("passed" if _passed(review.get("checks", {})) else "need a person"),
                        _check_figures(review.get("checks", {}), order.currency), "system", STAFF)
        elif state == "Escalate":
            count = output.get("escalation", {}).get("count")
            yield Entry(at, "escalated", "Review escalated to the managers", f"Escalation {count}" if count else None, "system", STAFF)


def _fulfilment(order: OrderItem, notes: dict[str, DeliveryNoteItem]) -> Iterator[Entry]:
    """The order's own fulfilment execution and one per note that runs its own (back-order, further notes)."""
    for name in [order.id, *[dn_id for dn_id in notes if dn_id != order.fulfilment_note_id]]:
        for at, state, output in _exits("FULFILMENT_STATE_MACHINE_ARN", name):
            note_id = output.get("note", {}).get("delivery_note_id")
            note = notes.get(note_id or "")
            number = note.number if note else "the delivery note"
            if state == "CreateDeliveryNote" and note_id:
                yield Entry(at, "delivery_note_created", f"Delivery note {number} created", _lines(note), "system", ALL)
            elif state == "ApplyStock":
                stock = output.get("stock", {})
                backorder = notes.get(stock.get("backorder_id") or "")
                detail = ", ".join(f"{qty} × {sku}" for sku, qty in (stock.get("shipped") or {}).items())
                if backorder:
                    detail += f"; the rest waits for stock on {backorder.number}"
                yield Entry(at, "delivery_note_approved", f"Delivery note {number} approved", detail or None, "warehouse", ALL)
            elif state == "WaitForPacking" and "timeout" not in output:
                yield Entry(at, "packed", f"{number} packed", _parcels(note), "warehouse", ALL)
            elif state == "PackingOverdue":
                yield Entry(at, "packing_overdue", f"Warehouse reminded to pack {number}", None, "system", STAFF)
            elif state == "GenerateAwb":
                shipment = output.get("shipment", {})
                courier = note.courier if note and note.courier else "the courier"
                yield Entry(at, "shipped", f"{number} shipped", f"{courier}, AWB {shipment.get('awb')}", "system", ALL)
            elif state == "AwbFailed":
                yield Entry(at, "awb_failed", f"AWB failed for {number}", note.awb_error if note else None, "system", STAFF)


def _exits(machine_env: str, name: str) -> Iterator[tuple[datetime, str, dict[str, Any]]]:
    """(time, state, output) of every state the execution left; nothing when it does not exist."""
    machine = os.environ.get(machine_env)
    if not machine:
        return
    arn = machine.replace(":stateMachine:", ":execution:") + f":{name}"
    sfn = client("stepfunctions")
    token = None
    while True:
        kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
        if token:
            kwargs["nextToken"] = token
        try:
            reply = sfn.get_execution_history(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ExecutionDoesNotExist":
                return
            raise
        for event in reply["events"]:
            exited = event.get("stateExitedEventDetails")
            if exited:
                yield event["timestamp"], exited["name"], json.loads(exited.get("output") or "{}")
        token = reply.get("nextToken")
        if not token:
            return


# --- rows of other documents ---------------------------------------------------------------------------------

def _delivered(notes: Any) -> Iterator[Entry]:
    for note in notes:
        if note.delivered_at:
            yield Entry(note.delivered_at, "delivered", f"{note.number} delivered", None, "warehouse", ALL)


def _money(order_invoices: Iterable[Any]) -> Iterator[Entry]:
    zone = ZoneInfo(settings().supplier_timezone)
    for invoice in order_invoices:
        yield Entry(invoice.created_at, "invoiced", f"Invoice {invoice.number} issued",
                    f"{format_money(invoice.total)} {invoice.currency}, due {invoice.due_date.isoformat()}", "system", ALL)
        paid = 0
        for payment in sorted(invoice_store.payments(invoice.id), key=lambda p: p.created_at):
            paid += payment.amount
            left = invoice.total - paid
            detail = f"{format_money(payment.amount)} {invoice.currency} by {METHODS.get(payment.method, payment.method)}"
            detail += f"; {format_money(left)} {invoice.currency} still due" if left > 0 else "; paid in full"
            yield Entry(payment.created_at, "paid", f"Payment for {invoice.number}", detail, "finance", ALL)
        for days in invoice.reminders_sent or []:
            # the reminder run is daily and not per order: the day it was due is when it went out
            at = datetime.combine(invoice.due_date + timedelta(days=int(days)), time(0), zone).astimezone(timezone.utc)
            yield Entry(at, "reminder", f"Reminder for {invoice.number}", f"{int(days)} days overdue", "system", ALL)


# --- words ------------------------------------------------------------------------------------------------------

def _passed(checks: dict[str, Any]) -> bool:
    return bool(checks.get("credit_ok") and checks.get("stock_ok") and checks.get("prices_ok"))


def _check_figures(checks: dict[str, Any], currency: str) -> str:
    credit = (f"credit {checks.get('credit_available')} {currency} available for {checks.get('order_total')} {currency}"
              + ("" if checks.get("credit_ok") else " (over the limit)"))
    stock = "stock ok" if checks.get("stock_ok") else "short: " + ", ".join(checks.get("short_skus") or [])
    prices = "prices unchanged" if checks.get("prices_ok") else "price changed: " + ", ".join(checks.get("changed_price_skus") or [])
    return "; ".join([credit, stock, prices])


def _lines(note: DeliveryNoteItem | None) -> str | None:
    return ", ".join(f"{line.qty} × {line.sku}" for line in note.lines) if note else None


def _parcels(note: DeliveryNoteItem | None) -> str | None:
    if not note or not note.parcels:
        return None
    return f"{len(note.parcels)} parcel{'s' if len(note.parcels) != 1 else ''}"


def _staff_actor(actor: str | None) -> str | None:
    return {"system": "Automatic", "warehouse": "Warehouse", "finance": "Finance"}.get(actor or "", actor)


def _buyer_actor(actor: str | None, order: OrderItem, colleagues: set[str]) -> str:
    """A buyer reads sides, never a staff member's email."""
    if actor == order.contact_email or actor in colleagues:
        return "Your company" if actor != order.contact_email else "You"
    if actor in ("system", None):
        return "Automatic"
    if actor in ("warehouse", "finance"):
        return actor.capitalize()
    return "Your sales agent" if "@" in actor else actor
