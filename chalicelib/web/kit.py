"""The web kit every page uses: requests, cookies, sessions, CSRF, flash messages, form parsing, rendering.

The session is the Cognito ID token in an HttpOnly cookie, checked by the same verifier as the API's
authorizer; forms carry a double-submit CSRF token. Python code names pages by app paths ("/orders/1");
`url()` (in templates too) and `redirect()` put them under the prefix the request came in with
(API Gateway's stage, or a custom domain's base path: chalicelib/urls.py), and cookies are scoped to it. Pages live beside this module by audience
(chalicelib/web/portal, chalicelib/web/staff); all of them answer errors as pages (WebBlueprint).
"""
from __future__ import annotations

import base64
import functools
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger
from chalice import Blueprint, Response

from chalicelib.api.security import Principal, principal_for, require_buyer
from chalicelib.config import settings
from chalicelib.domain.access import Capability, role_can
from chalicelib.domain.errors import DomainError, Forbidden, NotFound, Unauthenticated, ValidationFailed
from chalicelib.domain.vocabulary import DEFAULT_LOCALE, label
from chalicelib.services import accounts, activity
from chalicelib.store import carts as cart_store
from chalicelib.store.clients import get_client
from chalicelib.templating import render
from chalicelib.urls import base_path, is_app_path, join
from chalicelib.tokens import verify_id_token

logger = Logger(service="b2b-portal", child=True)

SESSION, REFRESH, CSRF = "b2b_session", "b2b_refresh", "b2b_csrf"
FLASH = "b2b_flash"
FORM = ["application/x-www-form-urlencoded"]
MULTIPART = "multipart/form-data"  # forms with a file (quick order, the staff's order intake)
MAX_UPLOAD_BYTES = 2_500_000
PAGE_SIZE = 24
STAFF_HOME = "/agent/orders"
BUYER_HOME = "/dashboard"
ROLE_HOMES = {"warehouse": "/agent/delivery-notes", "finance": "/agent/invoices"}  # the others: their order queue


def staff_home(role: str) -> str:
    """Where a staff member lands after signing in: the work their role does first."""
    return ROLE_HOMES.get(role, STAFF_HOME)
PERMISSION_WORDS = {"place_orders": "place orders", "orders": "see your company's orders",
                    "deliveries": "see your company's deliveries", "invoices": "see your company's invoices and statement",
                    "download_documents": "download documents"}
CAPABILITY_WORDS = {Capability.VIEW_DELIVERIES: "see delivery notes", Capability.MANAGE_DELIVERIES: "work on delivery notes",
                    Capability.VIEW_INVOICES: "see invoices", Capability.MANAGE_INVOICES: "issue invoices or record payments",
                    Capability.OPERATE_PLATFORM: "see or replay failed background work"}


# --- requests and answers ---------------------------------------------------------------

def _request() -> Any:
    return web.current_request  # the app's current request, whichever blueprint's route runs


def url(path: str) -> str:
    """The app path `path` ("/orders/1?tab=x") as the browser must request it: under this request's prefix."""
    return join(_base_path(), path)


def _base_path() -> str:
    return base_path(_request().context or {})


def _cookies() -> dict[str, str]:
    jar = SimpleCookie()
    try:
        jar.load(_request().headers.get("cookie", ""))
    except CookieError:  # a header the browser never sends: read it as no cookies (signed out, new CSRF token)
        return {}
    return {k: v.value for k, v in jar.items()}


def _cookie(name: str, value: str, *, max_age: int, http_only: bool = True) -> str:
    flags = "; HttpOnly" if http_only else ""
    return f"{name}={value}; Path={_base_path() or '/'}; Max-Age={max_age}; Secure; SameSite=Lax{flags}"


def _render(template: str, **context: Any) -> str:
    return render(template, url=url, comments_for=comments_for, **context)


def comments_for(kind: str, document_id: str) -> list[dict[str, Any]]:
    """The comment thread an order or proposal page shows (the page already checked who may see the document)."""
    from chalicelib.services import comments  # noqa: PLC0415 - only pages with a thread need it

    found, _ = comments.thread(kind, document_id)
    return [{**comments.comment_json(c), "at_iso": c.at.isoformat(), "at_local": local_time(c.at)} for c in found]


def _html(body: str, status: int = 200, cookies: list[str] | None = None) -> Response:
    headers: dict[str, Any] = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                               "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
                               "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'"}
    if cookies:
        headers["Set-Cookie"] = cookies
    return Response(body=body, status_code=status, headers=headers)


def redirect(location: str, cookies: list[str] | None = None, *, flash: dict[str, Any] | None = None) -> Response:
    """A 303 to `location` (an app path, put under the request's prefix, or an absolute URL); `flash` is
    shown once by the next page (a notice, an error, skipped lines)."""
    headers: dict[str, Any] = {"Location": url(location) if is_app_path(location) else location,
                               "Cache-Control": "no-store"}
    cookies = list(cookies or [])
    if flash:
        cookies.append(_cookie(FLASH, base64.urlsafe_b64encode(json.dumps(flash).encode()).decode(), max_age=300))
    if cookies:
        headers["Set-Cookie"] = cookies
    return Response(body="", status_code=303, headers=headers)


def form_fields() -> dict[str, str]:
    return {k: v[0] for k, v in form_lists().items()}


def form_lists() -> dict[str, list[str]]:
    """Every value of every field (a form may repeat a name, e.g. one `sku` per line)."""
    raw = _request().raw_body or b""
    return parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)


def multipart_fields() -> dict[str, Any]:
    """The form's fields from a multipart/form-data body: text fields as str, the file as (filename, bytes)."""
    request = _request()
    raw = request.raw_body or b""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValidationFailed("The file is larger than 2 MB.", code="file_too_large")
    header = f"Content-Type: {request.headers.get('content-type', '')}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = message_from_bytes(header + raw, policy=policy.HTTP)
    fields: dict[str, Any] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        fields[name] = (filename, payload) if filename is not None else payload.decode("utf-8", "replace")
    return fields


def status_tab(tabs: list[str], default: str) -> str:
    """The `status` tab a staff list page shows; 404 for one it does not have."""
    status = query_params().get("status") or default
    if status not in tabs:
        raise NotFound(f"There is no '{status}' tab.", code="unknown_status")
    return status


def query_params() -> dict[str, str]:
    return dict(_request().query_params or {})


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


def require_csrf(form: dict[str, str]) -> None:
    if not _csrf_ok(form):
        raise Forbidden("This form has expired. Go back, reload the page and try again.", code="csrf_failed")


def _take_flash() -> tuple[dict[str, Any] | None, list[str]]:
    raw = _cookies().get(FLASH)
    if not raw:
        return None, []
    try:
        flash = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except ValueError:
        flash = None
    return (flash if isinstance(flash, dict) else None), [_cookie(FLASH, "", max_age=0)]


# --- who is signed in -------------------------------------------------------------------

@dataclass(frozen=True)
class Session:
    """The signed-in person, and the cookies to set when their token was just renewed."""

    principal: Principal
    cookies: list[str]


def _session_cookies(signed_in: accounts.SignedIn) -> list[str]:
    cookies = [_cookie(SESSION, signed_in.token, max_age=signed_in.expires_in)]
    if signed_in.refresh_token:
        cookies.append(_cookie(REFRESH, signed_in.refresh_token, max_age=30 * 24 * 3600))
    return cookies


def current_session() -> Session | None:
    """Whoever is behind the session cookie (buyer or staff), refreshing an expired token once; None when signed out."""
    cookies = _cookies()
    try:
        claims = verify_id_token(cookies.get(SESSION, ""))
        return Session(principal_for(claims["sub"]), [])
    except Unauthenticated:
        if not cookies.get(REFRESH):
            return None
    try:
        renewed = accounts.refresh(cookies[REFRESH])
        claims = verify_id_token(renewed.token)
        return Session(principal_for(claims["sub"]), _session_cookies(renewed))
    except DomainError:
        return None


class SignInNeeded(Exception):
    """Raised by a page that needs a session; the visitor is sent to the sign-in page (or staff home)."""

    def __init__(self, location: str = "/login"):
        super().__init__(location)
        self.location = location


_SAFE_NEXT = re.compile(r"^/[A-Za-z0-9/_.~%-]*(\?[A-Za-z0-9/_.~%=&+,:-]*)?$")


def safe_next(raw: str | None) -> str | None:
    """A return-to target only when it is a path of this app ("/orders/1?x=2"): never another site ("//evil",
    "https://...", "/\\evil"), never the sign-in pages themselves."""
    if not raw or len(raw) > 500 or not _SAFE_NEXT.match(raw) or raw.startswith("//"):
        return None
    if raw.split("?")[0] in ("/login", "/logout", "/forgot-password", "/reset-password"):
        return None
    return raw


def _here() -> str | None:
    """This GET request's app path with its query, as a return-to target (None for other methods)."""
    request = _request()
    if request.method != "GET":
        return None
    full = str((request.context or {}).get("path") or "")
    path = full[len(_base_path()):] if full.startswith(_base_path()) else full
    query = urlencode(query_params())
    return safe_next(path + (f"?{query}" if query else ""))


def sign_in_location() -> str:
    """Where a visitor without a valid session goes: the sign-in page; after an expired session (its cookies are
    still there) with a note saying so and the page to come back to."""
    cookies = _cookies()
    if not (cookies.get(SESSION) or cookies.get(REFRESH)):
        return "/login"
    here = _here()
    return "/login?" + urlencode({"expired": "1", **({"next": here} if here else {})})


def buyer_session(permission: str | None = None) -> Session:
    """A signed-in portal contact (with `permission` when named). Staff are sent to their own pages."""
    session = current_session()
    if session is None:
        raise SignInNeeded()
    if not session.principal.is_buyer:
        raise SignInNeeded(staff_home(session.principal.role))
    try:
        require_buyer(session.principal, permission)
    except Forbidden as exc:
        if exc.code != "missing_permission":
            raise
        doing = PERMISSION_WORDS.get(permission or "", "use this page")
        raise Forbidden(f"Your account may not {doing}. Ask whoever manages your company's portal access.",
                        code=exc.code) from exc
    if _request().method == "GET":  # a page viewed (not a form post): the contact's activity for the reports
        activity.record_page_view(session.principal.user_id)
    return session


def staff_session(capability: Capability | None = None) -> Session:
    """A signed-in member of the supplier's staff (whose role has `capability` when named)."""
    session = current_session()
    if session is None:
        raise SignInNeeded()
    if session.principal.is_buyer:
        raise Forbidden("These pages are for the supplier's staff.", code="not_staff")
    if capability is not None and not role_can(session.principal.role, capability):
        doing = CAPABILITY_WORDS.get(capability, "use this page")
        raise Forbidden(f"Your role ({session.principal.role}) may not {doing}.", code="forbidden")
    return session


# --- pages ------------------------------------------------------------------------------

# The sidebars as data, in their order: (what the person needs — a staff capability or a portal permission, None for
# everyone —, key, label, page). The cart's label carries its line count (filled in by _nav).
STAFF_NAV: list[tuple[Capability | None, str, str, str]] = [
    (None, "agent_orders", "Orders", STAFF_HOME),
    (Capability.VIEW_ORDERS, "agent_new_order", "New order", "/agent/orders/new"),
    (Capability.REVIEW_ORDERS, "agent_intake", "Import an order", "/agent/intake"),
    (Capability.VIEW_DELIVERIES, "agent_deliveries", "Delivery notes", "/agent/delivery-notes"),
    (Capability.VIEW_INVOICES, "agent_invoices", "Invoices", "/agent/invoices"),
    (Capability.VIEW_INVOICES, "agent_credit_notes", "Credit notes", "/agent/credit-notes"),
    (Capability.VIEW_CLIENTS, "clients", "Clients", "/agent/clients"),
    (Capability.MANAGE_STAFF, "staff", "Staff", "/agent/staff"),
    (Capability.MANAGE_SETTINGS, "settings", "Settings", "/agent/settings"),
    (Capability.MANAGE_SETTINGS, "audit", "Audit log", "/agent/audit"),
    (Capability.VIEW_CATALOGUE, "agent_products", "Products", "/agent/products"),
    (Capability.VIEW_PRICING, "agent_price_lists", "Price lists", "/agent/price-lists"),
    (Capability.OPERATE_PLATFORM, "failed_work", "Failed work", "/agent/failed-work"),
    (Capability.VIEW_CLIENTS, "reports", "Reports", "/agent/reports"),
    (Capability.MANAGE_AUTOMATION, "automation", "Automation", "/agent/automation"),
    (Capability.MANAGE_CLIENTS, "registrations", "Registrations", "/agent/registrations"),
]
BUYER_NAV: list[tuple[str | None, str, str, str]] = [
    (None, "dashboard", "Dashboard", BUYER_HOME),
    (None, "catalogue", "Catalogue", "/catalogue"),
    ("place_orders", "cart", "Cart", "/cart"),
    ("place_orders", "quick_order", "Quick order", "/quick-order"),
    ("place_orders", "saved_lists", "Saved lists", "/saved-lists"),
    ("orders", "orders", "Orders", "/orders"),
    ("deliveries", "deliveries", "Deliveries", "/deliveries"),
    ("invoices", "invoices", "Invoices", "/invoices"),
    ("proposals", "proposals", "Proposals", "/proposals"),
    ("place_orders", "recurring", "Recurring orders", "/recurring-orders"),
    ("invoices", "credit_notes", "Credit notes", "/credit-notes"),
    ("invoices", "statement", "Statement", "/statement"),
    ("approve_orders", "approvals", "Approvals", "/approvals"),
    ("manage_company", "company", "Company users", "/company/users"),
    (None, "profile", "Profile", "/profile"),
]


def _nav(principal: Principal | None) -> list[dict[str, Any]]:
    """The sidebar's entries this person may use (STAFF_NAV / BUYER_NAV); staff see their role's own work first."""
    if principal is None:
        return []
    if not principal.is_buyer:
        staff = [{"key": key, "label": words, "href": href} for needs, key, words, href in STAFF_NAV
                 if needs is None or role_can(principal.role, needs)]
        home = staff_home(principal.role)
        return sorted(staff, key=lambda entry: entry["href"] != home)  # the role's own work first
    entries = []
    for needs, key, words, href in BUYER_NAV:
        if needs is not None and not principal.permissions.get(needs):
            continue
        entry = {"key": key, "label": words, "href": href}
        if key == "cart":
            entry |= {"label": f"Cart ({cart_store.line_count(principal.user_id)})", "id": "nav-cart"}
        entries.append(entry)
    return entries


def _who(principal: Principal | None) -> dict[str, str] | None:
    """Who is signed in, for the sidebar, and the locale their amounts are written in."""
    if principal is None:
        return None
    if principal.is_buyer and principal.client_id:
        client = get_client(principal.client_id)
        return {"name": principal.name, "organisation": client.name, "locale": client.locale or DEFAULT_LOCALE}
    return {"name": principal.name, "organisation": f"Staff · {label(principal.role, 'role')}", "locale": DEFAULT_LOCALE}


def render_page(template: str, session: Session | None, *, status: int = 200, cookies: list[str] | None = None,
                **context: Any) -> Response:
    """A page in the layout: sidebar for the signed-in person, CSRF token for its forms, last redirect's flash."""
    principal = session.principal if session else None
    csrf, csrf_cookies = _csrf_token()
    flash, flash_cookies = _take_flash()
    who = _who(principal)
    context.setdefault("locale", who["locale"] if who else DEFAULT_LOCALE)
    body = _render(template, csrf=csrf, nav=_nav(principal), who=who, flash=flash, **context)
    return _html(body, status, [*(session.cookies if session else []), *csrf_cookies, *flash_cookies, *(cookies or [])])


def message_page(title: str, message: str, status: int, links: list[tuple[str, str]] | None = None,
                 cookies: list[str] | None = None) -> Response:
    """A message on its own card (sign-in problems, review links), outside the sidebar layout."""
    csrf, csrf_cookies = _csrf_token()
    body = _render("portal/message.html", title=title, message=message, csrf=csrf,
                  links=links if links is not None else [("/login", "Sign in as someone else")])
    return _html(body, status, csrf_cookies + (cookies or []))


PROBLEM_TITLES = {403: "Not allowed", 404: "Not found", 409: "This changed meanwhile", 422: "That did not work"}


def _problem_page(status: int, message: str) -> Response:
    """An error as a page in the layout, for whoever is signed in."""
    try:
        session = current_session()
    except Exception:  # noqa: BLE001 - an error page must not fail because the session lookup does
        session = None
    home = ("/catalogue" if session.principal.is_buyer else staff_home(session.principal.role)) if session else "/login"
    return render_page("portal/problem.html", session, status=status,
                       title=PROBLEM_TITLES.get(status, "Something went wrong"), message=message, home=home)


def answers_with_pages(view: Callable[..., Any]) -> Callable[..., Any]:
    """Domain errors become pages with their status (403, 404, 409...), a missing session a trip to sign-in,
    anything unexpected a logged 500 page: a page never answers with a stack trace."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except SignInNeeded as exc:
            if exc.location == "/login":
                return redirect(sign_in_location(), [_cookie(SESSION, "", max_age=0), _cookie(REFRESH, "", max_age=0)])
            return redirect(exc.location)
        except Unauthenticated:
            return redirect(sign_in_location(), [_cookie(SESSION, "", max_age=0), _cookie(REFRESH, "", max_age=0)])
        except DomainError as exc:
            return _problem_page(exc.status, exc.message)
        except Exception:
            logger.exception("unhandled error on a page")
            return _problem_page(500, "Something went wrong on our side; it has been logged. Please try again.")

    return wrapper


class WebBlueprint(Blueprint):
    """A Blueprint whose routes answer errors as pages (see answers_with_pages)."""

    def route(self, path: str, **kwargs: Any) -> Callable[..., Any]:
        register = super().route(path, **kwargs)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            register(answers_with_pages(view))
            return view

        return decorator


# Registered like the pages' blueprints (without routes of its own) so the kit can read the current request.
web = WebBlueprint(__name__)


# --- small display and form helpers shared by the pages ---------------------------------

def local_time(at: datetime) -> str:
    """A timestamp on the supplier's clock, to the minute, with the zone's abbreviation ("2026-11-27 14:05 EET")."""
    return at.astimezone(ZoneInfo(settings().supplier_timezone)).strftime("%Y-%m-%d %H:%M %Z")


_LINE_FIELD = re.compile(r"^lines\[(\d+)\]")


def line_index(field: str | None) -> int | None:
    """The line a validation error is about: `lines[2].qty` -> 2."""
    match = _LINE_FIELD.match(field or "")
    return int(match.group(1)) if match else None


def whole_number(raw: str | None) -> int | str:
    """A form's quantity as an int when it is one, else as typed (the service explains what is wrong with it)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else raw
