"""From accepted order to delivered goods: delivery notes, stock, packing, courier AWB, delivery."""
from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters.courier import Parcel, ShipmentRequest, courier_from_env
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.fulfilment import DeliveryStatus, delivery_transition, split_for_stock
from chalicelib.domain.orders import OrderStatus
from chalicelib.services import events, mail, stock, workflows
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import orders as order_store
from chalicelib.store import settings as settings_store
from chalicelib.store import users as user_store
from chalicelib.store.models import DeliveryNoteItem, OrderFlags, OrderItem, ParcelMap, ShipLineMap, sku_key
from chalicelib.store.products import find_products

PACKING_REMINDER_AFTER = timedelta(hours=48)  # an approved note not packed by then: the warehouse is reminded


class DeliveryNoteNotApproved(Exception):
    """The workflow reached the stock step for a note nobody approved (its state machine fails it to an alert)."""


class OrderCancelled(Exception):
    """The order was cancelled (services/cancellation.py): its fulfilment ends at the Cancelled state. Raised by a
    step that finds it so, and sent to a waiting state's task token by the cancel itself."""


# --- the fulfilment workflow's executions ---------------------------------------------------------

def start_fulfilment(order_id: str, delivery_note_id: str | None = None) -> None:
    """The order's fulfilment (named after the order), or the one of a back-order or further note (named
    after the note)."""
    workflows.start("FULFILMENT_STATE_MACHINE_ARN", delivery_note_id or order_id, {
        "order_id": order_id, "delivery_note_id": delivery_note_id,
        "packing": {"reminders": 0, "timeout_seconds": int(PACKING_REMINDER_AFTER.total_seconds())}})


def delivery_note_step(order_id: str, delivery_note_id: str | None) -> dict[str, Any]:
    """The CreateDeliveryNote state: the note this execution follows. A note's own execution has it; the order's
    execution follows the note claimed for it, creates it when notes are automatic, or waits (None)."""
    order = order_store.get(order_id)
    if order.status == OrderStatus.CANCELLED.value:
        raise OrderCancelled(f"order {order.number} was cancelled")
    if delivery_note_id:
        return {"delivery_note_id": delivery_note_id}
    if order.fulfilment_note_id is None and settings_store.load().auto_create_delivery_note:
        try:
            dn = _make_note(order, None, note_id=f"dn_{order_id}")
        except Conflict as exc:
            if exc.code == "order_not_accepted":  # cancelled since the read above
                raise OrderCancelled(f"order {order.number} was cancelled") from exc
            raise
        _claim(order_id, dn.id)
        order = order_store.get(order_id)
    return {"delivery_note_id": order.fulfilment_note_id}


def create_delivery_note(order_id: str, lines: list[dict[str, Any]] | None = None, *, note_id: str | None = None) -> DeliveryNoteItem:
    """A delivery note for an accepted order (all its lines, or the given part of them), handed to a workflow:
    the order's own execution when it waits for its first note, otherwise an execution named after the note.

    With `note_id` (a back-order note is `<note>-b`) a repeated call returns the note already made.
    """
    order = order_store.get(order_id)
    if order.status != OrderStatus.ACCEPTED.value:
        raise Conflict(f"Order {order.number} is {order.status}; only accepted orders are delivered.", code="order_not_accepted")
    dn = _make_note(order, lines, note_id=note_id)
    claimed = _claim(order_id, dn.id)
    if claimed is not None:
        workflows.resume(claimed.delivery_note_task_token, {"delivery_note_id": dn.id})
    elif order_store.get(order_id).fulfilment_note_id != dn.id:
        start_fulfilment(order_id, dn.id)
    return dn


def _claim(order_id: str, dn_id: str) -> OrderItem | None:
    """Make `dn_id` the note the order's own execution follows, unless it follows one already; the order
    after the claim (with the token of a wait that began before it), or None."""
    if not order_store.set_flags(order_id, [OrderFlags.fulfilment_note_id.set(dn_id)],
                                 condition=OrderFlags.fulfilment_note_id.does_not_exist()):
        return None
    return order_store.get(order_id)


def _make_note(order: OrderItem, lines: list[dict[str, Any]] | None, *, note_id: str | None) -> DeliveryNoteItem:
    if note_id and (existing := dn_store.find(note_id)):
        return existing
    ordered = {sku_key(m.sku): m for m in order.lines}
    wanted = _wanted_lines(order, lines, ordered)
    at = order_store.now()
    dn = DeliveryNoteItem(id=note_id or f"dn_{os.urandom(8).hex()}", number="", order_id=order.id, order_number=order.number,
                          client_id=order.client_id, status=DeliveryStatus.READY_FOR_PACKING.value,
                          lines=[ShipLineMap(sku=ordered[k].sku, name=ordered[k].name, unit=ordered[k].unit, qty=q) for k, q in wanted.items()],
                          created_at=at, updated_at=at)
    try:
        dn = dn_store.create(dn)
    except Conflict as exc:
        if exc.code != "document_exists":  # the order was cancelled meanwhile: no note for it
            raise
        return dn_store.get(dn.id)
    events.announce("delivery_note.created", dn.id, delivery_note_id=dn.id, order_id=dn.order_id, client_id=dn.client_id)
    return dn


def _wanted_lines(order: OrderItem, lines: list[dict[str, Any]] | None, ordered: dict[str, Any]) -> dict[str, int]:
    remaining = {k: m.qty for k, m in ordered.items()}
    for note in dn_store.for_order(order.id):
        for line in note.lines:
            remaining[sku_key(line.sku)] -= line.qty
    if lines is None:
        wanted = {k: q for k, q in remaining.items() if q > 0}
        if not wanted:
            raise Conflict("Every line of this order is on a delivery note already.", code="nothing_to_deliver")
        return wanted
    wanted: dict[str, int] = {}
    for i, line in enumerate(lines):
        key = sku_key(line["sku"])
        if key not in ordered:
            raise ValidationFailed(f"{line['sku']} is not on this order.", code="unknown_product", field=f"lines[{i}].sku")
        if key in wanted:
            raise ValidationFailed(f"{line['sku']} appears twice.", code="duplicate_sku", field=f"lines[{i}].sku")
        qty = line["qty"]
        if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
            raise ValidationFailed("Quantity must be a whole number of at least 1.", code="invalid_quantity", field=f"lines[{i}].qty")
        if qty > remaining[key]:
            raise ValidationFailed(f"Only {remaining[key]} of {line['sku']} are left to deliver.", code="above_ordered_qty",
                                   field=f"lines[{i}].qty")
        wanted[key] = qty
    return wanted


def approve(dn_id: str, actor: str) -> DeliveryNoteItem:
    """Approve the note: stock goes down once (never below zero); what is missing goes on a back-order note."""
    dn = dn_store.get(dn_id)
    if dn.stock_applied:
        _ensure_backorder(dn)
        workflows.resume(dn.approval_task_token, {"approved": True})
        return dn
    for _attempt in range(5):
        delivery_transition("approve", DeliveryStatus(dn.status))  # again after a conflict: the order may be cancelled
        products = find_products(line.sku for line in dn.lines)
        on_hand = {k: p.qty_on_hand for k, p in products.items()}
        order = order_store.get(dn.order_id)
        if order.status != OrderStatus.ACCEPTED.value:
            raise Conflict(f"Order {order.number} is {order.status}; its delivery note {dn.number} cannot be approved.",
                           code="order_not_accepted")
        held = stock.reserved_of(order)
        # what this note may take: what nobody holds plus what its own order holds
        usable = {k: min(p.qty_on_hand, p.qty_available + held.get(k, 0)) for k, p in products.items()}
        split = split_for_stock({sku_key(line.sku): line.qty for line in dn.lines}, usable)
        release, left = stock.shipped_writes(held, split.ship, products)
        if not split.ship:
            raise Conflict("None of these products is in stock; the delivery note stays ready for packing.", code="no_stock")
        lines = [ShipLineMap(sku=m.sku, name=m.name, unit=m.unit, qty=split.ship[sku_key(m.sku)])
                 for m in dn.lines if sku_key(m.sku) in split.ship]
        backorder_id = f"{dn.id}-b" if split.backorder else None
        try:
            approved = dn_store.approve_with_stock(
                dn, split.ship, on_hand, lines, backorder_id, reserved={k: p.qty_reserved or 0 for k, p in products.items()},
                release=release, order_reserved=json.dumps(left) if release else None)
        except Exception as exc:  # noqa: BLE001 - a product's stock moved meanwhile (or the note did): read again
            if getattr(exc, "cause_response_code", "") != "TransactionCanceledException":
                raise
            dn = dn_store.get(dn_id)
            if dn.stock_applied:
                return approve(dn_id, actor)
            continue
        if split.backorder:
            _ensure_backorder(approved, split.backorder)
        workflows.resume(approved.approval_task_token, {"approved": True})
        return approved
    raise Conflict("Stock is changing too fast; try again.", code="busy")


def apply_stock(dn_id: str) -> dict[str, Any]:
    """The ApplyStock state, after the warehouse's approval: the note's stock taken (once, by the same
    conditional transaction as the approval) and its back-order note made, which runs its own execution."""
    dn = dn_store.get(dn_id)
    if dn.status == DeliveryStatus.CANCELLED.value:
        raise OrderCancelled(f"delivery note {dn.number} was cancelled with its order {dn.order_number}")
    if not dn.stock_applied:
        raise DeliveryNoteNotApproved(f"delivery note {dn.number} is {dn.status} without its stock taken")
    approve(dn_id, "workflow")
    return {"delivery_note_id": dn.id, "backorder_id": dn.backorder_id,
            "shipped": {line.sku: line.qty for line in dn.lines}}


def packing_overdue(dn_id: str, reminders: int) -> dict[str, Any]:
    """An approved note waited too long for packing: a task and an email for the warehouse, then the wait
    goes on (a retried step finds its task and sends nothing twice)."""
    dn = dn_store.get(dn_id)
    n = reminders + 1
    hours = int(PACKING_REMINDER_AFTER.total_seconds() // 3600) * n
    if dn.status == DeliveryStatus.APPROVED.value:
        for person in user_store.staff_with_roles(("warehouse",)) or user_store.staff_with_roles(("manager", "admin")):
            if order_store.add_task(dn.order_id, f"packing_overdue_{dn.id}", person.id,
                                    f"Pack delivery note {dn.number} (order {dn.order_number})", n):
                mail.send("packing_overdue", person.email, id=dn.id, number=dn.number, order_number=dn.order_number, hours=hours)
    return {"delivery_note_id": dn.id, "reminders": n, "timeout_seconds": int(PACKING_REMINDER_AFTER.total_seconds())}


def _ensure_backorder(dn: DeliveryNoteItem, missing: dict[str, int] | None = None) -> None:
    if not dn.backorder_id or dn_store.find(dn.backorder_id):
        return
    order = order_store.get(dn.order_id)
    if missing is None:  # a retry: what the order still lacks beyond every note
        missing = {}
        delivered = {}
        for note in dn_store.for_order(order.id):
            for line in note.lines:
                delivered[sku_key(line.sku)] = delivered.get(sku_key(line.sku), 0) + line.qty
        missing = {sku_key(m.sku): m.qty - delivered.get(sku_key(m.sku), 0) for m in order.lines
                   if m.qty > delivered.get(sku_key(m.sku), 0)}
    if not missing:
        return
    backorder = create_delivery_note(order.id, [{"sku": sku, "qty": qty} for sku, qty in missing.items()], note_id=dn.backorder_id)
    dn_store.change(backorder, actions=(DeliveryNoteItem.backorder_of.set(dn.id),))
    lines = ", ".join(f"{qty} x {sku}" for sku, qty in missing.items())
    mail.send("backorder", order.contact_email, order_number=order.number, lines=lines, number=backorder.number)
    for agent in _agents(order):
        mail.send("backorder", agent.email, order_number=order.number, lines=lines, number=backorder.number)


def _agents(order: OrderItem) -> list[Any]:
    agent = user_store.find_user(order.sale_agent_id) if order.sale_agent_id else None
    return [agent] if agent else user_store.staff_with_roles(("manager",))


def record_packing(dn_id: str, parcels: list[dict[str, Any]]) -> DeliveryNoteItem:
    """The warehouse's packing list; the waiting workflow then books the AWB."""
    dn = dn_store.get(dn_id)
    status = delivery_transition("pack", DeliveryStatus(dn.status))
    packed = dn_store.change(dn, status=status.value, actions=(DeliveryNoteItem.parcels.set([ParcelMap(**p) for p in parcels]),))
    workflows.resume(packed.packing_task_token, {"packed": True})
    return packed


def generate_awb(dn_id: str) -> dict[str, Any]:
    """Book the courier for a packed note (at most one shipment per note), mark it shipped, tell the client."""
    dn = dn_store.get(dn_id)
    if dn.awb:
        return _after_shipping(dn)
    if dn.status != DeliveryStatus.PACKED.value:
        raise Conflict(f"Delivery note {dn.number} is {dn.status}, not packed.", code="delivery_state_conflict")
    order = order_store.get(dn.order_id)
    address = order.delivery_address
    shipment = courier_from_env().book(ShipmentRequest(
        reference=dn.id, recipient_name=order.client_name, street=address.line1, city=address.city,
        postcode=address.postcode, country=address.country, phone=None, email=order.contact_email,
        parcels=[Parcel(p.weight_kg, p.length_cm, p.width_cm, p.height_cm) for p in dn.parcels],
        cash_on_delivery=None, content=f"Order {order.number}",
    ))
    shipped = dn_store.change(dn, status=DeliveryStatus.SHIPPED.value, actions=(
        DeliveryNoteItem.awb.set(shipment.awb), DeliveryNoteItem.courier.set(shipment.courier),
        DeliveryNoteItem.tracking_url.set(shipment.tracking_url), DeliveryNoteItem.shipped_at.set(order_store.now())))
    mail.send("shipped", order.contact_email, number=shipped.number, order_number=order.number, awb=shipment.awb,
              courier=shipment.courier, tracking_url=shipment.tracking_url)
    events.announce("delivery_note.shipped", dn.id, delivery_note_id=dn.id, order_id=dn.order_id, client_id=dn.client_id, awb=shipment.awb)
    return _after_shipping(shipped)


def _after_shipping(dn: DeliveryNoteItem) -> dict[str, Any]:
    """When invoices follow shipping, this shipment's invoice workflow starts (once: it is named after the note)."""
    invoice_on_shipping = settings_store.load().invoice_on == "shipping"
    if invoice_on_shipping:
        from chalicelib.services import invoicing  # noqa: PLC0415 - invoicing imports this module's neighbours

        invoicing.start(dn.order_id, dn.id)
    return {"delivery_note_id": dn.id, "awb": dn.awb, "invoice_on_shipping": invoice_on_shipping}


def awb_failed(dn_id: str, error: dict[str, Any] | None) -> None:
    """The courier kept failing: a clear state on the note and a task for the agent, never a silent stop."""
    dn = dn_store.get(dn_id)
    if dn.status == DeliveryStatus.PACKED.value:
        cause = (error or {}).get("Cause") or (error or {}).get("Error") or "courier error"
        dn = dn_store.change(dn, status=DeliveryStatus.AWB_FAILED.value, actions=(DeliveryNoteItem.awb_error.set(str(cause)[:500]),))
    order = order_store.get(dn.order_id)
    for agent in _agents(order):
        order_store.add_task(order.id, f"awb_failed_{dn.id}", agent.id, f"AWB failed for {dn.number} (order {order.number})")
    events.announce("delivery_note.awb_failed", f"{dn.id}:{dn.version}", delivery_note_id=dn.id, order_id=dn.order_id, error=dn.awb_error)


def mark_delivered(dn_id: str, when: datetime | None = None) -> DeliveryNoteItem:
    dn = dn_store.get(dn_id)
    status = delivery_transition("deliver", DeliveryStatus(dn.status))
    dn = dn_store.change(dn, status=status.value, actions=(DeliveryNoteItem.delivered_at.set(when or order_store.now()),))
    events.announce("delivery_note.delivered", dn.id, quiet=True, delivery_note_id=dn.id, order_id=dn.order_id, client_id=dn.client_id)
    return dn


def retry_awb(dn_id: str) -> DeliveryNoteItem:
    """After awb_failed: back to packed, and the note's waiting execution books the courier again (the same
    execution: when it has not reached its wait yet, the wait sees the note packed and goes straight on)."""
    dn = dn_store.get(dn_id)
    status = delivery_transition("retry_awb", DeliveryStatus(dn.status))
    dn = dn_store.change(dn, status=status.value)
    workflows.resume(dn.awb_retry_task_token, {"retry": True})
    return dn

