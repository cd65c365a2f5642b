"""Comments on orders and proposals between the client's contacts and the supplier's staff; each new comment is
emailed to the other side (client contacts who may see the document and want comment emails; the client's agent,
or the sales managers when it has none)."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.proposals import VISIBLE_TO_CLIENT, ProposalStatus
from chalicelib.services import mail
from chalicelib.services.people import Actor
from chalicelib.store import comments as store
from chalicelib.store import orders as order_store
from chalicelib.store import proposals as proposal_store
from chalicelib.store import users as user_store
from chalicelib.store.clients import get_client
from chalicelib.store.comments import CommentItem

KINDS = {"order": "orders", "proposal": "proposals"}  # document kind -> the portal permission that shows it
MAX_BODY = 4000


def document(kind: str, document_id: str, client_id: str | None = None) -> Any:
    """The order or proposal; with `client_id`, only that client's (and for proposals only those it may see)."""
    if kind == "order":
        return order_store.get_for_client(document_id, client_id) if client_id else order_store.get(document_id)
    found = proposal_store.get(document_id)
    if client_id and (found.client_id != client_id or ProposalStatus(found.status) not in VISIBLE_TO_CLIENT):
        raise NotFound(f"No proposal {document_id}.", code="proposal_not_found")
    return found


def thread(kind: str, document_id: str, *, limit: int = 200, after: str | None = None) -> tuple[list[CommentItem], str | None]:
    return store.thread(kind, document_id, limit=limit, after=after)


def add(kind: str, doc: Any, author: Actor, body: str) -> CommentItem:
    """Add a comment as `author` (client side for buyers, supplier side for staff) and tell the other side."""
    text = (body or "").strip()
    if not text:
        raise ValidationFailed("Write something first.", code="missing_field", field="body")
    if len(text) > MAX_BODY:
        raise ValidationFailed(f"A comment is at most {MAX_BODY} characters.", code="invalid_value", field="body")
    side = "client" if author.role == "buyer" else "supplier"
    comment = store.add(kind, doc.id, author_id=author.user_id, author_name=author.name, author_side=side, body=text)
    _notify(kind, doc, comment)
    return comment


def _notify(kind: str, doc: Any, comment: CommentItem) -> None:
    path = f"/{kind}s/{doc.id}"
    if comment.author_side == "client":
        recipients = _supplier_side(doc.client_id)
        path = f"/agent/orders/{doc.id}" if kind == "order" else path
    else:
        permission = KINDS[kind]
        recipients = [c for c in user_store.contacts_of(doc.client_id)
                      if c.permissions and getattr(c.permissions, permission, False) and (c.status or "active") == "active"]
    for person in recipients:
        if person.id == comment.author_id:
            continue
        mail.send("comment_added", person.email, name=person.name, author=comment.author_name, kind=kind,
                  number=doc.number, body=comment.body, path=path, client_name=get_client(doc.client_id).name)


def _supplier_side(client_id: str) -> list[Any]:
    client = get_client(client_id)
    agent = user_store.find_user(client.sale_agent_id) if client.sale_agent_id else None
    return [agent] if agent is not None else user_store.staff_with_roles(("manager",))


def comment_json(c: CommentItem) -> dict[str, Any]:
    return {"id": c.id, "author_name": c.author_name, "author_side": c.author_side, "body": c.body, "at": c.at}
