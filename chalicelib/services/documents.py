"""Delivery note PDFs (rendered on first download, kept in S3)."""
from __future__ import annotations

from chalicelib.aws import client
from chalicelib.config import settings as app_settings
from chalicelib.documents.models import DeliveryNoteDocument, DocumentLine, Parcel, Party
from chalicelib.services.invoicing import client_party, download_url, supplier_party
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import orders as order_store
from chalicelib.store.models import DeliveryNoteItem


def delivery_note_document(dn: DeliveryNoteItem) -> DeliveryNoteDocument:
    order = order_store.get(dn.order_id)
    a = order.delivery_address
    unit_prices = {m.sku: m for m in order.lines}
    return DeliveryNoteDocument(
        number=dn.number, issue_date=dn.created_at.date(), order_number=dn.order_number,
        supplier=supplier_party(), client=client_party(dn.client_id),
        delivery_address=Party(order.client_name, None, a.line1, a.city, a.postcode, a.country),
        lines=[DocumentLine(m.sku, m.name, m.qty, m.unit, unit_prices[m.sku].unit_price, unit_prices[m.sku].vat_rate,
                            unit_prices[m.sku].unit_price * m.qty) for m in dn.lines],
        parcels=[Parcel(p.weight_kg, p.length_cm, p.width_cm, p.height_cm) for p in dn.parcels],
        courier=dn.courier, awb=dn.awb,
        backorder_note=f"Back-ordered items follow on {dn.backorder_id}." if dn.backorder_id else None,
    )


def delivery_note_pdf_url(dn: DeliveryNoteItem) -> str:
    """A short-lived download link; the PDF is rendered once the note has its AWB (earlier ones are re-rendered)."""
    key = f"delivery-notes/{dn.client_id}/{dn.number}{'-' + dn.awb if dn.awb else ''}.pdf"
    if dn.pdf_key != key:
        from chalicelib.documents import pdf  # noqa: PLC0415 - heavy; only downloads need it

        client("s3").put_object(Bucket=app_settings().documents_bucket, Key=key,
                                Body=pdf.render_delivery_note(delivery_note_document(dn)), ContentType="application/pdf")
        dn_store.change(dn, actions=(DeliveryNoteItem.pdf_key.set(key),))
    return download_url(key, f"{dn.number}.pdf")
