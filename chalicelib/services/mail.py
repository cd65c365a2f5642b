"""Outgoing email through SES, rendered from templates/email/<name>.{subject,txt,html}.

Links in emails are absolute, from PORTAL_URL (which carries any base path): `url("/orders/1")` in a template.
"""
from __future__ import annotations

from typing import Any

from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.templating import render
from chalicelib.urls import portal_link


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
