"""What API Gateway does in front of the app that Chalice's local gateway does not.

A Lambda authorizer that raises 'Unauthorized' (or a request with no token)
gets a 401 from API Gateway, with the body of the UNAUTHORIZED gateway
response that infra/ configures. Chalice's local gateway would answer a 500
(or its own body); this makes it answer as deployed, in the API.md error shape.

API Gateway serves the app under a prefix (the stage on the execute-api URL, a
base path mapping on a custom domain) and passes the full path in the request
context; `local_server(..., base_path="/api")` does the same (`BASE_PATH=/api make run`).
"""
from __future__ import annotations

import functools
import json
from typing import Any

from chalice import local
from chalice.app import Chalice
from chalice.config import Config

UNAUTHORIZED_BODY = json.dumps(
    {"error": {"code": "unauthorized", "message": "A valid sign-in token is required."}}
).encode()

_original_authorize = local.LocalGatewayAuthorizer.authorize


def _authorize(self, raw_path, lambda_event, lambda_context):  # type: ignore[no-untyped-def]
    headers = {"x-amzn-RequestId": lambda_context.aws_request_id, "x-amzn-ErrorType": "UnauthorizedException",
               "Content-Type": "application/json"}
    try:
        return _original_authorize(self, raw_path, lambda_event, lambda_context)
    except local.NotAuthorizedError:
        raise local.NotAuthorizedError(headers, UNAUTHORIZED_BODY) from None
    except Exception as exc:
        if str(exc) == "Unauthorized":
            raise local.NotAuthorizedError(headers, UNAUTHORIZED_BODY) from None
        raise


_original_match_route = local.RouteMatcher.match_route
GREEDY = "/{proxy+}"


def _match_route(self, url):  # type: ignore[no-untyped-def]
    """Chalice's matcher, plus API Gateway's greedy `/{proxy+}` resource: the fallback for a path no other
    route matches (whatever its number of segments), with the rest of the path as the `proxy` parameter."""
    try:
        matched = _original_match_route(self, url)
    except ValueError:
        if GREEDY not in self.route_urls:
            raise
        parsed = local.urlparse(url)
        path = parsed.path.rstrip("/") if parsed.path != "/" else parsed.path
        if path == "/":
            raise
        return local.MatchResult(GREEDY, {"proxy": path[1:]},
                                 local.parse_qs(parsed.query, keep_blank_values=True))
    if matched.route == GREEDY:
        return local.MatchResult(GREEDY, {"proxy": matched.captured.get("proxy+", "")}, matched.query_params)
    return matched


def install() -> None:
    local.LocalGatewayAuthorizer.authorize = _authorize  # type: ignore[method-assign]
    local.RouteMatcher.match_route = _match_route  # type: ignore[method-assign]
    # API Gateway takes bursts of parallel requests; the dev server's listen backlog of 5 resets them.
    local.ThreadedHTTPServer.request_queue_size = 128


class BasePathRequestHandler(local.ChaliceRequestHandler):
    """Serves the app under `base_path`, as API Gateway serves it under its stage: routes match the path
    after the prefix, and the request context's `path` keeps the prefix (chalicelib/urls.py reads it)."""

    def __init__(self, *args: Any, base_path: str, **kwargs: Any) -> None:
        self.base_path = base_path
        super().__init__(*args, **kwargs)

    def _generic_handle(self) -> None:
        requested = self.path
        route_path = _strip_prefix(requested, self.base_path)
        if route_path is None:
            self._parse_payload()  # read the body, so a kept-alive connection stays in step
            # API Gateway answers a path outside its stage with 403 {"message": "Forbidden"}; a person who opens
            # the bare host locally is more likely lost than wrong, so "/" points them at the prefix.
            if requested.split("?")[0] == "/":
                self._send_http_response(302, {"Location": self.base_path + "/"}, None)
                return
            self._send_http_response(403, {"Content-Type": "application/json"}, json.dumps({"message": "Forbidden"}))
            return
        converter = self.local_gateway.event_converter
        if not isinstance(converter, _PrefixedEvents):
            self.local_gateway.event_converter = _PrefixedEvents(converter, self.base_path)
        self.path = route_path
        try:
            super()._generic_handle()
        finally:
            self.path = requested

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle


class _PrefixedEvents:
    """Chalice's event converter, with the prefix put back in front of requestContext.path."""

    def __init__(self, inner: local.LambdaEventConverter, base_path: str) -> None:
        self._inner, self._base_path = inner, base_path

    def create_lambda_event(self, **kwargs: Any) -> dict[str, Any]:
        event = self._inner.create_lambda_event(**kwargs)
        event["requestContext"]["path"] = self._base_path + event["requestContext"]["path"]
        return event


def _strip_prefix(path: str, base_path: str) -> str | None:
    """`path` without `base_path` in front ("/api/login?x" -> "/login?x", "/api" -> "/"); None when outside it."""
    if path == base_path or path.startswith(base_path + "?"):
        return "/" + path[len(base_path):]
    if path.startswith(base_path + "/"):
        return path[len(base_path):]
    return None


def normalize_base_path(raw: str | None) -> str:
    """BASE_PATH as given ("api", "/api/", "") -> "/api" or ""."""
    parts = [p for p in (raw or "").split("/") if p]
    return "/" + "/".join(parts) if parts else ""


def local_server(app_obj: Chalice, config: Config, host: str, port: int, base_path: str = "") -> local.LocalDevServer:
    """Chalice's local HTTP server for the app (as chalice.local.create_local_server), under `base_path` if any."""
    if not isinstance(app_obj, local.LocalChalice):  # what create_local_server does to the app, once per process
        local.CustomLocalChalice.__bases__ = (local.LocalChalice, app_obj.__class__)
        app_obj.__class__ = local.CustomLocalChalice
    base_path = normalize_base_path(base_path)
    handler: Any = functools.partial(BasePathRequestHandler, base_path=base_path) if base_path else local.ChaliceRequestHandler
    return local.LocalDevServer(app_obj, config, host, port, handler_cls=handler)
