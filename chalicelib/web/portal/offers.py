"""Order and proposal PDFs, and the buyer's one-click answer to a Sales Order the sales team sent: Accept (with an optional PO number and
delivery address) or Decline (with an optional reason), from the order's page."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.proposals import VISIBLE_TO_CLIENT, ProposalStatus
from chalicelib.services import offer_documents, staff_orders
from chalicelib.services.ordering import Buyer
from chalicelib.store import orders as order_store
from chalicelib.store import proposals as proposal_store
from chalicelib.web.kit import FORM, WebBlueprint, buyer_session, form_fields, redirect, require_csrf

web_offers = WebBlueprint(__name__)


def _answer(order_id: str, answer: Any, done: str) -> Any:
    session = buyer_session("place_orders")
    form = form_fields()
    require_csrf(form)
    principal = session.principal
    order = order_store.get_for_client(order_id, principal.client_id or "")
    buyer = Buyer(principal.user_id, principal.email, principal.client_id or "")
    try:
        answer(order, buyer, form)
    except (Conflict, ValidationFailed) as exc:
        return redirect(f"/orders/{order_id}", session.cookies, flash={"error": exc.message})
    return redirect(f"/orders/{order_id}", session.cookies, flash={"notice": done})


@web_offers.route("/orders/{order_id}/accept", methods=["POST"], content_types=FORM)
def accept_offer(order_id):
    return _answer(order_id, lambda order, buyer, form: staff_orders.accept(
        order, buyer, client_reference=(form.get("client_reference") or "").strip()[:100] or None,
        delivery_address_id=form.get("delivery_address_id") or None),
        "You accepted the order; we are preparing it.")


@web_offers.route("/orders/{order_id}/decline", methods=["POST"], content_types=FORM)
def decline_offer(order_id):
    return _answer(order_id, lambda order, buyer, form: staff_orders.decline(
        order, buyer, (form.get("reason") or "").strip()[:2000] or None), "You declined the order.")


@web_offers.route("/orders/{order_id}/pdf", methods=["GET"])
def order_pdf_download(order_id):
    """Every order as a PDF (download_documents): a short-lived link to the rendered file."""
    session = buyer_session("download_documents")
    order = order_store.get_for_client(order_id, session.principal.client_id or "")
    return redirect(offer_documents.order_pdf_url(order), session.cookies)


@web_offers.route("/proposals/{proposal_id}/pdf", methods=["GET"])
def proposal_pdf_download(proposal_id):
    session = buyer_session("download_documents")
    proposal = proposal_store.get(proposal_id)
    if proposal.client_id != session.principal.client_id or ProposalStatus(proposal.status) not in VISIBLE_TO_CLIENT:
        raise NotFound(f"No proposal {proposal_id}.", code="proposal_not_found")
    return redirect(offer_documents.proposal_pdf_url(proposal), session.cookies)
