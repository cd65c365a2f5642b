"""Posting a comment from the order and proposal pages (buyers and staff); the thread itself is the
`portal/comments.html` include, which reads it through `comments_for` (web/kit.py)."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.access import Capability
from chalicelib.domain.errors import DomainError
from chalicelib.services import comments
from chalicelib.web.kit import FORM, WebBlueprint, buyer_session, form_fields, redirect, require_csrf, staff_session

web_comments = WebBlueprint(__name__)


def _post(kind: str, doc: Any, session: Any, back: str) -> Any:
    form = form_fields()
    require_csrf(form)
    try:
        comments.add(kind, doc, session.principal, form.get("body", ""))
    except DomainError as exc:
        if exc.status != 422:
            raise
        return redirect(back + "#comments", session.cookies, flash={"error": exc.message})
    return redirect(back + "#comments", session.cookies, flash={"notice": "Your comment is posted."})


def _staff_reader() -> Any:
    return staff_session(Capability.VIEW_ORDERS)


@web_comments.route("/orders/{order_id}/comments", methods=["POST"], content_types=FORM)
def buyer_order_comment(order_id):
    session = buyer_session("orders")
    doc = comments.document("order", order_id, session.principal.client_id)
    return _post("order", doc, session, f"/orders/{doc.id}")


@web_comments.route("/proposals/{proposal_id}/comments", methods=["POST"], content_types=FORM)
def buyer_proposal_comment(proposal_id):
    session = buyer_session("proposals")
    doc = comments.document("proposal", proposal_id, session.principal.client_id)
    return _post("proposal", doc, session, f"/proposals/{doc.id}")


@web_comments.route("/agent/orders/{order_id}/comments", methods=["POST"], content_types=FORM)
def staff_order_comment(order_id):
    session = _staff_reader()
    doc = comments.document("order", order_id)
    return _post("order", doc, session, f"/agent/orders/{doc.id}")
