"""e-Factura: a Romanian supplier's invoices go to ANAF as a step of the invoicing workflow.

  pending   -> submit (upload the UBL already in S3)          -> submitted (ANAF's index_incarcare stored)
  submitted -> poll (stareMesaj) every minute in the workflow -> accepted (ok) / rejected (nok, with ANAF's messages)

Every step is safe to retry: submit does nothing once an upload id is stored (the conditional write makes a
second upload of the same invoice impossible from two parallel attempts); poll only moves `submitted`.
A rejection, or a submission the workflow gave up on, gives finance a task with the reason.
"""
from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib import config as app_config
from chalicelib.adapters import anaf
from chalicelib.aws import client
from chalicelib.config import settings as app_settings
from chalicelib.domain.errors import Conflict
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store import users as user_store
from chalicelib.store.models import InvoiceItem

logger = Logger(service="b2b-portal", child=True)
STATUSES = ("not_applicable", "pending", "submitted", "accepted", "rejected")
# invoicing.asl.json is an Express workflow (five minutes at most): polls every POLL_SECONDS, MAX_POLLS of them.
# Still "in prelucrare" after that: the invoice stays `submitted`, finance gets a task and checks ANAF again
# from the invoice page (POST /admin/invoices/{id}/e-invoice/check).
POLL_SECONDS = 20
MAX_POLLS = 12


def poll_seconds() -> int:
    """Seconds between polls; 1 on the local stack, whose sandbox answers at once (its first answer is "in prelucrare")."""
    return int(os.environ.get("EINVOICE_POLL_SECONDS") or (1 if app_settings().is_local else POLL_SECONDS))


def applies(invoice: InvoiceItem) -> bool:
    return (invoice.einvoice_status or "not_applicable") != "not_applicable"


def submit(invoice_id: str) -> dict[str, Any]:
    """Upload the invoice's UBL to ANAF (once). Returns the workflow's view: {status, done}."""
    invoice = invoice_store.get(invoice_id)
    if not applies(invoice) or invoice.einvoice_status != "pending" or invoice.einvoice_upload_id:
        return _out(invoice)
    if not invoice.xml_key:
        raise Conflict(f"Invoice {invoice.number} has no e-invoice XML yet.", code="e_invoice_not_found")
    xml = client("s3").get_object(Bucket=app_settings().documents_bucket, Key=invoice.xml_key)["Body"].read()
    upload = anaf.gateway_from_env().upload(xml, cif=app_config.supplier().vat_number, standard="UBL")
    if upload.upload_id is None:
        return _out(_reject(invoice, upload.errors))
    try:
        invoice = invoice_store.change(invoice, status=None, actions=(
            InvoiceItem.einvoice_status.set("submitted"), InvoiceItem.einvoice_upload_id.set(upload.upload_id),
            InvoiceItem.einvoice_messages.set([f"Uploaded to ANAF e-Factura (upload index {upload.upload_id})."])),
            condition=InvoiceItem.einvoice_upload_id.does_not_exist())
    except Conflict:
        invoice = invoice_store.get(invoice_id)  # a parallel attempt stored its upload first
    return _out(invoice)


def poll(invoice_id: str, polls: int = 0) -> dict[str, Any]:
    """Ask ANAF how the upload went; `done` False while ANAF is still processing it."""
    invoice = invoice_store.get(invoice_id)
    if invoice.einvoice_status != "submitted" or not invoice.einvoice_upload_id:
        return _out(invoice)
    gateway = anaf.gateway_from_env()
    state = gateway.state(invoice.einvoice_upload_id)
    if state.processing:
        if polls + 1 >= MAX_POLLS:
            raise anaf.EInvoiceStillProcessing(f"ANAF is still processing upload {invoice.einvoice_upload_id} after "
                                           f"{MAX_POLLS} polls; check it again from the invoice page.")
        return {**_out(invoice), "done": False, "polls": polls + 1}
    archive = gateway.download(state.download_id) if state.download_id else b""
    if archive:
        key = f"einvoices/{invoice.client_id}/{invoice.number}-anaf-{state.download_id}.zip"
        client("s3").put_object(Bucket=app_settings().documents_bucket, Key=key, Body=archive, ContentType="application/zip")
    if state.state == anaf.OK:
        invoice = _set(invoice, "accepted", [*invoice.einvoice_messages,
                                             f"Accepted by ANAF (download id {state.download_id}); the signed invoice is stored."],
                       download_id=state.download_id)
        return _out(invoice)
    messages = state.errors + anaf.messages_in(archive) or [f"ANAF answered {state.state!r} without a message."]
    return _out(_reject(invoice, messages, download_id=state.download_id))


def give_up(invoice_id: str, error: Any) -> dict[str, Any]:
    """The workflow could not reach a verdict (ANAF down for long, refused token): a finance task, the invoice says why."""
    invoice = invoice_store.get(invoice_id)
    cause = error.get("Cause") if isinstance(error, dict) else str(error)
    message = f"Submission to ANAF failed and needs a person: {str(cause or 'unknown error')[:300]}"
    if invoice.einvoice_status in ("accepted", "rejected"):
        return _out(invoice)
    invoice = _set(invoice, invoice.einvoice_status or "pending", [*invoice.einvoice_messages, message])
    _finance_task(invoice, f"e-Factura: submit invoice {invoice.number} to ANAF by hand or retry: {message}")
    return _out(invoice)


def _reject(invoice: InvoiceItem, messages: list[str], download_id: str | None = None) -> InvoiceItem:
    invoice = _set(invoice, "rejected", messages, download_id=download_id)
    _finance_task(invoice, f"e-Factura: ANAF rejected invoice {invoice.number}: {'; '.join(messages)[:300]}")
    return invoice


def _set(invoice: InvoiceItem, status: str, messages: list[str], download_id: str | None = None) -> InvoiceItem:
    actions = [InvoiceItem.einvoice_status.set(status), InvoiceItem.einvoice_messages.set([m[:1000] for m in messages][:50])]
    if download_id:
        actions.append(InvoiceItem.einvoice_download_id.set(download_id))
    for _attempt in range(10):
        try:
            return invoice_store.change(invoice, actions=tuple(actions))
        except Conflict:
            invoice = invoice_store.get(invoice.id)  # a payment meanwhile: the e-invoice fields are ours alone
    raise Conflict("The invoice keeps changing; the step is retried.", code="stale_version")


def _finance_task(invoice: InvoiceItem, title: str) -> None:
    people = user_store.staff_with_roles(("finance",)) or user_store.staff_with_roles(("admin",))
    if people:
        order_store.add_task(invoice.order_id, f"einvoice_{invoice.id}", people[0].id, title)


def _out(invoice: InvoiceItem) -> dict[str, Any]:
    status = invoice.einvoice_status or "not_applicable"
    return {"invoice_id": invoice.id, "einvoice_status": status, "done": status != "submitted", "polls": 0,
            "wait_seconds": poll_seconds()}
