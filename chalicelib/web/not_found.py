"""Answers for URLs the app has no route for, and the favicon.

API Gateway answers an unknown path with 403 {"message": "Missing Authentication Token"} before the app sees it,
and Chalice cannot catch unmatched routes in the app. A greedy `GET /{proxy+}` resource is the one API Gateway
falls back to when no other resource matches (a concrete or `{param}` resource always wins, so it shadows no real
route): it answers a person with an HTML 404 page and an API client (a JSON Accept header, or a path under the API's
prefixes) with the API error shape. Other methods on unknown paths stay API Gateway's own answer.
"""
from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.api.http import error_body, json_response
from chalicelib.web.kit import WebBlueprint, _request, current_session, render_page

web_not_found = WebBlueprint(__name__)

API_PREFIXES = ("auth/", "admin/", "portal/", "payments/", "local/")
FAVICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" '
           'fill="#1e3a5f"/><path d="M9 8h8.5a5 5 0 0 1 1.6 9.7A5.2 5.2 0 0 1 17.8 28H9zm4 4v4.6h4.2a2.3 2.3 0 0 0 0-4.6z'
           'm0 8v4.5h4.6a2.25 2.25 0 0 0 0-4.5z" fill="#fff"/></svg>')


def _requested_path(request: Any) -> str:
    """The unknown app path ("foo/bar"): API Gateway passes it as the `proxy` path parameter."""
    return str((request.uri_params or {}).get("proxy") or (request.uri_params or {}).get("proxy+") or "").strip("/")


def _wants_json(request: Any, path: str) -> bool:
    accept = (request.headers.get("accept") or "").lower()
    return path.startswith(API_PREFIXES) or ("application/json" in accept and "text/html" not in accept)


@web_not_found.route("/{proxy+}", methods=["GET"])
def unknown_path():
    request = _request()
    path = _requested_path(request)
    # The stage prefix is what precedes the unknown path (urls.base_path counts the route's segments, and a greedy
    # route has one whatever the path's length): name the concrete path as the matched route.
    request.context["resourcePath"] = "/" + path
    if _wants_json(request, path):
        return json_response(error_body("not_found", f"There is no /{path}. The API's paths are in docs/openapi.json."),
                             status=404)
    try:
        session = current_session()
    except Exception:  # noqa: BLE001 - a 404 page must not fail because the session lookup does
        session = None
    home = ("/catalogue" if session.principal.is_buyer else "/agent/orders") if session else "/login"
    return render_page("portal/not_found.html", session, status=404, path="/" + path, home=home)


@web_not_found.route("/favicon.ico", methods=["GET"])
def favicon():
    return Response(body=FAVICON, status_code=200,
                    headers={"Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400"})


