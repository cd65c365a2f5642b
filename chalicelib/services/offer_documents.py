"""PDFs of Sales Orders (every order, whatever its origin) and proposals: rendered on download, kept in S3 under a
key that names the version, handed out as a short-lived link."""
from __future__ import annotations

from chalicelib.aws import client
from chalicelib.config import settings as app_settings
from chalicelib.domain.orders import order_totals
from chalicelib.domain.vocabulary import label
from chalicelib.services.invoicing import client_party, download_url, supplier_party
from chalicelib.services.ordering import as_line
from chalicelib.store.models import LineMap, OrderItem, ProposalItem


def _document_lines(lines: list[LineMap]) -> list:
    from chalicelib.documents.models import DocumentLine  # noqa: PLC0415

    return [DocumentLine(m.sku, m.name, m.qty, m.unit, m.unit_price, m.vat_rate, m.line_total) for m in lines]


def _vat(lines: list[LineMap], discount):
    from chalicelib.documents.models import VatBreakdown  # noqa: PLC0415

    totals = order_totals([as_line(m) for m in lines], discount)
    return [VatBreakdown(rate, totals.net_by_rate[rate], vat) for rate, vat in sorted(totals.vat_by_rate.items())]


def _store(key: str, body: bytes, filename: str) -> str:
    client("s3").put_object(Bucket=app_settings().documents_bucket, Key=key, Body=body, ContentType="application/pdf")
    return download_url(key, filename)


def order_pdf_url(order: OrderItem) -> str:
    from chalicelib.documents import pdf  # noqa: PLC0415 - heavy; only downloads need it
    from chalicelib.documents.models import Party  # noqa: PLC0415

    a = order.delivery_address
    doc = pdf.OfferDocument(
        title="Sales Order", number=order.number, issue_date=order.created_at.date(),
        status=label(order.status, "order_status"), currency=order.currency, supplier=supplier_party(),
        client=client_party(order.client_id), delivery_address=Party(a.label, None, a.line1, a.city, a.postcode, a.country),
        lines=_document_lines(order.lines), vat_breakdown=_vat(order.lines, order.discount_percent),
        subtotal=order.subtotal, discount_percent=order.discount_percent, vat_total=order.vat_total, total=order.total,
        valid_until=order.valid_until if order.status == "sent" else None, client_reference=order.client_reference,
        notes=order.notes)
    key = f"orders/{order.client_id}/{order.number}-v{order.version}.pdf"
    return _store(key, pdf.render_offer(doc), f"{order.number}.pdf")


def proposal_pdf_url(proposal: ProposalItem) -> str:
    from chalicelib.documents import pdf  # noqa: PLC0415
    from decimal import Decimal  # noqa: PLC0415

    doc = pdf.OfferDocument(
        title="Proposal", number=proposal.number, issue_date=proposal.created_at.date(),
        status=label(proposal.status, "proposal_status"), currency=proposal.currency, supplier=supplier_party(),
        client=client_party(proposal.client_id), delivery_address=None, lines=_document_lines(proposal.lines),
        vat_breakdown=_vat(proposal.lines, Decimal(0)), subtotal=proposal.subtotal, discount_percent=Decimal(0),
        vat_total=proposal.vat_total, total=proposal.total, valid_until=proposal.valid_until, notes=proposal.message)
    key = f"proposals/{proposal.client_id}/{proposal.number}-v{proposal.version}.pdf"
    return _store(key, pdf.render_offer(doc), f"{proposal.number}.pdf")
