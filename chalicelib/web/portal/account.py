"""The buyer's own profile page: name, phone, email preferences, password; the company's data read-only, with a
message to the supplier's agent to change it."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import DomainError
from chalicelib.services import profile
from chalicelib.store.preferences import TOPICS
from chalicelib.web.kit import FORM, Session, WebBlueprint, buyer_session, form_fields, redirect, render_page, require_csrf

web_account = WebBlueprint(__name__)

TOPIC_WORDS = {"order_updates": "Order updates (received, accepted, shipped...)", "invoices": "New invoices and payment receipts",
               "proposals": "New proposals", "comments": "Comments on orders and proposals",
               "approvals": "Orders waiting for my approval"}


def _page(session: Session, *, status: int = 200, error: str | None = None, field: str | None = None,
          values: dict[str, Any] | None = None) -> Any:
    shown = profile.load(session.principal)
    if values:
        shown.update(values)
    return render_page("portal/profile.html", session, status=status, active="profile", profile=shown, error=error,
                       field=field, topics=[(t, TOPIC_WORDS[t]) for t in TOPICS
                                            if t != "approvals" or shown["permissions"].get("approve_orders")])


@web_account.route("/profile", methods=["GET"])
def profile_page():
    return _page(buyer_session())


@web_account.route("/profile", methods=["POST"], content_types=FORM)
def save_profile():
    session = buyer_session()
    form = form_fields()
    require_csrf(form)
    body: dict[str, Any] = {"first_name": form.get("first_name", "").strip()[:200],
                            "last_name": form.get("last_name", "").strip()[:200],
                            "phone": form.get("phone", "").strip()[:40] or None,
                            "notify": {t: form.get(f"notify_{t}") == "on" for t in TOPICS if f"shown_{t}" in form}}
    if not body["first_name"] or not body["last_name"]:
        return _page(session, status=422, error="Your first and last name cannot be empty.",
                     field="first_name" if not body["first_name"] else "last_name", values=body)
    if body["phone"] and not all(c.isdigit() or c in "+()./ -" for c in body["phone"]):
        return _page(session, status=422, error="A phone number has digits, spaces and + ( ) . / - only.",
                     field="phone", values=body)
    profile.update(session.principal, body)
    return redirect("/profile", session.cookies, flash={"notice": "Your profile is saved."})


@web_account.route("/profile/password", methods=["POST"], content_types=FORM)
def change_password_page():
    session = buyer_session()
    form = form_fields()
    require_csrf(form)
    if form.get("new_password") != form.get("repeat_password"):
        return _page(session, status=422, error="The two new passwords differ.", field="repeat_password")
    try:
        profile.change_password(session.principal, form.get("current_password", ""), form.get("new_password", ""))
    except DomainError as exc:
        if exc.status != 422:
            raise
        return _page(session, status=422, error=exc.message, field=exc.field)
    return redirect("/profile", session.cookies, flash={"notice": "Your password is changed."})


@web_account.route("/profile/company-change", methods=["POST"], content_types=FORM)
def request_company_change_page():
    session = buyer_session()
    form = form_fields()
    require_csrf(form)
    message = form.get("message", "").strip()[:4000]
    if not message:
        return _page(session, status=422, error="Write what should change.", field="message")
    sent_to = profile.request_company_change(session.principal, message)
    return redirect("/profile", session.cookies, flash={"notice": f"Your request went to {sent_to}."})
