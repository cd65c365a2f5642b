"""Signing in and out of the web pages (buyers and staff share the form), and resetting a forgotten password.

The JSON API keeps /auth/forgot-password and /auth/reset-password; the pages for people live at /forgot-password
and /reset-password and call the same services.
"""
from __future__ import annotations

from urllib.parse import urlencode

from chalice import Response

from chalicelib.domain.errors import DomainError
from chalicelib.services import accounts, lockout
from chalicelib.web.kit import (
    BUYER_HOME, FORM, REFRESH, SESSION, WebBlueprint, _cookie, _csrf_ok, _csrf_token, _html, _render, _request,
    _session_cookies, _take_flash, form_fields, query_params, redirect, safe_next, staff_home,
)

web_signin = WebBlueprint(__name__)
RETIRED_CART_COOKIE = "b2b_cart"

EXPIRED = "Your session expired; please sign in again."


# --- sign-in ----------------------------------------------------------------------------

def _login_page(*, error: str | None = None, email: str = "", session: str | None = None, status: int = 200,
                next_path: str | None = None, notice: str | None = None) -> Response:
    csrf, cookies = _csrf_token()
    flash, flash_cookies = _take_flash()
    if flash and flash.get("notice") and not notice:
        notice = flash["notice"]
    return _html(_render("portal/login.html", error=error, email=email, session=session, csrf=csrf,
                         next_path=next_path, notice=notice), status, cookies + flash_cookies)


def _client_ip() -> str | None:
    return ((_request().context or {}).get("identity") or {}).get("sourceIp") or None


@web_signin.route("/", methods=["GET"])
def home():
    """A buyer's landing page is the dashboard (signed-out visitors go on to sign in, staff to their home)."""
    return redirect(BUYER_HOME)


@web_signin.route("/login", methods=["GET"])
def login_page():
    params = query_params()
    return _login_page(next_path=safe_next(params.get("next")),
                       notice=EXPIRED if params.get("expired") == "1" else None)


@web_signin.route("/login", methods=["POST"], content_types=FORM)
def login_submit():
    form = form_fields()
    next_path = safe_next(form.get("next"))
    if not _csrf_ok(form):
        return _login_page(error="This form expired; please try again.", status=403, next_path=next_path)
    email = form.get("email", "").strip().lower()
    try:
        if form.get("session"):
            result = accounts.complete_new_password(email, form["session"], form.get("new_password", ""))
        else:
            result = lockout.sign_in(email, form.get("password", ""), _client_ip())
    except DomainError as exc:
        return _login_page(error=exc.message, email=email, session=form.get("session") if exc.status == 422 else None,
                           status=exc.status if exc.status in (401, 429) else 422, next_path=next_path)
    if isinstance(result, accounts.NewPasswordRequired):
        return _login_page(email=email, session=result.session, next_path=next_path)
    # The cart is stored per contact now (chalicelib/store/carts.py); the retired cart cookie is removed from
    # browsers that still hold one.
    cookies = [*_session_cookies(result), _cookie(RETIRED_CART_COOKIE, "", max_age=0)]
    home_path = BUYER_HOME if result.role == "buyer" else staff_home(result.role)
    return redirect(next_path or home_path, cookies)


@web_signin.route("/logout", methods=["POST"], content_types=FORM)
def logout():
    if not _csrf_ok(form_fields()):
        return redirect("/catalogue")
    expired = [_cookie(SESSION, "", max_age=0), _cookie(REFRESH, "", max_age=0)]  # the stored cart stays
    return redirect("/login", expired)


# --- forgotten password -------------------------------------------------------------------

def _forgot_page(*, error: str | None = None, email: str = "", status: int = 200) -> Response:
    csrf, cookies = _csrf_token()
    return _html(_render("portal/forgot.html", error=error, email=email, csrf=csrf), status, cookies)


@web_signin.route("/forgot-password", methods=["GET"])
def forgot_page():
    return _forgot_page(email=query_params().get("email", ""))


@web_signin.route("/forgot-password", methods=["POST"], content_types=FORM)
def forgot_submit():
    form = form_fields()
    if not _csrf_ok(form):
        return _forgot_page(error="This form expired; please try again.", status=403)
    email = form.get("email", "").strip().lower()
    if "@" not in email or len(email) > 254:
        return _forgot_page(error="Enter the email address you sign in with.", email=email, status=422)
    accounts.forgot_password(email)
    return redirect("/reset-password?" + urlencode({"email": email, "sent": "1"}))


def _reset_page(*, error: str | None = None, email: str = "", status: int = 200, field: str | None = None,
                sent: bool = False) -> Response:
    csrf, cookies = _csrf_token()
    return _html(_render("portal/reset.html", error=error, email=email, csrf=csrf, field=field, sent=sent),
                 status, cookies)


@web_signin.route("/reset-password", methods=["GET"])
def reset_page():
    params = query_params()
    return _reset_page(email=params.get("email", ""), sent=params.get("sent") == "1")


@web_signin.route("/reset-password", methods=["POST"], content_types=FORM)
def reset_submit():
    form = form_fields()
    email = form.get("email", "").strip().lower()
    if not _csrf_ok(form):
        return _reset_page(error="This form expired; please try again.", email=email, status=403)
    if "@" not in email or not form.get("code", "").strip() or not form.get("new_password"):
        return _reset_page(error="Enter your email, the code from the email and a new password.", email=email,
                           status=422)
    try:
        accounts.reset_password(email, form["code"].strip(), form["new_password"])
    except DomainError as exc:
        return _reset_page(error=exc.message, email=email, status=exc.status, field=exc.field)
    return redirect("/login", flash={"notice": "Your password is changed; sign in with the new one."})
