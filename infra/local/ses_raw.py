"""Raw emails (SendRawEmail: an invoice with its PDF attached) read like the other mail in moto's SES.

moto keeps a raw email as its MIME text with a plain list of recipients, while the outbox and the tests read
`subject`, `body` and `destinations["ToAddresses"]` of every sent message. This parses each raw email once when
moto stores it and gives it those same attributes, plus `attachments` (file name -> bytes). Local stack only.
"""
from __future__ import annotations

from email import message_from_string, policy
from typing import Any

from moto.ses import models

_original_init = models.RawMessage.__init__


def _init(self: Any, message_id: str, source: str, destinations: list[str], raw_data: str) -> None:
    _original_init(self, message_id, source, destinations, raw_data)
    parsed = message_from_string(raw_data, policy=policy.default)
    self.subject = str(parsed.get("Subject", ""))
    body = parsed.get_body(preferencelist=("html", "plain"))
    self.body = body.get_content() if body is not None else ""
    self.destinations = {"ToAddresses": list(destinations)}
    self.attachments = {part.get_filename(): part.get_content() for part in parsed.iter_attachments()}


def install() -> None:
    models.RawMessage.__init__ = _init  # type: ignore[method-assign]
