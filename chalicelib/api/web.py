"""Server-rendered portal pages. The session is the Cognito ID token in an HttpOnly cookie,
checked by the same verifier as the API's authorizer; forms carry a double-submit CSRF token."""
from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode

from chalice import Blueprint, Response

from chalicelib.api.http import decode_cursor, encode_cursor
from chalicelib.api.security import Principal, principal_for, require_buyer
from chalicelib.api.views import catalogue_json
from chalicelib.domain.errors import DomainError, Unauthenticated
from chalicelib.services import accounts, catalogue
from chalicelib.store import products as product_store
from chalicelib.store.clients import get_client
from chalicelib.templating import render
from chalicelib.tokens import verify_id_token

web = Blueprint(__name__)

SESSION, REFRESH, CSRF = "b2b_session", "b2b_refresh", "b2b_csrf"
FORM = ["application/x-www-form-urlencoded"]
PAGE_SIZE = 24


def _cookies() -> dict[str, str]:
    jar = SimpleCookie()
    jar.load(web.current_request.headers.get("cookie", ""))
    return {k: v.value for k, v in jar.items()}


def _cookie(name: str, value: str, *, max_age: int, http_only: bool = True) -> str:
    flags = "; HttpOnly" if http_only else ""
    return f"{name}={value}; Path=/; Max-Age={max_age}; Secure; SameSite=Lax{flags}"


def _html(body: str, status: int = 200, cookies: list[str] | None = None) -> Response:
    headers: dict[str, Any] = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                               "X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'"}
    if cookies:
        headers["Set-Cookie"] = cookies
    return Response(body=body, status_code=status, headers=headers)


def _redirect(location: str, cookies: list[str] | None = None) -> Response:
    headers: dict[str, Any] = {"Location": location, "Cache-Control": "no-store"}
    if cookies:
        headers["Set-Cookie"] = cookies
    return Response(body="", status_code=303, headers=headers)


def _form() -> dict[str, str]:
    raw = web.current_request.raw_body or b""
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}


def _csrf_token() -> tuple[str, list[str]]:
    """The visitor's CSRF token, minting one (and its cookie) when there is none."""
    existing = _cookies().get(CSRF)
    if existing:
        return existing, []
    token = secrets.token_urlsafe(24)
    return token, [_cookie(CSRF, token, max_age=8 * 3600, http_only=True)]


def _csrf_ok(form: dict[str, str]) -> bool:
    expected = _cookies().get(CSRF)
    return bool(expected) and secrets.compare_digest(expected, form.get("csrf", ""))


def _session_cookies(signed_in: accounts.SignedIn) -> list[str]:
    cookies = [_cookie(SESSION, signed_in.token, max_age=signed_in.expires_in)]
    if signed_in.refresh_token:
        cookies.append(_cookie(REFRESH, signed_in.refresh_token, max_age=30 * 24 * 3600))
    return cookies


def _signed_in_buyer() -> tuple[Principal | None, list[str]]:
    """The buyer behind the session cookie, refreshing an expired token once; (None, []) when signed out."""
    cookies = _cookies()
    try:
        claims = verify_id_token(cookies.get(SESSION, ""))
        return require_buyer(principal_for(claims["sub"])), []
    except Unauthenticated:
        if not cookies.get(REFRESH):
            return None, []
    try:
        renewed = accounts.refresh(cookies[REFRESH])
        claims = verify_id_token(renewed.token)
        return require_buyer(principal_for(claims["sub"])), _session_cookies(renewed)
    except DomainError:
        return None, []


def _login_page(*, error: str | None = None, email: str = "", session: str | None = None, status: int = 200) -> Response:
    csrf, cookies = _csrf_token()
    return _html(render("portal/login.html", error=error, email=email, session=session, csrf=csrf), status, cookies)


@web.route("/", methods=["GET"])
def home():
    return _redirect("/catalogue")


@web.route("/login", methods=["GET"])
def login_page():
    return _login_page()


@web.route("/login", methods=["POST"], content_types=FORM)
def login_submit():
    form = _form()
    if not _csrf_ok(form):
        return _login_page(error="Your session expired; please try again.", status=403)
    email = form.get("email", "").strip().lower()
    try:
        if form.get("session"):
            result = accounts.complete_new_password(email, form["session"], form.get("new_password", ""))
        else:
            result = accounts.login(email, form.get("password", ""))
    except DomainError as exc:
        return _login_page(error=exc.message, email=email, session=form.get("session") if exc.status == 422 else None,
                           status=401 if exc.status == 401 else 422)
    if isinstance(result, accounts.NewPasswordRequired):
        return _login_page(email=email, session=result.session)
    if result.role != "buyer":
        return _login_page(error="This portal is for client contacts; staff use the admin API.", email=email, status=403)
    return _redirect("/catalogue", _session_cookies(result))


@web.route("/logout", methods=["POST"], content_types=FORM)
def logout():
    if not _csrf_ok(_form()):
        return _redirect("/catalogue")
    expired = [_cookie(SESSION, "", max_age=0), _cookie(REFRESH, "", max_age=0)]
    return _redirect("/login", expired)


@web.route("/catalogue", methods=["GET"])
def catalogue_page():
    try:
        buyer, cookies = _signed_in_buyer()
    except DomainError as exc:
        return _html(render("portal/message.html", title="No portal access", message=exc.message, csrf=_csrf_token()[0], buyer=None), 403)
    if buyer is None:
        return _redirect("/login")
    params = web.current_request.query_params or {}
    category, query = (params.get("category") or "").strip()[:100], (params.get("q") or "").strip()[:100]
    try:
        result = catalogue.browse(buyer.client_id, category=category or None, query=query or None,
                                  limit=PAGE_SIZE, after_sku=decode_cursor(params.get("cursor")))
    except DomainError:
        return _redirect("/catalogue")
    show_stock = buyer.permissions.get("view_stock", False)
    next_cursor = encode_cursor(result.after_sku)
    next_url = "/catalogue?" + urlencode({k: v for k, v in {"category": category, "q": query, "cursor": next_cursor}.items() if v}) if next_cursor else None
    csrf, csrf_cookies = _csrf_token()
    return _html(render(
        "portal/catalogue.html",
        buyer=buyer, client=get_client(buyer.client_id), csrf=csrf,
        items=[catalogue_json(e, show_stock=show_stock) for e in result.entries],
        show_stock=show_stock, category=category, query=query, next_url=next_url,
        categories=product_store.categories(),
    ), cookies=cookies + csrf_cookies)
