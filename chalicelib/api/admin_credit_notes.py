"""Credit notes: finance credits an invoice (POST /admin/invoices/{id}/credit-notes) and lists them; the client
reads its own (GET /portal/credit-notes) and downloads their PDF and UBL."""
from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.api import schemas
from chalicelib.api.http import ApiBlueprint, decode_cursor, encode_cursor, json_body, json_response, page, page_params, validate
from chalicelib.api.security import require_portal, require_staff, token_authorizer
from chalicelib.api.views import _line_json
from chalicelib.domain.access import Capability
from chalicelib.domain.errors import NotFound
from chalicelib.domain.money import display_amount
from chalicelib.services import credit_notes, invoicing
from chalicelib.store import credit_notes as store

credit_notes_api = ApiBlueprint(__name__)


def _request():
    return credit_notes_api.current_request


def credit_note_json(note: store.CreditNoteItem, *, staff: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": note.id, "number": note.number, "invoice_id": note.invoice_id, "invoice_number": note.invoice_number,
        "order_id": note.order_id, "order_number": note.order_number, "issue_date": note.issue_date, "reason": note.reason,
        "currency": note.currency, "lines": [_line_json(m) for m in note.lines],
        "vat_breakdown": [{"rate": v.rate, "taxable": display_amount(v.taxable), "vat": display_amount(v.vat),
                           "vat_category": v.category, "vat_exemption_reason": v.exemption_reason} for v in note.vat_breakdown],
        "subtotal": display_amount(note.subtotal), "vat_total": display_amount(note.vat_total),
        "total": display_amount(note.total), "full": note.full == "yes",
        "tax_currency": note.tax_currency, "exchange_rate": note.exchange_rate,
        "vat_total_tax_currency": display_amount(note.vat_total_tax_currency) if note.vat_total_tax_currency is not None else None,
        "has_pdf": bool(note.pdf_key), "has_e_invoice": bool(note.xml_key),
    }
    if staff:
        body.update({"client_id": note.client_id, "client_name": note.client_name, "created_by": note.created_by})
    return body


@credit_notes_api.route("/admin/invoices/{invoice_id}/credit-notes", methods=["POST"], authorizer=token_authorizer)
def create_credit_note(invoice_id):
    staff = require_staff(_request(), Capability.MANAGE_INVOICES)
    body = validate(json_body(_request()), schemas.CREDIT_NOTE)
    note = credit_notes.create(invoice_id, reason=body["reason"], lines=body.get("lines"), actor=staff.email)
    return json_response(credit_note_json(note, staff=True), status=201)


@credit_notes_api.route("/admin/invoices/{invoice_id}/credit-notes", methods=["GET"], authorizer=token_authorizer)
def invoice_credit_notes(invoice_id):
    require_staff(_request(), Capability.VIEW_INVOICES)
    return json_response(page([credit_note_json(n, staff=True) for n in store.for_invoice(invoice_id)], None))


@credit_notes_api.route("/admin/credit-notes", methods=["GET"], authorizer=token_authorizer)
def list_credit_notes():
    require_staff(_request(), Capability.VIEW_INVOICES)
    limit, cursor = page_params(_request())
    client_id = (_request().query_params or {}).get("client_id")
    if client_id:
        found, after = store.for_client(client_id, limit=limit, after=decode_cursor(cursor))
    else:
        found, after = store.newest(limit=limit, after=decode_cursor(cursor))
    return json_response(page([credit_note_json(n, staff=True) for n in found], encode_cursor(after)))


@credit_notes_api.route("/admin/credit-notes/{credit_note_id}", methods=["GET"], authorizer=token_authorizer)
def get_credit_note(credit_note_id):
    require_staff(_request(), Capability.VIEW_INVOICES)
    return json_response(credit_note_json(store.get(credit_note_id), staff=True))


# --- portal -----------------------------------------------------------------------------------------------

def _own(credit_note_id: str, client_id: str) -> store.CreditNoteItem:
    note = store.find(credit_note_id)
    if note is None or note.client_id != client_id:
        raise NotFound(f"No credit note {credit_note_id}.", code="credit_note_not_found")
    return note


@credit_notes_api.route("/portal/credit-notes", methods=["GET"], authorizer=token_authorizer)
def my_credit_notes():
    principal = require_portal(_request(), "invoices")
    limit, cursor = page_params(_request())
    found, after = store.for_client(principal.client_id, limit=limit, after=decode_cursor(cursor))
    return json_response(page([credit_note_json(n) for n in found], encode_cursor(after)))


@credit_notes_api.route("/portal/credit-notes/{credit_note_id}", methods=["GET"], authorizer=token_authorizer)
def my_credit_note(credit_note_id):
    principal = require_portal(_request(), "invoices")
    return json_response(credit_note_json(_own(credit_note_id, principal.client_id)))


@credit_notes_api.route("/portal/credit-notes/{credit_note_id}/pdf", methods=["GET"], authorizer=token_authorizer)
def my_credit_note_pdf(credit_note_id):
    principal = require_portal(_request(), "download_documents")
    note = _own(credit_note_id, principal.client_id)
    if not note.pdf_key:
        note = credit_notes.render(note.id)
    return Response(body="", status_code=302, headers={"Cache-Control": "no-store",
                                                      "Location": invoicing.download_url(note.pdf_key, f"{note.number}.pdf")})


@credit_notes_api.route("/portal/credit-notes/{credit_note_id}/e-invoice", methods=["GET"], authorizer=token_authorizer)
def my_credit_note_xml(credit_note_id):
    principal = require_portal(_request(), "download_documents")
    note = _own(credit_note_id, principal.client_id)
    if not note.xml_key:
        note = credit_notes.render(note.id)
    return Response(body="", status_code=302, headers={"Cache-Control": "no-store",
                                                      "Location": invoicing.download_url(note.xml_key, f"{note.number}.xml")})
