"""A buyer company's administrators (permission `manage_company`) manage their colleagues; approvers (permission
`approve_orders`) decide the orders above a colleague's spending limit."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.api.views import order_json
from chalicelib.domain.access import PORTAL_PERMISSIONS
from chalicelib.domain.errors import DomainError
from chalicelib.services import approvals, company
from chalicelib.web.kit import (
    FORM, Session, WebBlueprint, buyer_session, form_fields, form_lists, redirect, render_page, require_csrf,
)

web_company = WebBlueprint(__name__)

PERMISSION_LABELS = {"place_orders": "Place orders", "view_stock": "See stock", "orders": "See orders",
                     "invoices": "See invoices and statement", "proposals": "See and answer proposals",
                     "deliveries": "See deliveries", "download_documents": "Download documents",
                     "manage_company": "Manage company users", "approve_orders": "Approve orders above a limit"}


def _permissions_from(form: dict[str, list[str]]) -> dict[str, bool]:
    chosen = set(form.get("permission", []))
    return {p: p in chosen for p in PORTAL_PERMISSIONS}


def _limit_from(raw: str) -> tuple[str | None, str | None]:
    """(spending limit as a decimal string or None, error)"""
    raw = raw.strip().replace(" ", "")
    if not raw:
        return None, None
    try:
        amount = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        return None, "A spending limit is an amount such as 500.00 (leave it empty for none)."
    if amount <= 0 or amount >= Decimal("1e12") or amount != amount.quantize(Decimal("0.01")):
        return None, "A spending limit is an amount above zero with at most two decimals (leave it empty for none)."
    return str(amount.quantize(Decimal("0.01"))), None


def _users_page(session: Session, *, status: int = 200, error: str | None = None, field: str | None = None,
                values: dict[str, Any] | None = None) -> Any:
    people = [company.contact_json(c) for c in company.contacts(session.principal)]
    return render_page("portal/company_users.html", session, status=status, active="company", people=people,
                       error=error, field=field, values=values or {}, labels=PERMISSION_LABELS,
                       own=session.principal.permissions, me=session.principal.user_id)


@web_company.route("/company/users", methods=["GET"])
def company_users():
    return _users_page(buyer_session("manage_company"))


@web_company.route("/company/users", methods=["POST"], content_types=FORM)
def invite_colleague_page():
    session = buyer_session("manage_company")
    form = form_fields()
    require_csrf(form)
    values = {k: form.get(k, "").strip() for k in ("email", "first_name", "last_name", "spending_limit")}
    limit, limit_error = _limit_from(values["spending_limit"])
    if limit_error:
        return _users_page(session, status=422, error=limit_error, field="spending_limit", values=values)
    if not values["first_name"] or not values["last_name"] or "@" not in values["email"]:
        return _users_page(session, status=422, error="Give the colleague's email, first and last name.",
                           field="email", values=values)
    body = {"email": values["email"][:254], "first_name": values["first_name"][:200],
            "last_name": values["last_name"][:200], "permissions": _permissions_from(form_lists()),
            "spending_limit": limit}
    try:
        invited = company.invite(session.principal, body)
    except DomainError as exc:
        if exc.status not in (403, 409, 422):
            raise
        return _users_page(session, status=exc.status, error=exc.message, field=exc.field, values=values)
    return redirect("/company/users", session.cookies,
                    flash={"notice": f"{invited.name} is invited: an email with a temporary password is on its way."})


@web_company.route("/company/users/{contact_id}", methods=["POST"], content_types=FORM)
def change_colleague_page(contact_id):
    session = buyer_session("manage_company")
    form = form_fields()
    require_csrf(form)
    body: dict[str, Any] = {}
    if form.get("action") in ("disable", "enable"):
        body["status"] = "disabled" if form["action"] == "disable" else "active"
    else:
        limit, limit_error = _limit_from(form.get("spending_limit", ""))
        if limit_error:
            return _users_page(session, status=422, error=limit_error, field="spending_limit")
        body = {"permissions": _permissions_from(form_lists()), "spending_limit": limit}
    try:
        changed = company.update(session.principal, contact_id, body)
    except DomainError as exc:
        if exc.status not in (403, 409, 422):
            raise
        return _users_page(session, status=exc.status, error=exc.message, field=exc.field)
    words = {"disabled": "is disabled and signed out", "active": "can sign in again"}.get(body.get("status", ""), "is updated")
    return redirect("/company/users", session.cookies, flash={"notice": f"{changed.name} {words}."})


# --- approvals ------------------------------------------------------------------------------

@web_company.route("/approvals", methods=["GET"])
def approvals_page():
    session = buyer_session("approve_orders")
    waiting, _ = approvals.waiting(session.principal, limit=100, after=None)
    return render_page("portal/approvals.html", session, active="approvals",
                       orders=[{**order_json(o), "contact_email": o.contact_email, "mine": o.contact_id == session.principal.user_id}
                               for o in waiting])


@web_company.route("/approvals/{order_id}", methods=["POST"], content_types=FORM)
def decide_page(order_id):
    session = buyer_session("approve_orders")
    form = form_fields()
    require_csrf(form)
    if form.get("decision") == "approve":
        order = approvals.approve(session.principal, order_id)
        notice = f"Order {order.number} is approved and goes to the supplier."
    else:
        order = approvals.reject(session.principal, order_id, form.get("reason", "").strip()[:2000] or None)
        notice = f"Order {order.number} is rejected; its buyer is told."
    return redirect("/approvals", session.cookies, flash={"notice": notice})
