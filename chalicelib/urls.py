"""Where the app is mounted, and the links built from it.

The code names places by the app's own paths (`/orders/42`, the routes as Chalice declares them).
What a browser must request can carry a prefix: the default API Gateway URL serves the app under its
stage (`https://<id>.execute-api.<region>.amazonaws.com/api/orders/42`), a custom domain under its base
path mapping (none, or e.g. `/portal`). Pages and redirects take the prefix from the request being
answered; emails and other places with no request take PORTAL_URL, which includes any prefix.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.config import settings


def base_path(request_context: Mapping[str, Any]) -> str:
    """The prefix API Gateway served this request under: "/api" on the execute-api URL, "" on a custom
    domain with an empty base path mapping.

    API Gateway's request context carries `path`, the path the browser asked for (with the stage or the
    base path mapping in front), and `resourcePath`, the matched route (`/orders/{order_id}`). The route
    matched the last len(route segments) segments of `path`; what comes before them is the prefix.
    Segments are counted rather than strings compared, so an encoded parameter cannot shift it.
    """
    requested = [s for s in str(request_context.get("path") or "").split("/") if s]
    route = [s for s in str(request_context.get("resourcePath") or "").split("/") if s]
    if not requested or len(route) > len(requested):
        return ""
    prefix = requested[:len(requested) - len(route)]
    return "/" + "/".join(prefix) if prefix else ""


def join(base: str, path: str) -> str:
    """`path` (an app path, starting with "/") under `base` (a prefix or an absolute URL)."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"not an app path: {path!r}")
    return base.rstrip("/") + path


def portal_link(path: str) -> str:
    """An absolute link to an app path for email and other places outside a request: PORTAL_URL + path."""
    return join(settings().portal_url, path)


def is_app_path(location: str) -> bool:
    """A path inside the app ("/orders/1"), as opposed to an absolute URL (S3, a payment page)."""
    return location.startswith("/") and not location.startswith("//")
