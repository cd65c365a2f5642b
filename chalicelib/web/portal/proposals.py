"""The buyer's proposals (quotes) as pages: the list, one proposal (opening it marks it viewed), accept or decline."""
from __future__ import annotations

from urllib.parse import urlencode

from chalicelib.api.http import decode_cursor, encode_cursor
from chalicelib.api.views import proposal_json
from chalicelib.web.kit import FORM, WebBlueprint, buyer_session, form_fields, query_params, redirect, render_page, require_csrf
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.proposals import VISIBLE_TO_CLIENT, ProposalStatus
from chalicelib.services import proposals
from chalicelib.services.ordering import Buyer
from chalicelib.store import proposals as proposal_store
from chalicelib.store.clients import get_client

web_proposals = WebBlueprint(__name__)
LIST_PAGE = 25


def _client_proposal(client_id: str, proposal_id: str):
    proposal = proposal_store.get(proposal_id)
    if proposal.client_id != client_id or ProposalStatus(proposal.status) not in VISIBLE_TO_CLIENT:
        raise NotFound(f"No proposal {proposal_id}.", code="proposal_not_found")
    return proposal


@web_proposals.route("/proposals", methods=["GET"])
def proposals_page():
    session = buyer_session("proposals")
    cursor = query_params().get("cursor")
    found, after = proposal_store.for_client(session.principal.client_id or "", limit=LIST_PAGE, after=decode_cursor(cursor),
                                             visible=tuple(s.value for s in VISIBLE_TO_CLIENT))
    next_url = "/proposals?" + urlencode({"cursor": encode_cursor(after)}) if after else None
    return render_page("portal/proposals.html", session, proposals=[proposal_json(p) for p in found],
                       next_url=next_url, first_page=not cursor)


@web_proposals.route("/proposals/{proposal_id}", methods=["GET"])
def proposal_page(proposal_id):
    session = buyer_session("proposals")
    proposal = proposals.expire_if_due(_client_proposal(session.principal.client_id or "", proposal_id))
    proposal = proposals.viewed(proposal)
    answerable = proposal.status in (ProposalStatus.SENT.value, ProposalStatus.OPEN.value)
    addresses = [a.as_dict() for a in get_client(proposal.client_id).addresses] if answerable else []
    return render_page("portal/proposal.html", session, proposal=proposal_json(proposal), answerable=answerable,
                       addresses=addresses, can_download=bool(session.principal.permissions.get("download_documents")))


@web_proposals.route("/proposals/{proposal_id}/accept", methods=["POST"], content_types=FORM)
def accept_proposal_page(proposal_id):
    session = buyer_session("proposals")
    fields = form_fields()
    require_csrf(fields)
    principal = session.principal
    proposal = _client_proposal(principal.client_id or "", proposal_id)
    try:
        _, order = proposals.accept(proposal, Buyer(principal.user_id, principal.email, principal.client_id or ""),
                                    client_reference=(fields.get("client_reference") or "").strip()[:100] or None,
                                    delivery_address_id=fields.get("delivery_address_id") or None)
    except (Conflict, ValidationFailed) as exc:
        return redirect(f"/proposals/{proposal_id}", session.cookies, flash={"error": exc.message})
    target = f"/orders/{order.id}" if principal.permissions.get("orders") else f"/proposals/{proposal_id}"
    return redirect(target, session.cookies, flash={"notice": f"Proposal accepted: order {order.number} is confirmed."})


@web_proposals.route("/proposals/{proposal_id}/decline", methods=["POST"], content_types=FORM)
def decline_proposal_page(proposal_id):
    session = buyer_session("proposals")
    fields = form_fields()
    require_csrf(fields)
    proposal = _client_proposal(session.principal.client_id or "", proposal_id)
    try:
        proposals.decline(proposal, (fields.get("reason") or "").strip()[:2000] or None)
    except Conflict as exc:
        return redirect(f"/proposals/{proposal_id}", session.cookies, flash={"error": exc.message})
    return redirect(f"/proposals/{proposal_id}", session.cookies, flash={"notice": "You declined the proposal."})
