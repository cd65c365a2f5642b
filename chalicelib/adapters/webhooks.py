"""Outgoing webhooks over HTTP (the standard library's urllib: one POST, a timeout, no hidden retries).

The caller (services/automation_actions.py) retries with backoff and records every attempt in the run.

An admin types the address, and the call leaves from inside the supplier's AWS account, so on a deployed stage
an address must be https:// and must not lead into private, loopback, link-local or otherwise reserved
networks (the checks of `refusal`, at save time without DNS and again before each call with it); redirects are
not followed, since a redirect could point anywhere. The local stack (receivers on 127.0.0.1) is exempt.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib.config import settings

USER_AGENT = "b2b-portal-automation/1"


@dataclass(frozen=True)
class WebhookAnswer:
    ok: bool
    status: int | None
    error: str | None = None
    retryable: bool = True  # False: the address itself is refused, another attempt would be refused too


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError with the 3xx answer: reported as a failed call


_OPENER = urllib.request.build_opener(_NoRedirects)


def refusal(url: str, *, resolve: bool) -> str | None:
    """Why a deployed stage must not call this address (in words), or None. With `resolve`, every address the
    host name resolves to is checked too (before a call); without, only an address written as an IP (at save)."""
    if settings().is_local:
        return None
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return "a webhook address starts with https://"
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if not resolve:
            return None
        try:
            found = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError) as exc:
            return f"{host} cannot be resolved ({exc})"
        addresses = [ipaddress.ip_address(entry[4][0].split("%")[0]) for entry in found]
    if any(not address.is_global for address in addresses):
        return f"{host} leads to a private or reserved network address"
    return None


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the body>`, the X-Signature header's value."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def post(url: str, payload: dict[str, Any], *, secret: str | None, delivery_id: str, timeout: float) -> WebhookAnswer:
    """POST the JSON payload once; a 2xx answer is success, anything else (or no answer in time) is a failure."""
    problem = refusal(url, resolve=True)
    if problem:
        return WebhookAnswer(False, None, f"refused: {problem}", retryable=False)
    body = encode(payload)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-Delivery-Id": delivery_id}
    if secret:
        headers["X-Signature"] = signature(secret, body)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as answer:  # http(s) only: the rule's check and `refusal`
            return WebhookAnswer(True, answer.status)
    except urllib.error.HTTPError as exc:
        return WebhookAnswer(False, exc.code, f"HTTP {exc.code} {exc.reason}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return WebhookAnswer(False, None, f"no answer: {getattr(exc, 'reason', exc)}"[:300])
