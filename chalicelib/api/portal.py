"""/portal/*: a buyer's own view, always scoped to the client of the verified token."""
from __future__ import annotations

from chalicelib.api import schemas
from chalicelib.api.http import (
    ApiBlueprint, decode_cursor, encode_cursor, json_body, json_response, page, page_params, validate,
)
from chalicelib.api.security import require_portal, token_authorizer
from datetime import date
from typing import Any

from chalice import Response

from chalicelib.api.views import (
    catalogue_json, delivery_note_json, invoice_json, order_json, proposal_json, statement_json,
)
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.proposals import VISIBLE_TO_CLIENT, ProposalStatus
from chalicelib.services import catalogue, clients, documents, invoicing, ordering, payments, proposals, review, timeline
from chalicelib.services.ordering import Buyer
from chalicelib.services.pricing import supplier_today
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store import proposals as proposal_store
from chalicelib.store.clients import get_client

portal_api = ApiBlueprint(__name__)


@portal_api.route("/portal/me", methods=["GET"], authorizer=token_authorizer)
def me():
    buyer = require_portal(portal_api.current_request)
    client = get_client(buyer.client_id)
    return json_response({
        "contact": {"id": buyer.user_id, "email": buyer.email, "name": buyer.name},
        "client": {"id": client.id, "name": client.name},
        "permissions": buyer.permissions,
    })


def stock_visible_to(buyer: Any) -> bool:
    """Stock shows with the contact's view_stock permission and its client's (or the global) stock setting."""
    return buyer.permissions.get("view_stock", False) and clients.stock_visible(buyer.permissions, get_client(buyer.client_id))


@portal_api.route("/portal/catalogue", methods=["GET"], authorizer=token_authorizer)
def browse_catalogue():
    request = portal_api.current_request
    buyer = require_portal(request)
    limit, cursor = page_params(request)
    params = request.query_params or {}
    category, query = params.get("category") or None, params.get("q") or None
    for name, value in (("category", category), ("q", query)):
        if value and len(value) > 100:
            raise ValidationFailed(f"{name} is at most 100 characters.", code="invalid_value", field=name)
    result = catalogue.browse(buyer.client_id, category=category, query=query, limit=limit, after_sku=decode_cursor(cursor))
    show_stock = stock_visible_to(buyer)
    return json_response(page([catalogue_json(e, show_stock=show_stock) for e in result.entries], encode_cursor(result.after_sku)))


@portal_api.route("/portal/catalogue/{sku}", methods=["GET"], authorizer=token_authorizer)
def catalogue_item(sku):
    buyer = require_portal(portal_api.current_request)
    entry = catalogue.one(buyer.client_id, sku)
    return json_response(catalogue_json(entry, show_stock=stock_visible_to(buyer)))


# --- orders ----------------------------------------------------------------------------

def _buyer(permission: str) -> Buyer:
    principal = require_portal(portal_api.current_request, permission)
    return Buyer(principal.user_id, principal.email, principal.client_id)


@portal_api.route("/portal/orders", methods=["POST"], authorizer=token_authorizer)
def place_order():
    request = portal_api.current_request
    buyer = _buyer("place_orders")
    body = validate(json_body(request), schemas.ORDER)
    key = _idempotency_key(request)
    order = ordering.place_idempotent(buyer, body, key, portal_api.lambda_context)
    return json_response(order_json(order), status=201)


def _idempotency_key(request) -> str | None:
    key = (request.headers.get("idempotency-key") or "").strip() or None
    if key and len(key) > 200:
        raise ValidationFailed("Idempotency-Key is at most 200 characters.", code="invalid_value", field="Idempotency-Key")
    return key


@portal_api.route("/portal/orders", methods=["GET"], authorizer=token_authorizer)
def list_orders():
    buyer = _buyer("orders")
    limit, cursor = page_params(portal_api.current_request)
    orders, after = order_store.for_client(buyer.client_id, limit=limit, after=decode_cursor(cursor))
    return json_response(page([order_json(o) for o in orders], encode_cursor(after)))


@portal_api.route("/portal/orders/{order_id}", methods=["GET"], authorizer=token_authorizer)
def my_order(order_id):
    principal = require_portal(portal_api.current_request, "orders")
    order = order_store.get_for_client(order_id, principal.client_id)
    notes = dn_store.for_order(order_id) if principal.permissions.get("deliveries") else []
    invoices = invoice_store.for_order(order_id) if principal.permissions.get("invoices") else []
    history = order_store.history(order_id)
    body = order_json(order, history=history, delivery_notes=notes, invoices=invoices)
    body["timeline"] = timeline.order_timeline(
        order_id, buyer=True, deliveries=bool(principal.permissions.get("deliveries")),
        invoices=bool(principal.permissions.get("invoices")),
        loaded=timeline.Loaded(order=order, history=history, notes=notes, invoices=invoices))
    return json_response(body)


@portal_api.route("/portal/orders/{order_id}/accept-changes", methods=["POST"], authorizer=token_authorizer)
def accept_changes(order_id):
    buyer = _buyer("place_orders")
    order = review.accept_changes(order_store.get_for_client(order_id, buyer.client_id), buyer.email)
    return json_response(order_json(order))


@portal_api.route("/portal/orders/{order_id}/decline-changes", methods=["POST"], authorizer=token_authorizer)
def decline_changes(order_id):
    buyer = _buyer("place_orders")
    order = review.decline_changes(order_store.get_for_client(order_id, buyer.client_id), buyer.email)
    return json_response(order_json(order))


@portal_api.route("/portal/orders/{order_id}/reorder", methods=["POST"], authorizer=token_authorizer)
def reorder(order_id):
    request = portal_api.current_request
    key = _idempotency_key(request)
    result = ordering.reorder_idempotent(_buyer("place_orders"), order_id, key, portal_api.lambda_context)
    return json_response({**order_json(result.order), "skipped": result.skipped}, status=201)


# --- deliveries, invoices, statement ------------------------------------------------------------

@portal_api.route("/portal/deliveries", methods=["GET"], authorizer=token_authorizer)
def list_deliveries():
    buyer = _buyer("deliveries")
    limit, cursor = page_params(portal_api.current_request)
    notes, after = dn_store.for_client(buyer.client_id, limit=limit, after=decode_cursor(cursor))
    return json_response(page([delivery_note_json(dn) for dn in notes], encode_cursor(after)))


@portal_api.route("/portal/deliveries/{dn_id}/pdf", methods=["GET"], authorizer=token_authorizer)
def delivery_pdf(dn_id):
    buyer = _buyer("download_documents")
    dn = dn_store.find(dn_id)
    if dn is None or dn.client_id != buyer.client_id:
        raise NotFound(f"No delivery {dn_id}.", code="delivery_note_not_found")
    return _redirect(documents.delivery_note_pdf_url(dn))


@portal_api.route("/portal/invoices", methods=["GET"], authorizer=token_authorizer)
def my_invoices():
    buyer = _buyer("invoices")
    limit, cursor = page_params(portal_api.current_request)
    found, after = invoice_store.for_client(buyer.client_id, limit=limit, after=decode_cursor(cursor), include_drafts=False)
    return json_response(page([invoice_json(i) for i in found], encode_cursor(after)))


def _client_invoice(invoice_id: str, client_id: str):
    invoice = invoice_store.find(invoice_id)
    if invoice is None or invoice.client_id != client_id or invoice.status == "draft":
        raise NotFound(f"No invoice {invoice_id}.", code="invoice_not_found")
    return invoice


@portal_api.route("/portal/invoices/{invoice_id}", methods=["GET"], authorizer=token_authorizer)
def invoice_detail(invoice_id):
    buyer = _buyer("invoices")
    return json_response(invoice_json(_client_invoice(invoice_id, buyer.client_id)))


@portal_api.route("/portal/invoices/{invoice_id}/pdf", methods=["GET"], authorizer=token_authorizer)
def invoice_pdf(invoice_id):
    buyer = _buyer("download_documents")
    invoice = _client_invoice(invoice_id, buyer.client_id)
    if not invoice.pdf_key:
        invoice = invoicing.render_documents(invoice.id)
    return _redirect(invoicing.download_url(invoice.pdf_key, f"{invoice.number}.pdf"))


@portal_api.route("/portal/invoices/{invoice_id}/e-invoice", methods=["GET"], authorizer=token_authorizer)
def invoice_xml(invoice_id):
    buyer = _buyer("download_documents")
    invoice = _client_invoice(invoice_id, buyer.client_id)
    if not invoice.xml_key:
        raise NotFound("This invoice has no e-invoice (the client has no VAT number).", code="e_invoice_not_found")
    return _redirect(invoicing.download_url(invoice.xml_key, f"{invoice.number}.xml"))


@portal_api.route("/portal/invoices/{invoice_id}/pay", methods=["POST"], authorizer=token_authorizer)
def pay_online(invoice_id):
    buyer = _buyer("invoices")
    invoice = _client_invoice(invoice_id, buyer.client_id)
    session = payments.start_checkout(invoice, buyer.email)
    return json_response({"checkout_url": session.url, "session_id": session.id}, status=201)


@portal_api.route("/portal/statement", methods=["GET"], authorizer=token_authorizer)
def account_statement():
    buyer = _buyer("invoices")
    period_from, period_to = _period(portal_api.current_request.query_params or {})
    doc = invoicing.statement(buyer.client_id, period_from, period_to)
    return json_response(statement_json(doc))


@portal_api.route("/portal/statement/pdf", methods=["GET"], authorizer=token_authorizer)
def account_statement_pdf():
    buyer = _buyer("download_documents")
    period_from, period_to = _period(portal_api.current_request.query_params or {})
    return _redirect(invoicing.statement_pdf_url(buyer.client_id, period_from, period_to))


def _period(params: dict) -> tuple[date, date]:
    today = supplier_today()
    try:
        period_from = date.fromisoformat(params["from"]) if params.get("from") else today.replace(day=1)
    except ValueError as exc:
        raise ValidationFailed("from must be a date like 2026-11-01.", code="invalid_date", field="from") from exc
    try:
        period_to = date.fromisoformat(params["to"]) if params.get("to") else today
    except ValueError as exc:
        raise ValidationFailed("to must be a date like 2026-11-30.", code="invalid_date", field="to") from exc
    return period_from, period_to


def _redirect(url: str) -> Response:
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"})


# --- proposals ----------------------------------------------------------------------------------------

def _client_proposal(proposal_id: str, client_id: str):
    proposal = proposal_store.get(proposal_id)
    if proposal.client_id != client_id or ProposalStatus(proposal.status) not in VISIBLE_TO_CLIENT:
        raise NotFound(f"No proposal {proposal_id}.", code="proposal_not_found")
    return proposal


@portal_api.route("/portal/proposals", methods=["GET"], authorizer=token_authorizer)
def my_proposals():
    buyer = _buyer("proposals")
    limit, cursor = page_params(portal_api.current_request)
    found, after = proposal_store.for_client(buyer.client_id, limit=limit, after=decode_cursor(cursor),
                                             visible=tuple(s.value for s in VISIBLE_TO_CLIENT))
    return json_response(page([proposal_json(p) for p in found], encode_cursor(after)))


@portal_api.route("/portal/proposals/{proposal_id}", methods=["GET"], authorizer=token_authorizer)
def my_proposal(proposal_id):
    buyer = _buyer("proposals")
    proposal = proposals.expire_if_due(_client_proposal(proposal_id, buyer.client_id))
    return json_response(proposal_json(proposals.viewed(proposal)))


@portal_api.route("/portal/proposals/{proposal_id}/accept", methods=["POST"], authorizer=token_authorizer)
def accept_proposal(proposal_id):
    buyer = _buyer("proposals")
    body = validate(json_body(portal_api.current_request), schemas.OFFER_ACCEPT)
    proposal, order = proposals.accept(_client_proposal(proposal_id, buyer.client_id), buyer,
                                       client_reference=body.get("client_reference"),
                                       delivery_address_id=body.get("delivery_address_id"))
    return json_response({**proposal_json(proposal), "order": order_json(order)})


@portal_api.route("/portal/proposals/{proposal_id}/decline", methods=["POST"], authorizer=token_authorizer)
def decline_proposal(proposal_id):
    buyer = _buyer("proposals")
    body = validate(json_body(portal_api.current_request), schemas.DECLINE_PROPOSAL)
    reason = (body.get("reason") or "").strip() or None
    return json_response(proposal_json(proposals.decline(_client_proposal(proposal_id, buyer.client_id), reason)))
