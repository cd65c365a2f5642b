"""Signing in and out of the web pages (buyers and staff share the form)."""
from __future__ import annotations

from chalice import Response

from chalicelib.services import accounts
from chalicelib.domain.errors import DomainError
from chalicelib.web.kit import (
    BUYER_HOME, FORM, REFRESH, SESSION, STAFF_HOME, WebBlueprint, _cookie, _csrf_ok, _csrf_token, _html, _render, _session_cookies,
    cart_cookie, form_fields, redirect,
)

web_signin = WebBlueprint(__name__)


# --- sign-in ----------------------------------------------------------------------------

def _login_page(*, error: str | None = None, email: str = "", session: str | None = None, status: int = 200) -> Response:
    csrf, cookies = _csrf_token()
    return _html(_render("portal/login.html", error=error, email=email, session=session, csrf=csrf), status, cookies)


@web_signin.route("/", methods=["GET"])
def home():
    """A buyer's landing page is the dashboard (signed-out visitors go on to sign in, staff to their home)."""
    return redirect(BUYER_HOME)


@web_signin.route("/login", methods=["GET"])
def login_page():
    return _login_page()


@web_signin.route("/login", methods=["POST"], content_types=FORM)
def login_submit():
    form = form_fields()
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
    # A cart belongs to whoever filled it: a new sign-in starts with an empty one.
    cookies = [*_session_cookies(result), cart_cookie({})]
    return redirect(BUYER_HOME if result.role == "buyer" else STAFF_HOME, cookies)


@web_signin.route("/logout", methods=["POST"], content_types=FORM)
def logout():
    if not _csrf_ok(form_fields()):
        return redirect("/catalogue")
    expired = [_cookie(SESSION, "", max_age=0), _cookie(REFRESH, "", max_age=0), cart_cookie({})]
    return redirect("/login", expired)
