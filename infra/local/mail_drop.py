"""/local/mail-drop: the local stand-in for SES receiving mail at the orders address. Write an email (sender,
subject, an attached order file) or upload a raw .eml; the message is built with the stdlib email package and
handed to the same service the deployed `receive_order_email` function calls with the message SES stored in S3.
Registered by the local stack only, never deployed."""
from __future__ import annotations

import html
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from chalice import Blueprint, Response

from chalicelib.services import intake
from chalicelib.services.order_files import XLSX
from chalicelib.web.kit import url

mail_drop = Blueprint(__name__)
STYLE = ("<style>body{font:15px system-ui;margin:48px auto;max-width:620px}label{display:block;margin-top:12px}"
         "input,textarea{width:100%;font:inherit}button{font:inherit;padding:8px 16px;margin-top:12px}</style>")


def _page(body: str, status: int = 200) -> Response:
    return Response(f"<!doctype html><meta charset=utf-8><title>Mail drop</title>{STYLE}{body}", status_code=status,
                    headers={"Content-Type": "text/html; charset=utf-8"})


def _form(note: str = "") -> str:
    return (f"<h1>Order mail drop (local)</h1>{note}<p>What SES would receive at the orders address. A known contact's "
            "spreadsheet becomes a draft order; problems go back to the sender (see the outbox).</p>"
            f"<form method=post enctype='multipart/form-data' action='{html.escape(url('/local/mail-drop'))}'>"
            "<label>From <input name=from id=from type=email></label>"
            "<label>Subject <input name=subject id=subject></label>"
            "<label>Order file (.xlsx or .csv) <input name=file id=file type=file></label>"
            "<label>…or a whole raw message (.eml) <input name=eml id=eml type=file></label>"
            "<button id=drop type=submit>Deliver</button></form>")


@mail_drop.route("/local/mail-drop", methods=["GET"])
def drop_page():
    return _page(_form())


def build_email(sender: str, subject: str, filename: str | None, content: bytes) -> bytes:
    """A message as a mail client sends it: text body plus the order file attached."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "orders@supplier.example", subject
    message.set_content("Please find our order attached.")
    if content:
        name = filename or "order.csv"
        maintype, subtype = ("application", XLSX.split("/", 1)[1]) if name.lower().endswith(".xlsx") else ("text", "csv")
        if maintype == "text":
            message.add_attachment(content.decode("utf-8", "replace"), subtype=subtype, filename=name)
        else:
            message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def _fields() -> dict[str, Any]:
    request = mail_drop.current_request
    header = f"Content-Type: {request.headers.get('content-type', '')}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    form = message_from_bytes(header + (request.raw_body or b""), policy=policy.HTTP)
    fields: dict[str, Any] = {}
    for part in form.iter_parts() if form.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        fields[name] = (part.get_filename(), payload) if part.get_filename() is not None else payload.decode("utf-8", "replace")
    return fields


@mail_drop.route("/local/mail-drop", methods=["POST"], content_types=["multipart/form-data"])
def drop():
    fields = _fields()
    eml = fields.get("eml")
    if isinstance(eml, tuple) and eml[1]:
        raw = eml[1]
    else:
        filename, content = fields.get("file") if isinstance(fields.get("file"), tuple) else (None, b"")
        raw = build_email(str(fields.get("from", "")), str(fields.get("subject", "")), filename, content)
    result = intake.receive_email(raw)
    orders = ", ".join(html.escape(i.order.number) for i in result.intakes if i.order is not None) or "none"
    note = (f"<p id=outcome data-outcome='{html.escape(result.outcome)}'><strong>Delivered.</strong> "
            f"From {html.escape(result.sender or 'nobody')}: {html.escape(result.outcome.replace('_', ' '))}; orders: {orders}.</p>")
    return _page(_form(note))
