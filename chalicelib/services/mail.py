"""Outgoing email through SES, rendered from templates/email/<name>.{subject,txt,html}.

Every email's HTML extends templates/email/_layout.html (supplier name, a web-safe font stack, the supplier's legal
footer) and its text part the same footer from `footer_lines`. Links in emails are absolute, from PORTAL_URL (which
carries any base path): `url("/orders/1")` in a template. Optional emails to portal contacts go only to those who
want them: `wanted` is the one place that decides.
"""
from __future__ import annotations

from dataclasses import dataclass
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws import client
from chalicelib.config import settings, supplier
from chalicelib.store import preferences
from chalicelib.templating import render
from chalicelib.urls import portal_link

# SES refuses these for this message or address; sending it again will not help (sandbox: unverified
# recipient; suppressed or bounced address). Anything else (throttling, 5xx, network) is worth a retry.
REFUSED = frozenset({"MessageRejected", "MailFromDomainNotVerified", "MailFromDomainNotVerifiedException",
                     "AccountSuppressedException", "InvalidParameterValue"})

# SES's limit for a raw message is 10 MB after MIME encoding; base64 grows an attachment by 4/3, and the
# text, HTML and headers need room too. An attachment above this is linked instead of attached.
MAX_RAW_MESSAGE_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 7 * 1024 * 1024

# Optional emails, by the topic a contact can turn off on the profile page. Emails not listed (invitations,
# password resets, overdue reminders, staff alerts) always go.
TOPICS = {
    "order_placed": "order_updates", "order_accepted": "order_updates", "order_declined": "order_updates",
    "order_modified": "order_updates", "order_expired": "order_updates", "shipped": "order_updates",
    "backorder": "order_updates", "approval_decided": "order_updates",
    "invoice_issued": "invoices", "payment_receipt": "invoices",
    "proposal_sent": "proposals",
    "comment_added": "comments",
    "approval_requested": "approvals",
}


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    message_id: str | None = None
    error: str | None = None  # why SES refused it, for the people who see the notification failed


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def wanted(template: str, to: str) -> bool:
    """Does `to` want this email? Optional topics follow the recipient's own choice (unset: yes)."""
    topic = TOPICS.get(template)
    if topic is None:
        return True
    return preferences.load(to).get(topic, True)


def footer_lines() -> list[str]:
    """The supplier's legal identity, as every email ends with it."""
    s = supplier()
    lines = [s.name, f"{s.street}, {s.postcode} {s.city}, {s.country}"]
    ids = [f"VAT {s.vat_number}"] + ([f"Reg. no. {s.registration_number}"] if s.registration_number else [])
    lines += [" · ".join(ids), s.email]
    return [line for line in lines if line.strip(" ,·")]


def render_email(template: str, **context: Any) -> Rendered:
    """Subject, text and HTML of one email (the HTML in the shared layout, the text with the same footer)."""
    context = {"url": portal_link, "supplier": supplier(), "footer": footer_lines(), **context}
    subject = render(f"email/{template}.subject.txt", **context).strip()
    text = render(f"email/{template}.txt", **context).rstrip() + "\n\n-- \n" + "\n".join(footer_lines()) + "\n"
    html = render(f"email/{template}.html", **{**context, "subject": subject, "optional": template in TOPICS})
    return Rendered(subject, text, html)


def send(template: str, to: str, *, attachments: list[Attachment] | None = None, **context: Any) -> str | None:
    """Render and send one email; returns the SES message id (None: the recipient turned this email off)."""
    if not wanted(template, to):
        return None
    message = render_email(template, **context)
    if attachments:
        return _send_raw(message, to, attachments)
    response = client("ses").send_email(
        Source=settings().mail_sender,
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": message.subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"},
                     "Html": {"Data": message.html, "Charset": "UTF-8"}},
        },
    )
    return response["MessageId"]


def fits(attachments: list[Attachment]) -> bool:
    """Whether these attachments stay inside SES's raw message limit (else link the document instead)."""
    return sum(len(a.content) for a in attachments) <= MAX_ATTACHMENT_BYTES


def _send_raw(message: Rendered, to: str, attachments: list[Attachment]) -> str:
    mime = MIMEMultipart("mixed")
    mime["Subject"] = message.subject
    mime["From"] = formataddr((supplier().name, settings().mail_sender))
    mime["To"] = to
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(message.text, "plain", "utf-8"))
    body.attach(MIMEText(message.html, "html", "utf-8"))
    mime.attach(body)
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        part = MIMEApplication(attachment.content, _subtype=subtype or "octet-stream")
        part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
        mime.attach(part)
    raw = mime.as_bytes()
    if len(raw) > MAX_RAW_MESSAGE_BYTES:
        raise ValueError(f"email of {len(raw)} bytes is above SES's raw message limit")
    response = client("ses").send_raw_email(Source=settings().mail_sender, Destinations=[to],
                                            RawMessage={"Data": raw})
    return response["MessageId"]


def deliver(template: str, to: str, *, attachments: list[Attachment] | None = None, **context: Any) -> Delivery:
    """Like `send`, but an email SES refuses (or the recipient turned off) is a result, not an error;
    transient errors raise."""
    try:
        message_id = send(template, to, attachments=attachments, **context)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") not in REFUSED:
            raise
        return Delivery(delivered=False, error=f"{error.get('Code')}: {error.get('Message', '')}"[:500])
    if message_id is None:
        return Delivery(delivered=False, error="The recipient turned these emails off in their profile.")
    return Delivery(delivered=True, message_id=message_id)
