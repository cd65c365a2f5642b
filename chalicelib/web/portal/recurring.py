"""The buyer's recurring orders as a page: the list with the next run, a form to set one up, pause / resume /
skip the next run."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.recurring import occurrence_date
from chalicelib.services import recurring
from chalicelib.services.ordering import Buyer
from chalicelib.services.pricing import supplier_today
from chalicelib.services.proposals import parse_valid_until
from chalicelib.store import recurring as recurring_store
from chalicelib.store.clients import get_client
from chalicelib.web.kit import (
    FORM, Session, WebBlueprint, buyer_session, form_fields, form_lists, redirect, render_page, require_csrf,
    whole_number,
)

web_recurring = WebBlueprint(__name__)
LIST = 50


def _buyer(session: Session) -> Buyer:
    p = session.principal
    return Buyer(p.user_id, p.email, p.client_id or "")


def _page(session: Session, *, values: dict[str, Any] | None = None, error: str | None = None, status: int = 200) -> Any:
    items, _ = recurring_store.for_client(session.principal.client_id or "", limit=LIST, after=None)
    views = []
    for item in items:
        view = recurring.view(item)
        view["after_next"] = occurrence_date(item.start_date, item.every, item.interval, item.occurrence + 1).isoformat()
        views.append(view)
    client = get_client(session.principal.client_id or "")
    return render_page("portal/recurring.html", session, status=status, items=views, error=error,
                       values=values or {"start_date": supplier_today().isoformat(), "every": "week", "interval": "1"},
                       addresses=[a.as_dict() for a in client.addresses])


@web_recurring.route("/recurring-orders", methods=["GET"])
def recurring_page():
    return _page(buyer_session("place_orders"))


@web_recurring.route("/recurring-orders", methods=["POST"], content_types=FORM)
def create_recurring_page():
    session = buyer_session("place_orders")
    lists = form_lists()
    fields = {k: v[0] for k, v in lists.items()}
    require_csrf(fields)
    skus, qtys = lists.get("sku", []), lists.get("qty", [])
    lines = [{"sku": s.strip(), "qty": whole_number(qtys[i] if i < len(qtys) else "")}
             for i, s in enumerate(skus) if s.strip()]
    try:
        start = parse_valid_until(fields.get("start_date") or None)
        if start is None:
            raise ValidationFailed("Give the first day.", code="missing_field", field="start_date")
        body = {"lines": lines, "every": fields.get("every") or "", "interval": whole_number(fields.get("interval")),
                "start_date": start, "delivery_address_id": fields.get("delivery_address_id") or None,
                "client_reference": fields.get("client_reference") or None}
        recurring.create(_buyer(session), body)
    except (ValidationFailed, Conflict) as exc:
        return _page(session, values=fields, error=exc.message, status=422)
    return redirect("/recurring-orders", session.cookies, flash={"notice": "Recurring order saved; we remind you the day before each run."})


def _act(recurring_id: str, action: Any, done: str) -> Any:
    session = buyer_session("place_orders")
    require_csrf(form_fields())
    try:
        action(_buyer(session), recurring_id)
    except Conflict as exc:
        return redirect("/recurring-orders", session.cookies, flash={"error": exc.message})
    return redirect("/recurring-orders", session.cookies, flash={"notice": done})


@web_recurring.route("/recurring-orders/{recurring_id}/pause", methods=["POST"], content_types=FORM)
def pause_recurring(recurring_id):
    return _act(recurring_id, lambda b, i: recurring.change(b, i, {"status": "paused"}), "Paused; nothing runs until you resume it.")


@web_recurring.route("/recurring-orders/{recurring_id}/resume", methods=["POST"], content_types=FORM)
def resume_recurring(recurring_id):
    return _act(recurring_id, lambda b, i: recurring.change(b, i, {"status": "active"}), "Resumed.")


@web_recurring.route("/recurring-orders/{recurring_id}/skip-next", methods=["POST"], content_types=FORM)
def skip_recurring(recurring_id):
    return _act(recurring_id, recurring.skip_next, "The next run is skipped.")
