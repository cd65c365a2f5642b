"""Outgoing email through SES, rendered from templates/email/<name>.{subject,txt,html}.

Links in emails are absolute, from PORTAL_URL (which carries any base path): `url("/orders/1")` in a template.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.templating import render
from chalicelib.urls import portal_link

# SES refuses these for this message or address; sending it again will not help (sandbox: unverified
# recipient; suppressed or bounced address). Anything else (throttling, 5xx, network) is worth a retry.
REFUSED = frozenset({"MessageRejected", "MailFromDomainNotVerified", "MailFromDomainNotVerifiedException",
                     "AccountSuppressedException", "InvalidParameterValue"})


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    message_id: str | None = None
    error: str | None = None  # why SES refused it, for the people who see the notification failed


def send(template: str, to: str, **context: Any) -> str:
    """Render and send one email; returns the SES message id."""
    context = {"url": portal_link, **context}
    subject = render(f"email/{template}.subject.txt", **context).strip()
    text = render(f"email/{template}.txt", **context)
    html = render(f"email/{template}.html", **context)
    response = client("ses").send_email(
        Source=settings().mail_sender,
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": text, "Charset": "UTF-8"}, "Html": {"Data": html, "Charset": "UTF-8"}},
        },
    )
    return response["MessageId"]


def deliver(template: str, to: str, **context: Any) -> Delivery:
    """Like `send`, but an email SES refuses is a result (delivered=False), not an error; transient errors raise."""
    try:
        return Delivery(delivered=True, message_id=send(template, to, **context))
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") not in REFUSED:
            raise
        return Delivery(delivered=False, error=f"{error.get('Code')}: {error.get('Message', '')}"[:500])
