"""/admin delivery notes, invoices and payments: the warehouse's and finance's side."""
from __future__ import annotations

from datetime import date
from typing import Any
from decimal import Decimal

from chalicelib.api import schemas
from chalicelib.api.http import (
    ApiBlueprint, decode_cursor, encode_cursor, json_body, json_response, page, page_params, validate,
)
from chalicelib.api.payments import credit_json, invoice_activity
from chalicelib.api.security import require_staff, token_authorizer
from chalicelib.api.views import delivery_note_json, invoice_json, payment_json
from chalicelib.domain.access import Capability
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.fulfilment import DeliveryStatus
from chalicelib.domain.invoicing import InvoiceStatus
from chalicelib.services import clients, fulfilment, invoicing
from chalicelib.services.pricing import supplier_today
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store

admin_fulfilment_api = ApiBlueprint(__name__)


def _viewer(staff: Any) -> clients.Viewer:
    return clients.Viewer(staff.user_id, staff.role, staff.name)


def _note(staff: Any, dn_id: str) -> Any:
    """The delivery note, or 404 for an agent that is not its client's agent (sales rep scoping)."""
    return clients.document_in_scope(_viewer(staff), dn_store.get(dn_id), f"delivery note {dn_id}", "delivery_note_not_found")


def _request():
    return admin_fulfilment_api.current_request


def _status_param(allowed: set[str], default: str | None) -> str | None:
    status = (_request().query_params or {}).get("status", default)
    if status is not None and status not in allowed:
        raise ValidationFailed(f"status is one of {', '.join(sorted(allowed))}.", code="invalid_value", field="status")
    return status


# --- delivery notes --------------------------------------------------------------------------------

@admin_fulfilment_api.route("/admin/orders/{order_id}/delivery-notes", methods=["POST"], authorizer=token_authorizer)
def create_delivery_note(order_id):
    staff = require_staff(_request(), Capability.MANAGE_DELIVERIES)
    clients.document_in_scope(_viewer(staff), order_store.get(order_id), f"order {order_id}", "order_not_found")
    body = validate(json_body(_request()), schemas.DELIVERY_NOTE)
    return json_response(delivery_note_json(fulfilment.create_delivery_note(order_id, body.get("lines")), staff=True), status=201)


@admin_fulfilment_api.route("/admin/delivery-notes", methods=["GET"], authorizer=token_authorizer)
def list_delivery_notes():
    staff = require_staff(_request(), Capability.VIEW_DELIVERIES)
    limit, cursor = page_params(_request())
    status = _status_param({s.value for s in DeliveryStatus}, DeliveryStatus.READY_FOR_PACKING.value)
    notes, after = dn_store.by_status(status, limit=limit, after=decode_cursor(cursor))
    notes = clients.only_own(_viewer(staff), notes)
    return json_response(page([delivery_note_json(dn, staff=True) for dn in notes], encode_cursor(after)))


@admin_fulfilment_api.route("/admin/delivery-notes/{dn_id}", methods=["GET"], authorizer=token_authorizer)
def get_delivery_note(dn_id):
    staff = require_staff(_request(), Capability.VIEW_DELIVERIES)
    return json_response(delivery_note_json(_note(staff, dn_id), staff=True))


@admin_fulfilment_api.route("/admin/delivery-notes/{dn_id}/approve", methods=["POST"], authorizer=token_authorizer)
def approve_delivery_note(dn_id):
    staff = require_staff(_request(), Capability.MANAGE_DELIVERIES)
    _note(staff, dn_id)
    return json_response(delivery_note_json(fulfilment.approve(dn_id, staff.email), staff=True))


@admin_fulfilment_api.route("/admin/delivery-notes/{dn_id}/packing-list", methods=["POST"], authorizer=token_authorizer)
def packing_list(dn_id):
    _note(require_staff(_request(), Capability.MANAGE_DELIVERIES), dn_id)
    body = validate(json_body(_request()), schemas.PACKING_LIST)
    parcels = [{**p, "weight_kg": Decimal(str(p["weight_kg"]))} for p in body["parcels"]]
    return json_response(delivery_note_json(fulfilment.record_packing(dn_id, parcels), staff=True))


@admin_fulfilment_api.route("/admin/delivery-notes/{dn_id}/retry-awb", methods=["POST"], authorizer=token_authorizer)
def retry_awb(dn_id):
    _note(require_staff(_request(), Capability.MANAGE_DELIVERIES), dn_id)
    return json_response(delivery_note_json(fulfilment.retry_awb(dn_id), staff=True))


@admin_fulfilment_api.route("/admin/delivery-notes/{dn_id}/delivered", methods=["POST"], authorizer=token_authorizer)
def delivered(dn_id):
    _note(require_staff(_request(), Capability.MANAGE_DELIVERIES), dn_id)
    return json_response(delivery_note_json(fulfilment.mark_delivered(dn_id), staff=True))


# --- invoices and payments ------------------------------------------------------------------------------

@admin_fulfilment_api.route("/admin/orders/{order_id}/invoice", methods=["POST"], authorizer=token_authorizer)
def issue_invoice(order_id):
    require_staff(_request(), Capability.MANAGE_INVOICES)
    invoice = invoicing.issue(order_id)
    invoicing.start(order_id)  # documents and email follow in the invoicing workflow
    return json_response(invoice_json(invoice, staff=True), status=201)


@admin_fulfilment_api.route("/admin/invoices", methods=["GET"], authorizer=token_authorizer)
def list_invoices():
    staff = require_staff(_request(), Capability.VIEW_INVOICES)
    limit, cursor = page_params(_request())
    params = _request().query_params or {}
    status = _status_param({s.value for s in InvoiceStatus}, None)
    if params.get("client_id"):
        clients.client_in_scope(_viewer(staff), params["client_id"])
        found, after = invoice_store.for_client(params["client_id"], limit=limit, after=decode_cursor(cursor),
                                                include_drafts=True, status=status)
    else:
        found, after = invoice_store.by_status(status or InvoiceStatus.UNPAID.value, limit=limit, after=decode_cursor(cursor))
    found = clients.only_own(_viewer(staff), found)
    return json_response(page([invoice_json(i, staff=True) for i in found], encode_cursor(after)))


@admin_fulfilment_api.route("/admin/invoices/{invoice_id}", methods=["GET"], authorizer=token_authorizer)
def get_invoice(invoice_id):
    staff = require_staff(_request(), Capability.VIEW_INVOICES)
    invoice = clients.document_in_scope(_viewer(staff), invoice_store.get(invoice_id), f"invoice {invoice_id}", "invoice_not_found")
    return json_response({**invoice_json(invoice, staff=True),
                          "payments": [payment_json(p) for p in invoice_store.payments(invoice_id)],
                          **invoice_activity(invoice_id)})


@admin_fulfilment_api.route("/admin/clients/{client_id}/credits", methods=["GET"], authorizer=token_authorizer)
def client_credits(client_id):
    """The client's credits (money paid beyond invoices): what is left is applied to its next invoices."""
    staff = require_staff(_request(), Capability.VIEW_INVOICES)
    clients.client_in_scope(_viewer(staff), client_id)  # 404 for an unknown client (or another agent's)
    return json_response(page([credit_json(c) for c in invoice_store.credits_of(client_id)], None))


@admin_fulfilment_api.route("/admin/clients/{client_id}/credits/{credit_id}/refund", methods=["POST"], authorizer=token_authorizer)
def refund_credit(client_id, credit_id):
    """Finance paid what is left of a credit back to the client (by bank transfer or a gateway refund)."""
    staff = require_staff(_request(), Capability.MANAGE_INVOICES)
    return json_response(credit_json(invoicing.refund_credit(client_id, credit_id, f"refunded by {staff.email}")))


@admin_fulfilment_api.route("/admin/invoices/{invoice_id}/payments", methods=["POST"], authorizer=token_authorizer)
def record_payment(invoice_id):
    staff = require_staff(_request(), Capability.MANAGE_INVOICES)
    body = validate(json_body(_request()), schemas.PAYMENT)
    paid_on = date.fromisoformat(body["date"]) if _valid_date(body["date"]) else None
    if paid_on is None or paid_on > supplier_today():
        raise ValidationFailed("date is a day, not in the future.", code="invalid_date", field="date")
    invoice = invoicing.record_payment(invoice_id, amount=Decimal(body["amount"]), paid_on=paid_on, method=body["method"],
                                       reference=(body.get("reference") or "").strip() or None, actor=staff.email)
    return json_response({**invoice_json(invoice, staff=True),
                          "payments": [payment_json(p) for p in invoice_store.payments(invoice_id)]}, status=201)


def _valid_date(raw: str) -> bool:
    try:
        date.fromisoformat(raw)
    except ValueError:
        return False
    return True


@admin_fulfilment_api.route("/admin/reminders/run", methods=["POST"], authorizer=token_authorizer)
def run_reminders():
    """Run the overdue reminders now (the daily schedule does the same)."""
    require_staff(_request(), Capability.MANAGE_INVOICES)
    return json_response({"execution_arn": invoicing.start_reminders(supplier_today(), on_demand=True)}, status=202)
