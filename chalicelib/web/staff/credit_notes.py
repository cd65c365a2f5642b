"""Finance's credit notes: create one from the invoice page (all lines, or the quantities typed per line), the list
of credit notes, their PDFs; and asking ANAF again about an invoice's e-Factura submission."""
from __future__ import annotations

from typing import Any

from chalicelib.api.admin_credit_notes import credit_note_json
from chalicelib.api.http import decode_cursor, encode_cursor
from chalicelib.domain.access import Capability
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.services import credit_notes, einvoice, invoicing
from chalicelib.store import credit_notes as cn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.web.kit import (
    FORM, WebBlueprint, form_fields, query_params, redirect, render_page, require_csrf, staff_session, whole_number,
)

web_credit_notes = WebBlueprint(__name__)
PAGE_SIZE = 50


def invoice_credit_notes(invoice_id: str) -> list[dict[str, Any]]:
    """The invoice's credit notes, for the invoice pages (staff and portal)."""
    return [credit_note_json(n) for n in cn_store.for_invoice(invoice_id)]


def _viewer() -> Any:
    """Any staff member who may look at invoices (and so at credit notes)."""
    return staff_session(Capability.VIEW_INVOICES)


def _finance() -> tuple[Any, dict[str, str]]:
    session = staff_session(Capability.MANAGE_INVOICES)
    form = form_fields()
    require_csrf(form)
    return session, form


@web_credit_notes.route("/agent/invoices/{invoice_id}/credit-notes", methods=["POST"], content_types=FORM)
def agent_create_credit_note(invoice_id):
    """Blank quantities everywhere: the whole invoice (what is left of it). Otherwise only the lines typed."""
    session, form = _finance()
    invoice = invoice_store.get(invoice_id)
    lines = []
    try:
        for index, line in enumerate(invoice.lines):
            typed = (form.get(f"qty_{index}") or "").strip()
            if typed:
                qty = whole_number(typed)
                if not isinstance(qty, int) or qty < 1:
                    raise ValidationFailed(f"{line.sku}: type a whole number of at least 1, or leave it blank.",
                                           code="invalid_quantity", field=f"lines[{index}].qty")
                lines.append({"sku": line.sku, "qty": qty})
        note = credit_notes.create(invoice_id, reason=form.get("reason", ""), lines=lines or None, actor=session.principal.email)
    except (ValidationFailed, Conflict) as exc:
        return redirect(f"/agent/invoices/{invoice_id}", session.cookies, flash={"error": f"No credit note: {exc.message}"})
    return redirect(f"/agent/invoices/{invoice_id}", session.cookies,
                    flash={"notice": f"Credit note {note.number} for {note.total} {note.currency} is issued and emailed "
                                     "to the client."})


@web_credit_notes.route("/agent/credit-notes", methods=["GET"])
def agent_credit_notes_page():
    session = _viewer()
    params = query_params()
    found, after = cn_store.newest(limit=PAGE_SIZE, after=decode_cursor(params.get("cursor")))
    cursor = encode_cursor(after)
    return render_page("agent/credit_notes.html", session, credit_notes=[credit_note_json(n, staff=True) for n in found],
                       next_url=f"/agent/credit-notes?cursor={cursor}" if cursor else None)


@web_credit_notes.route("/agent/credit-notes/{credit_note_id}/pdf", methods=["GET"])
def agent_credit_note_pdf(credit_note_id):
    _viewer()
    note = cn_store.get(credit_note_id)
    if not note.pdf_key:
        note = credit_notes.render(note.id)
    return redirect(invoicing.download_url(note.pdf_key or "", f"{note.number}.pdf"))


@web_credit_notes.route("/agent/invoices/{invoice_id}/e-invoice/check", methods=["POST"], content_types=FORM)
def agent_check_einvoice(invoice_id):
    """Submit a pending e-invoice, or ask ANAF about a submitted one, now (after the workflow stopped waiting)."""
    session, _ = _finance()
    invoice = invoice_store.get(invoice_id)
    try:
        result = einvoice.submit(invoice.id) if invoice.einvoice_status == "pending" else einvoice.poll(invoice.id)
    except Exception as exc:  # noqa: BLE001 - ANAF unreachable or refusing: say so, the page stays usable
        return redirect(f"/agent/invoices/{invoice_id}", session.cookies, flash={"error": f"ANAF did not answer: {exc}"})
    return redirect(f"/agent/invoices/{invoice_id}", session.cookies,
                    flash={"notice": f"e-Factura: {result['einvoice_status'].replace('_', ' ')}."})
