"""Outgoing webhooks over HTTP (the standard library's urllib: one POST, a timeout, no hidden retries).

The caller (services/automation_actions.py) retries with backoff and records every attempt in the run.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

USER_AGENT = "b2b-portal-automation/1"


@dataclass(frozen=True)
class WebhookAnswer:
    ok: bool
    status: int | None
    error: str | None = None


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the body>`, the X-Signature header's value."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def post(url: str, payload: dict[str, Any], *, secret: str | None, delivery_id: str, timeout: float) -> WebhookAnswer:
    """POST the JSON payload once; a 2xx answer is success, anything else (or no answer in time) is a failure."""
    body = encode(payload)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-Delivery-Id": delivery_id}
    if secret:
        headers["X-Signature"] = signature(secret, body)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - http(s) only, checked by the rule
            return WebhookAnswer(True, answer.status)
    except urllib.error.HTTPError as exc:
        return WebhookAnswer(False, exc.code, f"HTTP {exc.code} {exc.reason}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return WebhookAnswer(False, None, f"no answer: {getattr(exc, 'reason', exc)}"[:300])
