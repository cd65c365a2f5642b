"""The buyer's credit notes: the list and the PDFs (what the supplier credited and why)."""
from __future__ import annotations

from chalicelib.api.admin_credit_notes import credit_note_json
from chalicelib.api.http import decode_cursor, encode_cursor
from chalicelib.domain.errors import NotFound
from chalicelib.services import credit_notes, invoicing
from chalicelib.store import credit_notes as cn_store
from chalicelib.web.kit import WebBlueprint, buyer_session, query_params, redirect, render_page

web_portal_credit_notes = WebBlueprint(__name__)
PAGE_SIZE = 50


@web_portal_credit_notes.route("/credit-notes", methods=["GET"])
def credit_notes_page():
    session = buyer_session("invoices")
    params = query_params()
    found, after = cn_store.for_client(session.principal.client_id, limit=PAGE_SIZE, after=decode_cursor(params.get("cursor")))
    cursor = encode_cursor(after)
    return render_page("portal/credit_notes.html", session, credit_notes=[credit_note_json(n) for n in found],
                       next_url=f"/credit-notes?cursor={cursor}" if cursor else None)


@web_portal_credit_notes.route("/credit-notes/{credit_note_id}/pdf", methods=["GET"])
def credit_note_pdf(credit_note_id):
    session = buyer_session("download_documents")
    note = cn_store.find(credit_note_id)
    if note is None or note.client_id != session.principal.client_id:
        raise NotFound("There is no such credit note in your account.", code="credit_note_not_found")
    if not note.pdf_key:
        note = credit_notes.render(note.id)
    return redirect(invoicing.download_url(note.pdf_key or "", f"{note.number}.pdf"))
