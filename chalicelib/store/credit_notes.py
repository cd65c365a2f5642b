"""Credit notes: their own gapless series, issued atomically with the invoice's credited amount, the ledger credit
and the client's balance.

Keys (docs/data-model.md "Credit notes"):
  pk CREDITNOTE#<id>, sk CREDITNOTE
  gsi1 CLIENT#<client>#CREDITNOTES / <issue date>#<number>   the client's credit notes (portal list)
  gsi2 INVOICE#<invoice>#CREDITNOTES / <number>             an invoice's credit notes
  gsi3 CREDITNOTES / <issue date>#<number>                  every credit note, newest first (staff list)
"""
from __future__ import annotations

from decimal import Decimal

from pynamodb.attributes import ListAttribute, UnicodeAttribute, UnicodeSetAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.store.attributes import DateAttribute, DecimalAttribute
from chalicelib.store.db import one_page
from chalicelib.store.invoices import _ledger_sk, invoice_pk, status_key
from chalicelib.store.models import ClientItem, Gsi1, Gsi2, Gsi3, InvoiceItem, LedgerEntryItem, LineMap, TableItem, VatMap, client_pk
from chalicelib.store.numbering import save_numbered

SK = "CREDITNOTE"
ALL = "CREDITNOTES"


class CreditNoteItem(TableItem):
    id = UnicodeAttribute()
    number = UnicodeAttribute()
    invoice_id = UnicodeAttribute()
    invoice_number = UnicodeAttribute()
    invoice_issue_date = DateAttribute()
    order_id = UnicodeAttribute()
    order_number = UnicodeAttribute()
    client_id = UnicodeAttribute()
    client_name = UnicodeAttribute()
    contact_email = UnicodeAttribute()
    client_reference = UnicodeAttribute(null=True)
    reason = UnicodeAttribute()
    issue_date = DateAttribute()
    currency = UnicodeAttribute()
    lines = ListAttribute(of=LineMap)
    vat_breakdown = ListAttribute(of=VatMap)
    discount_percent = DecimalAttribute(default=lambda: Decimal(0))
    subtotal = DecimalAttribute()
    vat_total = DecimalAttribute()
    total = DecimalAttribute()
    full = UnicodeAttribute(default="no")  # "yes": it credits everything left on the invoice
    tax_currency = UnicodeAttribute(null=True)
    exchange_rate = DecimalAttribute(null=True)
    vat_total_tax_currency = DecimalAttribute(null=True)
    pdf_key = UnicodeAttribute(null=True)
    xml_key = UnicodeAttribute(null=True)
    notified = UnicodeSetAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    by_client = Gsi1()
    by_invoice = Gsi2()
    everything = Gsi3()


def credit_note_pk(credit_note_id: str) -> str:
    return f"CREDITNOTE#{credit_note_id}"


def issue(note: CreditNoteItem, invoice: InvoiceItem, invoice_status: str) -> CreditNoteItem:
    """Store the credit note with the next CN number, and in the same transaction: the invoice's credited amount
    and status (checked against the invoice's version: two credit notes at once cannot both credit the same
    goods), the ledger credit and the client's lower balance. 409 `stale_version` when the invoice changed."""
    note.pk, note.sk = credit_note_pk(note.id), SK
    entry = LedgerEntryItem(client_pk(note.client_id), "", entry_date=note.issue_date, kind="credit_note", reference="",
                            description=f"Credit note for invoice {invoice.number}: {note.reason}"[:200],
                            debit=Decimal(0), credit=note.total, document_id=note.id)

    def index() -> None:
        note.gsi1pk, note.gsi1sk = f"CLIENT#{note.client_id}#CREDITNOTES", f"{note.issue_date.isoformat()}#{note.number}"
        note.gsi2pk, note.gsi2sk = f"INVOICE#{note.invoice_id}#CREDITNOTES", note.number
        note.gsi3pk, note.gsi3sk = ALL, f"{note.issue_date.isoformat()}#{note.number}"
        entry.sk, entry.reference = _ledger_sk(note.issue_date, note.number), note.number

    invoice_actions = [InvoiceItem.amount_credited.add(note.total), InvoiceItem.status.set(invoice_status),
                       InvoiceItem.gsi3pk.set(status_key(invoice_status))]
    try:
        save_numbered(note, series=f"CN-{note.issue_date.year}", index=index, also_save=[entry],
                      also_update=[(invoice, invoice_actions),
                                   (ClientItem(client_pk(note.client_id), "CLIENT"), [ClientItem.balance.add(-note.total)])],
                      exists_message="This credit note was already issued.")
    except TransactWriteError as exc:  # the invoice's version condition: it changed since it was read
        raise Conflict("The invoice changed meanwhile; try again.", code="stale_version") from exc
    return get(note.id)


def get(credit_note_id: str) -> CreditNoteItem:
    try:
        return CreditNoteItem.get(credit_note_pk(credit_note_id), SK, consistent_read=True)
    except CreditNoteItem.DoesNotExist as exc:
        raise NotFound(f"No credit note {credit_note_id}.", code="credit_note_not_found") from exc


def find(credit_note_id: str) -> CreditNoteItem | None:
    try:
        return get(credit_note_id)
    except NotFound:
        return None


def for_invoice(invoice_id: str) -> list[CreditNoteItem]:
    return list(CreditNoteItem.by_invoice.query(f"INVOICE#{invoice_id}#CREDITNOTES"))


def for_client(client_id: str, *, limit: int, after: str | None) -> tuple[list[CreditNoteItem], str | None]:
    condition = CreditNoteItem.gsi1sk < after if after else None
    return one_page(CreditNoteItem.by_client.query(f"CLIENT#{client_id}#CREDITNOTES", range_key_condition=condition,
                                                   scan_index_forward=False, page_size=limit + 1), limit, "gsi1sk")


def newest(*, limit: int, after: str | None) -> tuple[list[CreditNoteItem], str | None]:
    condition = CreditNoteItem.gsi3sk < after if after else None
    return one_page(CreditNoteItem.everything.query(ALL, range_key_condition=condition, scan_index_forward=False,
                                                    page_size=limit + 1), limit, "gsi3sk")


def set_documents(note: CreditNoteItem, *, pdf_key: str, xml_key: str | None) -> CreditNoteItem:
    actions = [CreditNoteItem.pdf_key.set(pdf_key)]
    if xml_key:
        actions.append(CreditNoteItem.xml_key.set(xml_key))
    note.update(actions=actions)
    return note


def mark_notified(note: CreditNoteItem, key: str) -> bool:
    """Claim the email `key` once (conditional): False when it was already claimed."""
    try:
        note.update(actions=[CreditNoteItem.notified.add({key})],
                    condition=CreditNoteItem.notified.does_not_exist() | ~CreditNoteItem.notified.contains(key))
    except Exception as exc:  # noqa: BLE001 - UpdateError with a failed condition: already sent
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            return False
        raise
    return True


__all__ = ["CreditNoteItem", "issue", "get", "find", "for_invoice", "for_client", "newest", "invoice_pk"]
