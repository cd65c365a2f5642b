"""Orders that arrive as files: a client's spreadsheet uploaded by staff, or emailed by a contact. Both become a
draft Sales Order in the review queue (origin `upload` / `email`); the same file for the same client again is the
same order (the file's SHA-256 and the client name it); bad lines go back to whoever sent the file."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from chalicelib.aws import client as aws_client
from chalicelib.config import settings
from chalicelib.domain.errors import Conflict, ValidationFailed, referenced
from chalicelib.domain.order_files import RowError
from chalicelib.services import clients, mail, order_files, ordering
from chalicelib.services.ordering import Buyer
from chalicelib.store import intake as intake_store
from chalicelib.store import orders as order_store
from chalicelib.store import users as user_store
from chalicelib.store.clients import get_client
from chalicelib.store.models import OrderItem, UserItem

logger = Logger(service="b2b-portal", child=True)

ORDER_FILE_TYPES = (".csv", ".xlsx", ".xlsm", ".txt")
MAX_EMAIL_BYTES = 10_000_000


@dataclass
class Intake:
    """What became of a file: its order (None when nothing in it could be ordered), whether this call created it,
    and the rows that could not be ordered."""

    order: OrderItem | None
    created: bool
    errors: list[RowError] = field(default_factory=list)


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _intake_order_id(client_id: str, digest: str) -> str:
    return f"so_{hashlib.sha256(f'intake:{client_id}:{digest}'.encode()).hexdigest()[:16]}"


def _ordering_contact(client_id: str) -> UserItem:
    """Whom an uploaded order is placed for: the client's first contact who may place orders."""
    contacts = [c for c in user_store.contacts_of(client_id) if c.permissions and c.permissions.place_orders]
    if not contacts:
        raise ValidationFailed("This client has no portal contact who may place orders; add one first.",
                               code="no_ordering_contact", field="client_id")
    return sorted(contacts, key=lambda c: c.email)[0]


def receive(client_id: str, filename: str, content: bytes, *, origin: str, sender: str,
            contact: UserItem | None = None, client_reference: str | None = None) -> Intake:
    """A file of order lines for a client becomes one draft order (once per file content)."""
    client = referenced(lambda: get_client(client_id), field="client_id", code="unknown_client")
    digest = content_hash(content)
    known = intake_store.find(client.id, digest)
    if known is not None:
        errors = [RowError(e.row, e.sku, e.code, e.message) for e in known.errors]
        return Intake(order_store.get(known.order_id) if known.order_id else None, False, errors)
    parsed = order_files.read(content, filename=filename)
    checked = order_files.check_lines(client, parsed.lines) if parsed.lines else []
    errors = sorted([*parsed.errors, *(c.problem for c in checked if c.problem)], key=lambda e: e.row)
    good = [c for c in checked if c.line is not None]
    order = None
    if good:
        contact = contact or _ordering_contact(client.id)
        body = {"lines": [{"sku": c.sku, "qty": c.qty} for c in good],
                "client_reference": (client_reference or "").strip()[:100] or None,
                "notes": f"Received as {filename[:150]} ({'email from ' + sender if origin == 'email' else 'uploaded by ' + sender})."}
        order_id = _intake_order_id(client.id, digest)
        try:
            order = ordering.place(Buyer(contact.id, contact.email, client.id), body, order_id=order_id,
                                   origin=origin, initial_status="draft")
        except Conflict as exc:
            if exc.code != "document_exists":  # an earlier attempt stored the order, then stopped
                raise
            order = order_store.get(order_id)
    intake_store.record(client.id, digest, origin=origin, filename=filename, sender=sender,
                        order_id=order.id if order else None, errors=[e.as_dict() for e in errors])
    logger.info("order file received", extra={"client_id": client.id, "origin": origin, "order_id": order.id if order else None,
                                               "lines": len(good), "errors": len(errors)})
    return Intake(order, True, errors)


class NothingToOrder(ValidationFailed):
    """No line of an uploaded file can be ordered, so no order was made; `errors` are the rows and why."""

    def __init__(self, errors: list[RowError]):
        first = "; ".join(f"row {e.row}: {e.message}" for e in errors[:5]) or "the file has no lines"
        super().__init__(f"Nothing in this file can be ordered ({first}).", code="no_valid_lines", field="content_base64")
        self.errors = errors


def upload(viewer: clients.Viewer, actor: str, fields: dict[str, Any], content: bytes) -> Intake:
    """POST /admin/intake and the /agent/intake page: a staff member sends the order file of a client they may see
    (an agent: its own clients); a file of another type, an empty one or one with nothing to order is refused."""
    clients.referenced_client(viewer, fields["client_id"])
    if not fields["filename"].lower().endswith(ORDER_FILE_TYPES):
        raise ValidationFailed("Upload the order as a .csv or .xlsx file (save other spreadsheets as one of these).",
                               code="unsupported_file", field="filename")
    if not content.strip():
        raise ValidationFailed("The file is empty.", code="empty_file", field="content_base64")
    result = receive(fields["client_id"], fields["filename"], content, origin="upload", sender=actor,
                     client_reference=fields.get("client_reference"))
    if result.order is None:
        raise NothingToOrder(result.errors)
    return result


# --- email intake ----------------------------------------------------------------------------

def contact_by_email(address: str) -> UserItem | None:
    """The portal contact who signs in with this address (Cognito's user name is the email), or None."""
    try:
        user = aws_client("cognito-idp").admin_get_user(UserPoolId=settings().user_pool_id, Username=address)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "UserNotFoundException":
            return None
        raise
    sub = next((a["Value"] for a in user.get("UserAttributes", []) if a["Name"] == "sub"), user.get("Username"))
    found = user_store.find_user(sub)
    return found if found is not None and found.client_id else None


def _attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    found = []
    for part in message.iter_attachments():
        name = part.get_filename() or ""
        if name.lower().endswith(ORDER_FILE_TYPES) or part.get_content_type() == order_files.XLSX:
            found.append((name or "order.xlsx", part.get_payload(decode=True) or b""))
    return found


@dataclass
class EmailIntake:
    sender: str
    outcome: str  # unknown_sender, no_attachment, ordered, nothing_ordered, duplicate
    intakes: list[Intake] = field(default_factory=list)


def receive_email(raw: bytes) -> EmailIntake:
    """An email to the orders address: each spreadsheet attached by a known contact becomes a draft order; the
    sender gets a reply listing the lines that could not be ordered (or why nothing could be). Strangers get nothing."""
    if len(raw) > MAX_EMAIL_BYTES:
        logger.warning("order email too large", extra={"bytes": len(raw)})
        return EmailIntake("", "too_large")
    message = message_from_bytes(raw, policy=policy.default)
    sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
    subject = str(message.get("Subject", "")).strip()[:200]
    contact = contact_by_email(sender) if sender else None
    if contact is None:
        logger.info("order email from an unknown address dropped", extra={"sender": sender})
        return EmailIntake(sender, "unknown_sender")
    files = _attachments(message)
    if not (contact.permissions and contact.permissions.place_orders):
        mail.send("order_email_problems", sender, subject=subject, no_attachment=False, files=[
            {"filename": name, "order": None, "repeat": False,
             "errors": [{"row": None, "sku": None, "message": "Your portal account may not place orders; ask whoever "
                                                              "manages your company's portal access."}]}
            for name, _ in files or [("your email", b"")]])
        return EmailIntake(sender, "not_allowed")
    if not files:
        mail.send("order_email_problems", sender, subject=subject, files=[], no_attachment=True)
        return EmailIntake(sender, "no_attachment")
    intakes, reports = [], []
    for name, content in files:
        try:
            result = receive(contact.client_id or "", name, content, origin="email", sender=sender, contact=contact,
                             client_reference=subject or None)
        except ValidationFailed as exc:  # an unreadable file, a client without an address...
            reports.append({"filename": name, "order": None, "errors": [{"row": None, "sku": None, "message": exc.message}],
                            "repeat": False})
            continue
        intakes.append(result)
        reports.append({"filename": name, "order": _order_view(result.order), "repeat": not result.created,
                        "errors": [e.as_dict() for e in result.errors]})
    fresh = [r for r in reports if not r["repeat"]]
    if any(r["errors"] or r["order"] is None for r in fresh):
        mail.send("order_email_problems", sender, subject=subject, files=fresh, no_attachment=False)
    outcome = ("duplicate" if not fresh else "ordered" if any(i.order for i in intakes if i.created) else "nothing_ordered")
    return EmailIntake(sender, outcome, intakes)


def _order_view(order: OrderItem | None) -> dict[str, Any] | None:
    return None if order is None else {"id": order.id, "number": order.number, "total": str(order.total), "currency": order.currency}
