"""Deliveries, invoices and the statement as pages: the buyer's side (lists, details, downloads, paying
online) and the staff's side (the warehouse queue of delivery notes, finance's invoices and payments).

Downloads answer with a redirect to a short-lived S3 link, as the JSON API does. A service's refusal
(no stock, a state that moved on, an overpayment) comes back as a flash message or as the form again
with what was typed; never as a 500.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from chalicelib.api import schemas
from chalicelib.api.http import decode_cursor, encode_cursor, validate
from chalicelib.api.payments import invoice_activity
from chalicelib.api.views import delivery_note_json, invoice_json, payment_json, statement_json
from chalicelib.web.kit import (
    FORM, Session, WebBlueprint, buyer_session, form_fields, form_lists, local_time, query_params, redirect, render_page,
    require_csrf, staff_session, status_tab, whole_number,
)
from chalicelib.domain.access import Capability, role_can
from chalicelib.domain.errors import Conflict, NotFound, Unavailable, ValidationFailed
from chalicelib.domain.fulfilment import DeliveryStatus
from chalicelib.domain.invoicing import OPEN_STATUSES, InvoiceStatus
from chalicelib.domain.vocabulary import label
from chalicelib.services import clients, documents, fulfilment, invoicing, payments
from chalicelib.services.pricing import supplier_today
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store.models import DeliveryNoteItem, InvoiceItem

web_documents = WebBlueprint(__name__)

LIST_PAGE = 25
QUEUE_PAGE = 50
PACKING_ROWS = 4  # blank rows are ignored; more parcels than this are rare enough for a second visit
DELIVERY_TABS = [s.value for s in (DeliveryStatus.READY_FOR_PACKING, DeliveryStatus.APPROVED, DeliveryStatus.PACKED,
                                   DeliveryStatus.AWB_FAILED, DeliveryStatus.SHIPPED, DeliveryStatus.DELIVERED,
                                   DeliveryStatus.RETURNED)]
INVOICE_TABS = [s.value for s in (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE,
                                  InvoiceStatus.PAID, InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED)]
PAYMENT_METHODS = [(code, label(code, "payment_method")) for code in ("bank_transfer", "card", "cash", "online", "other")]

# Form field -> what the warehouse or finance should read when the API's schema refuses it.
FORM_HINTS = {
    "weight_kg": "Weight is in kg, a number such as 2.5 (at most three decimals).",
    "length_cm": "Length is a whole number of cm from 1 to 1000.",
    "width_cm": "Width is a whole number of cm from 1 to 1000.",
    "height_cm": "Height is a whole number of cm from 1 to 1000.",
    "amount": "The amount is a decimal number such as 1234.50.",
    "date": "The date is a day such as 2026-11-30.",
    "method": "Choose how it was paid.",
    "reference": "The reference is at most 200 characters.",
}


_PARCEL_FIELD = re.compile(r"^parcels\[(\d+)\]")


def _hint(exc: ValidationFailed) -> str:
    name = (exc.field or "").rsplit(".", 1)[-1]
    if exc.code in ("missing_field", "invalid_value", "unknown_field") and name in FORM_HINTS:
        return FORM_HINTS[name]
    return exc.message


def _pages(base: str, params: dict[str, str], after: str | None) -> str | None:
    return f"{base}?" + urlencode({**params, "cursor": encode_cursor(after)}) if after else None


# --- shapes for the pages -----------------------------------------------------------------------

def _delivery_view(dn: DeliveryNoteItem, *, staff: bool = False) -> dict[str, Any]:
    """delivery_note_json (the buyer's statuses unless staff) with the times on the supplier's clock."""
    body = delivery_note_json(dn, staff=staff)
    for name in ("created_at", "shipped_at", "delivered_at"):
        body[name] = local_time(body[name]) if body[name] else None
    return body


def _invoice_view(invoice: InvoiceItem, *, staff: bool = False) -> dict[str, Any]:
    body = invoice_json(invoice, staff=staff)
    body["payable"] = InvoiceStatus(invoice.status) in OPEN_STATUSES and invoice.amount_due > 0
    return body


def _client_invoice(session: Session, invoice_id: str) -> InvoiceItem:
    """The buyer's own issued invoice; another client's, a draft or an unknown one is not found alike."""
    invoice = invoice_store.find(invoice_id)
    if invoice is None or invoice.client_id != session.principal.client_id or invoice.status == InvoiceStatus.DRAFT.value:
        raise NotFound("There is no such invoice in your account.", code="invoice_not_found")
    return invoice


def _client_delivery(session: Session, dn_id: str) -> DeliveryNoteItem:
    dn = dn_store.find(dn_id)
    if dn is None or dn.client_id != session.principal.client_id:
        raise NotFound("There is no such delivery in your account.", code="delivery_note_not_found")
    return dn


def _invoice_pdf(invoice: InvoiceItem) -> Any:
    if not invoice.pdf_key:  # the invoicing workflow renders it; a download before that renders it now
        invoice = invoicing.render_documents(invoice.id)
    return redirect(invoicing.download_url(invoice.pdf_key or "", f"{invoice.number}.pdf"))


def _e_invoice(invoice: InvoiceItem) -> Any:
    if not invoice.xml_key:
        raise NotFound("This invoice has no e-invoice (the client has no VAT number).", code="e_invoice_not_found")
    return redirect(invoicing.download_url(invoice.xml_key, f"{invoice.number}.xml"))


# --- the buyer's deliveries ------------------------------------------------------------------------

@web_documents.route("/deliveries", methods=["GET"])
def deliveries_page():
    session = buyer_session("deliveries")
    cursor = query_params().get("cursor")
    notes, after = dn_store.for_client(session.principal.client_id or "", limit=LIST_PAGE, after=decode_cursor(cursor))
    can = session.principal.permissions
    return render_page("portal/deliveries.html", session, deliveries=[_delivery_view(dn) for dn in notes],
                       can_download=can.get("download_documents", False), can_see_orders=can.get("orders", False),
                       next_url=_pages("/deliveries", {}, after), first_page=not cursor)


@web_documents.route("/deliveries/{dn_id}/pdf", methods=["GET"])
def delivery_pdf_download(dn_id):
    session = buyer_session("download_documents")
    return redirect(documents.delivery_note_pdf_url(_client_delivery(session, dn_id)), session.cookies)


# --- the buyer's invoices ----------------------------------------------------------------------------

@web_documents.route("/invoices", methods=["GET"])
def invoices_page():
    session = buyer_session("invoices")
    cursor = query_params().get("cursor")
    found, after = invoice_store.for_client(session.principal.client_id or "", limit=LIST_PAGE, after=decode_cursor(cursor),
                                            include_drafts=False)
    return render_page("portal/invoices.html", session, invoices=[_invoice_view(i) for i in found],
                       can_download=session.principal.permissions.get("download_documents", False),
                       next_url=_pages("/invoices", {}, after), first_page=not cursor)


@web_documents.route("/invoices/{invoice_id}", methods=["GET"])
def invoice_page(invoice_id):
    session = buyer_session("invoices")
    invoice = _client_invoice(session, invoice_id)
    can = session.principal.permissions
    from chalicelib.web.staff.credit_notes import invoice_credit_notes  # noqa: PLC0415 - the credit notes' block
    return render_page("portal/invoice.html", session, invoice=_invoice_view(invoice), credit_notes=invoice_credit_notes(invoice.id),
                       payments=[payment_json(p) for p in invoice_store.payments(invoice.id)],
                       can_download=can.get("download_documents", False), can_see_orders=can.get("orders", False),
                       back_from_checkout=query_params().get("paid") == "1")


@web_documents.route("/invoices/{invoice_id}/pdf", methods=["GET"])
def invoice_pdf_download(invoice_id):
    session = buyer_session("download_documents")
    return _invoice_pdf(_client_invoice(session, invoice_id))


@web_documents.route("/invoices/{invoice_id}/e-invoice", methods=["GET"])
def e_invoice_download(invoice_id):
    session = buyer_session("download_documents")
    return _e_invoice(_client_invoice(session, invoice_id))


@web_documents.route("/invoices/{invoice_id}/pay", methods=["POST"], content_types=FORM)
def pay_invoice_online(invoice_id):
    """Off to the payment gateway's hosted checkout for what is still due; the gateway's webhook records the payment."""
    session = buyer_session("invoices")
    form = form_fields()
    require_csrf(form)
    invoice = _client_invoice(session, invoice_id)
    back = f"/invoices/{invoice.id}" if form.get("back") == "invoice" else "/invoices"
    try:
        checkout = payments.start_checkout(invoice, session.principal.email)
    except (Conflict, Unavailable) as exc:
        return redirect(back, session.cookies, flash={"error": exc.message})
    return redirect(checkout.url, session.cookies)


# --- the buyer's statement -----------------------------------------------------------------------------

def _period(params: dict[str, str]) -> tuple[date, date]:
    """The statement's days: `from` and `to` as typed, this month so far when left out."""
    today = supplier_today()
    period = {}
    for name, default in (("from", today.replace(day=1)), ("to", today)):
        raw = (params.get(name) or "").strip()
        try:
            period[name] = date.fromisoformat(raw) if raw else default
        except ValueError as exc:
            raise ValidationFailed(f"Enter the '{name}' day as a date such as {today.isoformat()}.", code="invalid_date",
                                   field=name) from exc
    if period["to"] < period["from"]:
        raise ValidationFailed("The 'to' day is before the 'from' day.", code="invalid_date_range", field="to")
    return period["from"], period["to"]


@web_documents.route("/statement", methods=["GET"])
def statement_page():
    session = buyer_session("invoices")
    params = query_params()
    typed = {"from": (params.get("from") or "").strip()[:20], "to": (params.get("to") or "").strip()[:20]}
    can_download = session.principal.permissions.get("download_documents", False)
    try:
        period_from, period_to = _period(params)
    except ValidationFailed as exc:
        return render_page("portal/statement.html", session, status=422, statement=None, typed=typed, error=exc.message,
                           error_field=exc.field, can_download=can_download, pdf_url=None)
    doc = invoicing.statement(session.principal.client_id or "", period_from, period_to)
    period = {"from": period_from.isoformat(), "to": period_to.isoformat()}
    return render_page("portal/statement.html", session, statement=statement_json(doc), typed=period, error=None,
                       error_field=None, can_download=can_download, pdf_url="/statement/pdf?" + urlencode(period))


@web_documents.route("/statement/pdf", methods=["GET"])
def statement_pdf_download():
    session = buyer_session("download_documents")
    period_from, period_to = _period(query_params())
    return redirect(invoicing.statement_pdf_url(session.principal.client_id or "", period_from, period_to), session.cookies)


# --- staff: who may do what ------------------------------------------------------------------------------

def _delivery_viewer() -> Session:
    """Any staff member who may look at delivery notes."""
    return staff_session(Capability.VIEW_DELIVERIES)


def _warehouse() -> Session:
    """Someone who may work on delivery notes (create, approve, pack...), after the form's CSRF check."""
    session = staff_session(Capability.MANAGE_DELIVERIES)
    require_csrf(form_fields())
    return session


def _invoice_viewer() -> Session:
    """Any staff member who may look at invoices."""
    return staff_session(Capability.VIEW_INVOICES)


def _finance() -> tuple[Session, dict[str, str]]:
    """Someone who may issue invoices and record payments, and the posted form, after its CSRF check."""
    session = staff_session(Capability.MANAGE_INVOICES)
    form = form_fields()
    require_csrf(form)
    return session, form


# --- staff: delivery notes -------------------------------------------------------------------------------

def _viewer(session: Session) -> clients.Viewer:
    return clients.Viewer(session.principal.user_id, session.principal.role, session.principal.name)


def _mine(session: Session, document: Any, what: str, code: str) -> Any:
    """Sales rep scoping: an agent opening another agent's client's document finds nothing (404)."""
    return clients.document_in_scope(_viewer(session), document, what, code)


@web_documents.route("/agent/delivery-notes", methods=["GET"])
def agent_delivery_notes_page():
    session = _delivery_viewer()
    params = query_params()
    status = status_tab(DELIVERY_TABS, DeliveryStatus.READY_FOR_PACKING.value)
    notes, after = dn_store.by_status(status, limit=QUEUE_PAGE, after=decode_cursor(params.get("cursor")))
    notes = clients.only_own(_viewer(session), notes)  # an agent: its own clients' notes
    return render_page("agent/delivery_notes.html", session, tab=status, tabs=DELIVERY_TABS,
                       notes=[_delivery_view(dn, staff=True) for dn in notes],
                       next_url=_pages("/agent/delivery-notes", {"status": status}, after))


def _delivery_note_page(session: Session, dn_id: str, *, status: int = 200, rows: list[dict[str, str]] | None = None,
                        error: str | None = None, row_errors: dict[int, str] | None = None) -> Any:
    """The note with its order, lines, parcels and courier; the warehouse's next step when this person may take it.

    After a refused packing list: `rows` as typed and `error` why (`row_errors` per form row).
    """
    dn = _mine(session, dn_store.get(dn_id), f"delivery note {dn_id}", "delivery_note_not_found")
    order = order_store.get(dn.order_id)
    related = {i: dn_store.find(i) for i in (dn.backorder_id, dn.backorder_of) if i}
    blank = {"weight_kg": "", "length_cm": "", "width_cm": "", "height_cm": ""}
    return render_page(
        "agent/delivery_note.html", session, status=status, note=_delivery_view(dn, staff=True),
        order={"id": order.id, "number": order.number, "client_name": order.client_name,
               "delivery_address": order.delivery_address.as_dict()},
        related={i: n.number for i, n in related.items() if n},
        may_manage=role_can(session.principal.role, Capability.MANAGE_DELIVERIES),
        rows=rows or [dict(blank) for _ in range(PACKING_ROWS)], error=error, row_errors=row_errors or {},
    )


@web_documents.route("/agent/delivery-notes/{dn_id}", methods=["GET"])
def agent_delivery_note_page(dn_id):
    return _delivery_note_page(_delivery_viewer(), dn_id)


@web_documents.route("/agent/delivery-notes/{dn_id}/pdf", methods=["GET"])
def agent_delivery_pdf(dn_id):
    session = _delivery_viewer()
    dn = _mine(session, dn_store.get(dn_id), f"delivery note {dn_id}", "delivery_note_not_found")
    return redirect(documents.delivery_note_pdf_url(dn), session.cookies)


def _after_step(session: Session, dn_id: str, step: Callable[[], DeliveryNoteItem],
                done: Callable[[DeliveryNoteItem], str]) -> Any:
    """Run one warehouse step; its refusal (the note moved on, no stock) comes back as the page's flash."""
    try:
        result = step()
    except (Conflict, ValidationFailed, Unavailable) as exc:
        return redirect(f"/agent/delivery-notes/{dn_id}", session.cookies, flash={"error": exc.message})
    return redirect(f"/agent/delivery-notes/{dn_id}", session.cookies, flash={"notice": done(result)})


def _approved_notice(dn: DeliveryNoteItem) -> str:
    notice = "Approved; the stock is taken."
    backorder = dn_store.find(dn.backorder_id) if dn.backorder_id else None
    if backorder:
        missing = ", ".join(f"{line.qty} × {line.sku}" for line in backorder.lines)
        notice += f" Not everything was in stock: {missing} back-ordered on {backorder.number}."
    return notice


@web_documents.route("/agent/delivery-notes/{dn_id}/approve", methods=["POST"], content_types=FORM)
def agent_approve_delivery_note(dn_id):
    session = _warehouse()
    return _after_step(session, dn_id, lambda: fulfilment.approve(dn_id, session.principal.email), _approved_notice)


def _packing_rows(fields: dict[str, list[str]]) -> list[dict[str, str]]:
    names = ("weight_kg", "length_cm", "width_cm", "height_cm")
    columns = [fields.get(name, []) for name in names]
    return [dict(zip(names, (v.strip()[:20] for v in values))) for values in zip(*columns)]


def _filled(rows: list[dict[str, str]]) -> tuple[list[dict[str, Any]], list[int]]:
    """The parcels typed in the form's rows (blank rows ignored), and the form row of each."""
    parcels, source_rows = [], []
    for i, row in enumerate(rows):
        if any(row.values()):
            parcels.append({"weight_kg": row["weight_kg"].replace(",", "."), "length_cm": whole_number(row["length_cm"]),
                            "width_cm": whole_number(row["width_cm"]), "height_cm": whole_number(row["height_cm"])})
            source_rows.append(i)
    return parcels, source_rows


def _packing_list(parcels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The packing list checked with the API's schema, weights as Decimal."""
    if not parcels:
        raise ValidationFailed("Enter at least one parcel: its weight and its size.", code="missing_field", field="parcels")
    body = validate({"parcels": parcels}, schemas.PACKING_LIST)
    return [{**p, "weight_kg": Decimal(str(p["weight_kg"]))} for p in body["parcels"]]


@web_documents.route("/agent/delivery-notes/{dn_id}/packing-list", methods=["POST"], content_types=FORM)
def agent_record_packing(dn_id):
    session = _warehouse()
    rows = _packing_rows(form_lists())
    typed, source_rows = _filled(rows)
    try:
        parcels = _packing_list(typed)
        fulfilment.record_packing(dn_id, parcels)
    except (ValidationFailed, Conflict) as exc:
        match = _PARCEL_FIELD.match(exc.field or "")
        row = source_rows[int(match.group(1))] if match and int(match.group(1)) < len(source_rows) else None
        message = _hint(exc) if isinstance(exc, ValidationFailed) else exc.message
        if row is not None:
            message = f"Parcel {row + 1}: {message}"
        return _delivery_note_page(session, dn_id, status=exc.status, rows=rows, error=message,
                                   row_errors={row: message} if row is not None else {})
    return redirect(f"/agent/delivery-notes/{dn_id}", session.cookies,
                    flash={"notice": f"Packing list saved ({len(parcels)} parcel{'s' if len(parcels) != 1 else ''}); "
                                     "the courier's AWB follows in a moment."})


@web_documents.route("/agent/delivery-notes/{dn_id}/delivered", methods=["POST"], content_types=FORM)
def agent_mark_delivered(dn_id):
    session = _warehouse()
    return _after_step(session, dn_id, lambda: fulfilment.mark_delivered(dn_id), lambda dn: f"{dn.number} is marked as delivered.")


@web_documents.route("/agent/delivery-notes/{dn_id}/retry-awb", methods=["POST"], content_types=FORM)
def agent_retry_awb(dn_id):
    session = _warehouse()
    return _after_step(session, dn_id, lambda: fulfilment.retry_awb(dn_id),
                       lambda dn: "Asking the courier again; the AWB appears here once it is booked.")


@web_documents.route("/agent/orders/{order_id}/delivery-notes", methods=["POST"], content_types=FORM)
def agent_create_delivery_note(order_id):
    """A delivery note for all of the order's lines not yet on one."""
    session = _warehouse()
    order_store.get(order_id)
    try:
        dn = fulfilment.create_delivery_note(order_id)
    except (Conflict, ValidationFailed) as exc:
        return redirect(f"/agent/orders/{order_id}", session.cookies, flash={"error": exc.message})
    return redirect(f"/agent/delivery-notes/{dn.id}", session.cookies,
                    flash={"notice": f"Delivery note {dn.number} is ready for packing."})


# --- staff: invoices and payments ---------------------------------------------------------------------------

@web_documents.route("/agent/orders/{order_id}/invoice", methods=["POST"], content_types=FORM)
def agent_issue_invoice(order_id):
    """The order's invoice; its PDF, e-invoice and email follow in the invoicing workflow."""
    session, _ = _finance()
    order_store.get(order_id)
    if invoice_store.for_order(order_id):
        return redirect(f"/agent/orders/{order_id}", session.cookies, flash={"error": "This order has an invoice already."})
    try:
        invoice = invoicing.issue(order_id)
        invoicing.start(order_id)
    except (Conflict, ValidationFailed) as exc:
        return redirect(f"/agent/orders/{order_id}", session.cookies, flash={"error": exc.message})
    return redirect(f"/agent/invoices/{invoice.id}", session.cookies,
                    flash={"notice": f"Invoice {invoice.number} is issued; the PDF and the email to the client follow."})


@web_documents.route("/agent/invoices", methods=["GET"])
def agent_invoices_page():
    session = _invoice_viewer()
    params = query_params()
    status = status_tab(INVOICE_TABS, InvoiceStatus.UNPAID.value)
    found, after = invoice_store.by_status(status, limit=QUEUE_PAGE, after=decode_cursor(params.get("cursor")))
    found = clients.only_own(_viewer(session), found)  # an agent: its own clients' invoices
    return render_page("agent/invoices.html", session, tab=status, tabs=INVOICE_TABS,
                       invoices=[_invoice_view(i, staff=True) for i in found],
                       next_url=_pages("/agent/invoices", {"status": status}, after))


def _staff_invoice_page(session: Session, invoice_id: str, *, status: int = 200, values: dict[str, str] | None = None,
                        error: str | None = None, error_field: str | None = None) -> Any:
    """The invoice with its payments; the record-payment form for finance while it is open.

    After a refused payment: `values` as typed, `error` why, `error_field` the field it is about.
    """
    invoice = _mine(session, invoice_store.get(invoice_id), f"invoice {invoice_id}", "invoice_not_found")
    may_record = role_can(session.principal.role, Capability.MANAGE_INVOICES)
    from chalicelib.web.staff.credit_notes import invoice_credit_notes  # noqa: PLC0415 - the credit notes' block
    return render_page(
        "agent/invoice.html", session, status=status, invoice=_invoice_view(invoice, staff=True),
        credit_notes=invoice_credit_notes(invoice.id),
        may_credit=may_record and invoice.status in ("unpaid", "partially_paid", "paid", "overdue"),
        may_check_einvoice=may_record and invoice.einvoice_status in ("pending", "submitted"),
        payments=[payment_json(p) for p in invoice_store.payments(invoice.id)], **invoice_activity(invoice.id),
        may_record=may_record and InvoiceStatus(invoice.status) in OPEN_STATUSES,
        methods=PAYMENT_METHODS, values=values or {"date": supplier_today().isoformat(), "method": "bank_transfer"},
        error=error, error_field=error_field, today=supplier_today().isoformat(),
    )


@web_documents.route("/agent/invoices/{invoice_id}", methods=["GET"])
def agent_invoice_page(invoice_id):
    return _staff_invoice_page(_invoice_viewer(), invoice_id)


@web_documents.route("/agent/invoices/{invoice_id}/pdf", methods=["GET"])
def agent_invoice_pdf(invoice_id):
    session = _invoice_viewer()
    return _invoice_pdf(_mine(session, invoice_store.get(invoice_id), f"invoice {invoice_id}", "invoice_not_found"))


@web_documents.route("/agent/invoices/{invoice_id}/e-invoice", methods=["GET"])
def agent_e_invoice(invoice_id):
    session = _invoice_viewer()
    return _e_invoice(_mine(session, invoice_store.get(invoice_id), f"invoice {invoice_id}", "invoice_not_found"))


def _payment(form: dict[str, str]) -> dict[str, Any]:
    """The payment as the API's schema takes it (a comma is read as the decimal point), on a day not in the future."""
    typed = {"amount": form.get("amount", "").strip().replace(",", "."), "date": form.get("date", "").strip(),
             "method": form.get("method", ""), "reference": form.get("reference", "").strip() or None}
    body = validate(typed, schemas.PAYMENT)
    try:
        paid_on = date.fromisoformat(body["date"])
    except ValueError as exc:
        raise ValidationFailed(FORM_HINTS["date"], code="invalid_date", field="date") from exc
    if paid_on > supplier_today():
        raise ValidationFailed("The payment's date cannot be in the future.", code="invalid_date", field="date")
    return {"amount": Decimal(body["amount"]), "paid_on": paid_on, "method": body["method"], "reference": body.get("reference")}


@web_documents.route("/agent/invoices/{invoice_id}/payments", methods=["POST"], content_types=FORM)
def agent_record_payment(invoice_id):
    session, form = _finance()
    invoice_store.get(invoice_id)  # 404 page for an unknown invoice
    try:
        paid = invoicing.record_payment(invoice_id, **_payment(form), actor=session.principal.email)
    except (ValidationFailed, Conflict) as exc:
        message = _hint(exc) if isinstance(exc, ValidationFailed) else exc.message
        return _staff_invoice_page(session, invoice_id, status=exc.status, values=form, error=message,
                                   error_field=(exc.field or "").rsplit(".", 1)[-1] or None)
    notice = f"Payment recorded; {paid.amount_due:.2f} {paid.currency} is still due." if paid.amount_due else \
        f"Payment recorded; invoice {paid.number} is paid in full."
    return redirect(f"/agent/invoices/{invoice_id}", session.cookies, flash={"notice": notice})
