"""Comments on orders and proposals, for the client's contacts (/portal/...) and the supplier's staff (/admin/...)."""
from __future__ import annotations

from chalicelib.api import schemas
from chalicelib.api.http import (
    ApiBlueprint, decode_cursor, encode_cursor, json_body, json_response, page, page_params, validate,
)
from chalicelib.api.security import require_portal, require_staff, token_authorizer
from chalicelib.domain.access import Capability
from chalicelib.services import comments

comments_api = ApiBlueprint(__name__)


def _listed(kind: str, doc_id: str):
    limit, cursor = page_params(comments_api.current_request)
    found, after = comments.thread(kind, doc_id, limit=limit, after=decode_cursor(cursor))
    return json_response(page([comments.comment_json(c) for c in found], encode_cursor(after)))


def _portal(kind: str, doc_id: str):
    buyer = require_portal(comments_api.current_request, comments.KINDS[kind])
    return buyer, comments.document(kind, doc_id, buyer.client_id)


def _staff(kind: str, doc_id: str, capability: Capability):
    staff = require_staff(comments_api.current_request, capability)
    return staff, comments.document(kind, doc_id)


def _body() -> dict:
    return json_body(comments_api.current_request)


def _posted(kind: str, doc, author, body: dict):
    return json_response(comments.comment_json(comments.add(kind, doc, author, body["body"])), status=201)


@comments_api.route("/portal/orders/{order_id}/comments", methods=["GET"], authorizer=token_authorizer)
def portal_order_comments(order_id):
    _, doc = _portal("order", order_id)
    return _listed("order", doc.id)


@comments_api.route("/portal/orders/{order_id}/comments", methods=["POST"], authorizer=token_authorizer)
def portal_order_comment(order_id):
    buyer, doc = _portal("order", order_id)
    return _posted("order", doc, buyer, validate(_body(), schemas.COMMENT))


@comments_api.route("/portal/proposals/{proposal_id}/comments", methods=["GET"], authorizer=token_authorizer)
def portal_proposal_comments(proposal_id):
    _, doc = _portal("proposal", proposal_id)
    return _listed("proposal", doc.id)


@comments_api.route("/portal/proposals/{proposal_id}/comments", methods=["POST"], authorizer=token_authorizer)
def portal_proposal_comment(proposal_id):
    buyer, doc = _portal("proposal", proposal_id)
    return _posted("proposal", doc, buyer, validate(_body(), schemas.COMMENT))


@comments_api.route("/admin/orders/{order_id}/comments", methods=["GET"], authorizer=token_authorizer)
def admin_order_comments(order_id):
    _, doc = _staff("order", order_id, Capability.VIEW_ORDERS)
    return _listed("order", doc.id)


@comments_api.route("/admin/orders/{order_id}/comments", methods=["POST"], authorizer=token_authorizer)
def admin_order_comment(order_id):
    staff, doc = _staff("order", order_id, Capability.VIEW_ORDERS)
    return _posted("order", doc, staff, validate(_body(), schemas.COMMENT))


@comments_api.route("/admin/proposals/{proposal_id}/comments", methods=["GET"], authorizer=token_authorizer)
def admin_proposal_comments(proposal_id):
    _, doc = _staff("proposal", proposal_id, Capability.VIEW_ORDERS)
    return _listed("proposal", doc.id)


@comments_api.route("/admin/proposals/{proposal_id}/comments", methods=["POST"], authorizer=token_authorizer)
def admin_proposal_comment(proposal_id):
    staff, doc = _staff("proposal", proposal_id, Capability.VIEW_ORDERS)
    return _posted("proposal", doc, staff, validate(_body(), schemas.COMMENT))
