"""The staff's order pages (review queue, one order with its checks and the decision forms) and the
signed review links of the reviewer's email. Every staff role may look; deciding needs REVIEW_ORDERS."""
from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from chalicelib.api import schemas
from chalicelib.api.http import decode_cursor, encode_cursor, validate
from chalicelib.api.security import Principal, principal_for
from chalicelib.api.views import order_json
from chalicelib.web.kit import (
    FORM, Session, WebBlueprint, form_fields, form_lists, line_index, local_time, message_page, query_params, redirect,
    render_page, require_csrf, staff_session, status_tab, whole_number,
)
from chalicelib.web.portal.orders import EVENT_LABELS
from chalicelib.web.staff.automation import automation_runs_for
from chalicelib.domain.access import Capability, may_see_client, role_can, scoped_agent
from chalicelib.domain.errors import Conflict, DomainError, Forbidden, NotFound, Unauthenticated, ValidationFailed
from chalicelib.domain.money import display_amount
from chalicelib.domain.orders import OPEN, OrderStatus, Review
from chalicelib.services import audit, cancellation, review, timeline
from chalicelib.services.pricing import chain_for, prices_for
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store.clients import get_client
from chalicelib.store.models import DeliveryNoteItem, OrderItem, sku_key
from chalicelib.store.products import find_products

web_agent = WebBlueprint(__name__)

QUEUE_PAGE = 50
STATUS_TABS = [s.value for s in (OrderStatus.DRAFT, OrderStatus.SENT, OrderStatus.ACCEPTED, OrderStatus.DECLINED, OrderStatus.EXPIRED,
                                 OrderStatus.CANCELLED)]

# Form field -> what the reviewer should read when the API's schema refuses it.
DECISION_HINTS = {
    "discount_percent": "The discount is a percentage from 0 to 99.99, e.g. 5 or 7.5.",
    "discount_reason": "Give the client a reason for the discount.",
    "reason": "Give the client a reason; they will read it.",
    "message": "Tell the client what you changed and why.",
    "cancel_reason": "Give the client a reason for the cancellation; they will read it.",
    "lines": "Keep at least one line; to refuse the whole order, reject it.",
    "unit_price": "A unit price is a decimal number such as 12.50; leave it blank for the client's price.",
}


def _may_decide(principal: Principal) -> bool:
    return not principal.is_buyer and role_can(principal.role, Capability.REVIEW_ORDERS)


def _reviewable(order: OrderItem) -> bool:
    return order.review == Review.PENDING.value and OrderStatus(order.status) in OPEN


def _hint(exc: DomainError) -> str:
    """The reviewer's words for a refusal: schema refusals of a known field get a hint, the rest the service's message."""
    name = (exc.field or "").rsplit(".", 1)[-1] if line_index(exc.field) is not None else exc.field or ""
    if exc.code in ("missing_field", "invalid_value", "unknown_field") and name in DECISION_HINTS:
        return DECISION_HINTS[name]
    return exc.message


def _client_in_scope(principal: Principal, order: OrderItem) -> Any:
    """The order's client; 404 for an agent that is not (or no longer) its agent."""
    client = get_client(order.client_id)
    if not may_see_client(principal.role, principal.user_id, client.sale_agent_id):
        raise NotFound(f"No order {order.id}.", code="order_not_found")
    return client


# --- review queue -----------------------------------------------------------------------

@web_agent.route("/agent/orders", methods=["GET"])
def agent_queue_page():
    session = staff_session()
    params = query_params()
    status = status_tab(STATUS_TABS, OrderStatus.DRAFT.value)
    orders, after = order_store.by_status(status, limit=QUEUE_PAGE, after=decode_cursor(params.get("cursor")),
                                          agent_id=scoped_agent(session.principal.role, session.principal.user_id))
    rows = [{**order_json(o, staff=True), "placed": local_time(o.created_at)} for o in orders]
    next_url = "/agent/orders?" + urlencode({"status": status, "cursor": encode_cursor(after)}) if after else None
    return render_page("agent/queue.html", session, tab=status, tabs=STATUS_TABS, orders=rows, next_url=next_url)


# --- one order --------------------------------------------------------------------------

def _check_figures(order: OrderItem) -> list[dict[str, Any]]:
    """Per line, today's numbers behind the stored checks: stock available and the client's price now."""
    client = get_client(order.client_id)
    products = find_products(line.sku for line in order.lines)
    current = prices_for(chain_for(client), products.values(), {sku_key(line.sku): line.qty for line in order.lines})
    figures = []
    for line in order.lines:
        key = sku_key(line.sku)
        product, price = products.get(key), current.get(key)
        available = product.qty_available if product else 0
        figures.append({"sku": line.sku, "qty": line.qty, "available": available, "stock_ok": available >= line.qty,
                        "unit_price": display_amount(line.unit_price),
                        "price_now": display_amount(price.price) if price else None,
                        "price_ok": price is not None and price.price == line.unit_price})
    return figures


def _order_page(session: Session, order_id: str, *, status: int = 200, form: str | None = None,
                values: dict[str, Any] | None = None, error: str | None = None, line_errors: dict[int, str] | None = None) -> Any:
    """The order with client, lines, checks and history; the decision forms when this person may decide now.

    After a refused decision: `form` names the form, `values` what was typed, `error` why.
    """
    order = order_store.get(order_id)
    client = _client_in_scope(session.principal, order)
    role = session.principal.role
    notes = dn_store.for_order(order.id) if role_can(role, Capability.VIEW_DELIVERIES) else None
    invoices = invoice_store.for_order(order.id) if role_can(role, Capability.VIEW_INVOICES) else None
    history = order_store.history(order.id)
    view = order_json(order, staff=True, history=history, delivery_notes=notes, invoices=invoices)
    view["placed"] = local_time(order.created_at)
    if view["checks"]:
        view["checks"]["checked_at"] = local_time(view["checks"]["checked_at"])
    for h in view["history"]:
        h.update(label=EVENT_LABELS.get(h["event"], h["event"]), at=local_time(h["at"]))
    accepted = order.status == OrderStatus.ACCEPTED.value
    return render_page(
        "agent/order.html", session, status=status, order=view, automation_runs=automation_runs_for(order.id, session),
        modify_rows=_modify_form(view, values if form == "modify" else None),
        client={"name": client.name, "credit_limit": display_amount(client.credit_limit),
                "balance": display_amount(client.balance or Decimal(0)), "payment_term_days": client.payment_term_days},
        figures=_check_figures(order), may_decide=_may_decide(session.principal), reviewable=_reviewable(order),
        form=form, values=values or {}, error=error, line_errors=line_errors or {},
        left_to_deliver=_left_to_deliver(order, notes or []) if notes is not None else [],
        may_cancel=accepted and _may_decide(session.principal) and cancellation.cancellable(order),
        may_deliver=accepted and role_can(role, Capability.MANAGE_DELIVERIES),
        may_invoice=accepted and invoices is not None and not invoices and role_can(role, Capability.MANAGE_INVOICES),
        audit=_audit_rows(order.id),
        timeline=timeline.order_timeline(order.id, deliveries=notes is not None, invoices=invoices is not None,
                                         loaded=timeline.Loaded(order=order, history=history, notes=notes, invoices=invoices)),
    )


def _audit_rows(order_id: str) -> list[dict[str, Any]]:
    from chalicelib.web.staff.clients import audit_rows  # the client pages own the audit panel's rows

    return audit_rows(audit.page(entity_type="order", entity_id=order_id, limit=20)[0])


def _left_to_deliver(order: OrderItem, notes: list[DeliveryNoteItem]) -> list[dict[str, Any]]:
    """The order's quantities not yet on a delivery note (shown beside the "Create delivery note" button)."""
    on_notes: dict[str, int] = {}
    for note in notes:
        for line in note.lines:
            on_notes[sku_key(line.sku)] = on_notes.get(sku_key(line.sku), 0) + line.qty
    return [{"sku": m.sku, "name": m.name, "qty": m.qty - on_notes.get(sku_key(m.sku), 0)}
            for m in order.lines if m.qty > on_notes.get(sku_key(m.sku), 0)]


def _modify_form(view: dict[str, Any], posted: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The modify form's rows: the order's lines (or what was just posted), then one to add a product."""
    lines = view["lines"]
    rows = posted["rows"] if posted else [{"sku": line["sku"], "qty": str(line["qty"]), "unit_price": ""} for line in lines] + [
        {"sku": "", "qty": "", "unit_price": ""}]
    by_sku = {line["sku"]: line for line in lines}
    return [{**row, "existing": i < len(lines), "name": by_sku.get(row["sku"], {}).get("name", ""),
             "ordered_price": by_sku.get(row["sku"], {}).get("unit_price", "")} for i, row in enumerate(rows)]


@web_agent.route("/agent/orders/{order_id}", methods=["GET"])
def agent_order_page(order_id):
    return _order_page(staff_session(), order_id)


def _decider(order_id: str) -> tuple[Session, dict[str, str]]:
    """The signed-in reviewer and the posted form, after the CSRF and permission checks."""
    session = staff_session()
    form = form_fields()
    require_csrf(form)
    if not _may_decide(session.principal):
        raise Forbidden("Your role may look at orders but not decide them.", code="forbidden")
    _client_in_scope(session.principal, order_store.get(order_id))  # 404 page for an unknown (or another agent's) order
    return session, form


def _approve_body(form: dict[str, str]) -> tuple[Decimal | None, str | None]:
    body = validate({"discount_percent": form.get("discount_percent", "").strip() or None,
                     "reason": form.get("discount_reason", "").strip() or None}, schemas.APPROVE)
    return (Decimal(body["discount_percent"]) if body.get("discount_percent") else None), body.get("reason")


def _reject_body(form: dict[str, str]) -> str:
    reason = form.get("reason", "").strip()
    return validate({"reason": reason} if reason else {}, schemas.REJECT)["reason"]


def _modify_rows(fields: dict[str, list[str]]) -> list[dict[str, str]]:
    """The modify form's rows: one per order line, then an empty one to add a product."""
    return [{"sku": s, "qty": q, "unit_price": p}
            for s, q, p in zip(fields.get("sku", []), fields.get("qty", []), fields.get("unit_price", []))]


def _proposed_lines(rows: list[dict[str, str]]) -> tuple[list[dict[str, Any]], list[int]]:
    """The proposal's lines (quantity 0 drops a line, a blank price keeps the client's), and the form row of each."""
    lines, source_rows = [], []
    for i, row in enumerate(rows):
        sku, qty = row["sku"].strip(), whole_number(row["qty"])
        if not sku or qty == 0:
            continue
        lines.append({"sku": sku, "qty": qty, "unit_price": row["unit_price"].strip() or None})
        source_rows.append(i)
    return lines, source_rows


def _modify_body(lines: list[dict[str, Any]], form: dict[str, str]) -> dict[str, Any]:
    body = {"lines": lines, "message": form.get("message", "").strip(),
            "discount_percent": form.get("discount_percent", "").strip() or None}
    return validate({k: v for k, v in body.items() if v != ""}, schemas.MODIFY)


@web_agent.route("/agent/orders/{order_id}/approve", methods=["POST"], content_types=FORM)
def agent_approve(order_id):
    session, form = _decider(order_id)
    try:
        discount, reason = _approve_body(form)
        review.approve(order_id, session.principal.email, discount, reason=reason, role=session.principal.role)
    except (ValidationFailed, Conflict) as exc:
        return _order_page(session, order_id, status=exc.status, form="approve", values=form, error=_hint(exc))
    return redirect(f"/agent/orders/{order_id}", session.cookies, flash={"notice": "Approved; the client is told."})


@web_agent.route("/agent/orders/{order_id}/reject", methods=["POST"], content_types=FORM)
def agent_reject(order_id):
    session, form = _decider(order_id)
    try:
        review.reject(order_id, session.principal.email, _reject_body(form))
    except (ValidationFailed, Conflict) as exc:
        return _order_page(session, order_id, status=exc.status, form="reject", values=form, error=_hint(exc))
    return redirect(f"/agent/orders/{order_id}", session.cookies, flash={"notice": "Rejected; the client is told why."})


def _cancel_reason(form: dict[str, str]) -> str:
    reason = form.get("reason", "").strip()
    try:
        reason = validate({"reason": reason} if reason else {}, schemas.CANCEL)["reason"]
    except ValidationFailed as exc:
        raise ValidationFailed(DECISION_HINTS["cancel_reason"], code=exc.code, field="reason") from exc
    if form.get("confirm") != "yes":
        raise ValidationFailed("Tick the box to confirm the cancellation.", code="confirmation_required", field="confirm")
    return reason


@web_agent.route("/agent/orders/{order_id}/cancel", methods=["POST"], content_types=FORM)
def agent_cancel(order_id):
    session, form = _decider(order_id)
    try:
        cancellation.cancel(order_id, session.principal.email, _cancel_reason(form))
    except (ValidationFailed, Conflict) as exc:
        return _order_page(session, order_id, status=exc.status, form="cancel", values=form, error=exc.message)
    return redirect(f"/agent/orders/{order_id}", session.cookies,
                    flash={"notice": "Order cancelled; its stock and credit are released and the client is told."})


@web_agent.route("/agent/orders/{order_id}/modify", methods=["POST"], content_types=FORM)
def agent_modify(order_id):
    session, form = _decider(order_id)
    rows = _modify_rows(form_lists())
    proposed, source_rows = _proposed_lines(rows)
    try:
        body = _modify_body(proposed, form)
        lines = [{**line, "unit_price": Decimal(line["unit_price"]) if line.get("unit_price") else None} for line in body["lines"]]
        discount = Decimal(body["discount_percent"]) if body.get("discount_percent") else Decimal(0)
        review.modify(order_id, session.principal.email, lines, body["message"], discount, role=session.principal.role)
    except (ValidationFailed, Conflict) as exc:
        i = line_index(exc.field)
        line_errors = {source_rows[i]: exc.message} if i is not None and i < len(source_rows) else {}
        return _order_page(session, order_id, status=exc.status, form="modify", values={**form, "rows": rows},
                           error=_hint(exc), line_errors=line_errors)
    return redirect(f"/agent/orders/{order_id}", session.cookies,
                    flash={"notice": "Changes proposed; the order waits for the client's answer."})


# --- review links from the reviewer's email ---------------------------------------------

def _link(token: str) -> tuple[dict[str, Any], OrderItem, Principal]:
    """The link's claims, its order and its reviewer; NotFound for an expired, forged or orphaned link."""
    claims = review.read_review_link(token)
    order = order_store.get(claims["order_id"])
    try:
        reviewer = principal_for(claims["sub"])
    except Unauthenticated as exc:
        raise NotFound("This link's reviewer has no account any more.", code="invalid_link") from exc
    if not may_see_client(reviewer.role, reviewer.user_id, get_client(order.client_id).sale_agent_id):
        raise NotFound("This link no longer works: the client has another sales agent now.", code="invalid_link")
    return claims, order, reviewer


def _link_problem(exc: DomainError) -> Any:
    if exc.code == "link_expired":
        return message_page("This link has expired", exc.message, 410, [("/login", "Sign in to the staff pages")])
    return message_page("This link does not work", exc.message, exc.status, [("/login", "Sign in to the staff pages")])


def _already_decided(order: OrderItem) -> Any:
    who = f" by {order.decided_by}" if order.decided_by else ""
    return message_page("Already decided", f"Order {order.number} from {order.client_name} is {order.status} "
                        f"(review {order.review}{who}); this link has nothing left to do.", 409,
                        [(f"/agent/orders/{order.id}", "Open the order in the staff pages")])


def _link_page(token: str, claims: dict[str, Any], order: OrderItem, reviewer: Principal, *,
               status: int = 200, error: str | None = None, reason: str = "") -> Any:
    view = order_json(order, staff=True)
    view["placed"] = local_time(order.created_at)
    return render_page("agent/review_link.html", None, status=status, token=token, decision=claims["decision"], order=view,
                       reviewer=reviewer.name, error=error, reason=reason)


@web_agent.route("/review-links/{token}", methods=["GET"])
def review_link_page(token):
    """What the link would do, with a button to confirm. Never changes anything: mail scanners open links too."""
    try:
        claims, order, reviewer = _link(token)
    except DomainError as exc:
        return _link_problem(exc)
    if not _reviewable(order):
        return _already_decided(order)
    return _link_page(token, claims, order, reviewer)


@web_agent.route("/review-links/{token}", methods=["POST"], content_types=FORM)
def review_link_confirm(token):
    """Approve or reject as the link's reviewer (the link is the credential; its decision is fixed)."""
    form = form_fields()
    require_csrf(form)
    try:
        claims, order, reviewer = _link(token)
    except DomainError as exc:
        return _link_problem(exc)
    if not _may_decide(reviewer):
        return message_page("Not allowed", "The person this link was sent to may no longer decide orders.", 403, [])
    reason = form.get("reason", "").strip()
    try:
        if claims["decision"] == "approve":
            decided = review.approve(order.id, reviewer.email)
        else:
            decided = review.reject(order.id, reviewer.email, _reject_body(form))
    except ValidationFailed as exc:
        return _link_page(token, claims, order, reviewer, status=422, error=_hint(exc), reason=reason)
    except Conflict:
        return _already_decided(order_store.get(order.id))
    verb = "approved" if claims["decision"] == "approve" else "rejected"
    return message_page(f"Order {decided.number} {verb}",
                        f"Order {decided.number} from {decided.client_name} ({display_amount(decided.total)} {decided.currency}) "
                        f"is {verb}; it is now {decided.status}. The client has been told.", 200,
                        [(f"/agent/orders/{decided.id}", "Open the order in the staff pages")])
