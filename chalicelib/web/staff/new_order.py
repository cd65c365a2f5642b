"""The back office's "New Sales Order" page: an agent writes an order for one of its clients (lines at the client's
prices, a reviewer may set a price by hand, a valid-until day) and issues it; the client accepts or declines it in
the portal. Also every order's PDF for staff."""
from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from chalicelib.domain.access import Capability, role_can
from chalicelib.domain.errors import Conflict, DomainError, ValidationFailed
from chalicelib.domain.money import display_amount
from chalicelib.services import offer_documents, staff_orders
from chalicelib.services.ordering import price_lines
from chalicelib.services.pricing import supplier_today
from chalicelib.services.proposals import parse_valid_until
from chalicelib.store import orders as order_store
from chalicelib.store.clients import get_client
from chalicelib.store.models import ClientItem, Gsi1
from chalicelib.web.kit import (
    FORM, Session, WebBlueprint, form_lists, line_index, query_params, redirect, render_page, require_csrf,
    staff_session, whole_number,
)

web_new_order = WebBlueprint(__name__)
MAX_CLIENTS = 200
BLANK_ROWS = 3


class _ClientListing(ClientItem):
    """Clients by name (gsi1 CLIENTS / <name>#<id>): the page's client picker, one Query."""

    by_name = Gsi1()


def _issuer() -> Session:
    return staff_session(Capability.VIEW_ORDERS)


def _may_override(session: Session) -> bool:
    return role_can(session.principal.role, Capability.REVIEW_ORDERS)


def _clients(session: Session) -> list[dict[str, str]]:
    mine = session.principal.user_id if session.principal.role == "agent" else None
    found = []
    for c in _ClientListing.by_name.query("CLIENTS", limit=MAX_CLIENTS):
        if mine is None or c.sale_agent_id == mine:
            found.append({"id": c.id, "name": c.name})
    return found


def _rows(form: dict[str, list[str]] | None) -> list[dict[str, str]]:
    if not form:
        return [{"sku": "", "qty": "", "unit_price": ""} for _ in range(BLANK_ROWS)]
    skus, qtys, prices = form.get("sku", []), form.get("qty", []), form.get("unit_price", [])
    rows = [{"sku": s.strip(), "qty": (qtys[i] if i < len(qtys) else "").strip(),
             "unit_price": (prices[i] if i < len(prices) else "").strip()} for i, s in enumerate(skus)]
    rows = [r for r in rows if r["sku"] or r["qty"]]
    return rows + [{"sku": "", "qty": "", "unit_price": ""}]


def _body(client_id: str, fields: dict[str, str], rows: list[dict[str, str]]) -> dict[str, Any]:
    lines = []
    for row in rows:
        if not row["sku"]:
            continue
        line: dict[str, Any] = {"sku": row["sku"], "qty": whole_number(row["qty"])}
        if row["unit_price"]:
            price = row["unit_price"].replace(",", ".")
            try:
                from decimal import Decimal, InvalidOperation  # noqa: PLC0415

                value = Decimal(price)
                if not value.is_finite() or value < 0 or value.as_tuple().exponent < -4:
                    raise InvalidOperation
            except InvalidOperation as exc:
                raise ValidationFailed("A price is a number like 12.50.", code="invalid_value",
                                       field=f"lines[{len(lines)}].unit_price") from exc
            line["unit_price"] = price
        lines.append(line)
    return {"client_id": client_id, "lines": lines,
            "valid_until": parse_valid_until(fields.get("valid_until") or None),
            "client_reference": fields.get("client_reference") or None, "notes": fields.get("notes") or None,
            "delivery_address_id": fields.get("delivery_address_id") or None}


def _page(session: Session, *, client_id: str | None, fields: dict[str, str] | None = None,
          rows: list[dict[str, str]] | None = None, preview: list[dict[str, Any]] | None = None,
          error: str | None = None, line_errors: dict[int, str] | None = None, status: int = 200) -> Any:
    client = get_client(client_id) if client_id else None
    return render_page(
        "agent/new_order.html", session, status=status, clients=_clients(session),
        client={"id": client.id, "name": client.name, "currency": client.currency,
                "addresses": [a.as_dict() for a in client.addresses]} if client else None,
        values=fields or {"valid_until": (supplier_today() + timedelta(days=staff_orders.DEFAULT_VALIDITY_DAYS)).isoformat()},
        rows=rows or _rows(None), preview=preview, error=error, line_errors=line_errors or {},
        may_override=_may_override(session), key=(fields or {}).get("key") or secrets.token_urlsafe(18))


@web_new_order.route("/agent/orders/new", methods=["GET"])
def new_order_page():
    session = _issuer()
    client_id = query_params().get("client_id") or None
    if client_id and client_id not in {c["id"] for c in _clients(session)}:
        client_id = None
    return _page(session, client_id=client_id)


@web_new_order.route("/agent/orders/new", methods=["POST"], content_types=FORM)
def issue_order_page():
    session = _issuer()
    lists = form_lists()
    fields = {k: v[0] for k, v in lists.items()}
    require_csrf(fields)
    client_id = fields.get("client_id") or ""
    if client_id not in {c["id"] for c in _clients(session)}:
        return _page(session, client_id=None, error="Pick one of your clients.", status=422)
    rows = _rows(lists)
    try:
        body = _body(client_id, fields, rows)
        if fields.get("action") == "preview":
            client = get_client(client_id)
            priced = price_lines(client, [{"sku": line["sku"], "qty": line["qty"]} for line in body["lines"]])
            preview = [{"sku": p.sku, "name": p.name, "qty": p.qty, "client_price": display_amount(p.unit_price),
                        "unit_price": body["lines"][i].get("unit_price") or display_amount(p.unit_price)}
                       for i, p in enumerate(priced)]
            return _page(session, client_id=client_id, fields=fields, rows=rows, preview=preview)
        order, _ = staff_orders.create(session.principal.user_id, session.principal.email, _may_override(session), body,
                                       fields.get("key"), only_agent=session.principal.user_id
                                       if session.principal.role == "agent" else None)
    except (ValidationFailed, Conflict) as exc:
        index = line_index(exc.field) if isinstance(exc, ValidationFailed) else None
        return _page(session, client_id=client_id, fields=fields, rows=rows, error=exc.message,
                     line_errors={index: exc.message} if index is not None else None, status=422)
    except DomainError as exc:
        return _page(session, client_id=client_id, fields=fields, rows=rows, error=exc.message, status=422)
    return redirect(f"/agent/orders/{order.id}", session.cookies,
                    flash={"notice": f"Order {order.number} sent to {order.client_name}."})


@web_new_order.route("/agent/orders/{order_id}/pdf", methods=["GET"])
def staff_order_pdf(order_id):
    session = _issuer()
    return redirect(offer_documents.order_pdf_url(order_store.get(order_id)), session.cookies)
