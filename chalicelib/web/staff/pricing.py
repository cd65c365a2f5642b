"""Why a client pays what it pays (the price rule's own trace, level by level) and the catalogue previewed
exactly as one of the client's contacts sees it (read-only)."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from chalicelib.api.http import decode_cursor, encode_cursor
from chalicelib.api.views import catalogue_json
from chalicelib.domain.access import Capability
from chalicelib.domain.errors import NotFound
from chalicelib.domain.money import display_amount
from chalicelib.services import catalogue, pricing
from chalicelib.store import products as product_store
from chalicelib.store import users as user_store
from chalicelib.store.clients import get_client
from chalicelib.web.kit import PAGE_SIZE, Session, WebBlueprint, query_params, render_page, staff_session

web_pricing = WebBlueprint(__name__)


def pricing_viewer() -> Session:
    return staff_session(Capability.VIEW_PRICING)


def _qty(raw: str | None) -> int | None:
    raw = (raw or "1").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 1_000_000 else None


def _why(session: Session, client_id: str, *, fixed_client: bool):
    params = query_params()
    sku, qty = (params.get("sku") or "").strip()[:64], _qty(params.get("qty"))
    answer: dict[str, Any] | None = None
    problem = None
    client = None
    if client_id:
        try:
            client = get_client(client_id)
        except NotFound as exc:
            if fixed_client:
                raise
            problem = exc.message
    if client and sku and qty is None:
        problem = "The quantity is a whole number from 1 to 1,000,000."
    elif client and sku:
        try:
            product, explanation = pricing.explain(client.id, sku, qty or 1)
        except NotFound as exc:
            problem = exc.message
        else:
            resolved = explanation.price
            answer = {"sku": product.sku, "name": product.name, "qty": qty,
                      "price": display_amount(resolved.price) if resolved else None,
                      "currency": resolved.currency if resolved else client.currency,
                      "source": resolved.source.value if resolved else None,
                      "trace": [{"level": s.level.value, "name": s.name, "price_list_id": s.price_list_id,
                                 "price": display_amount(s.price) if s.price is not None else None,
                                 "applies": s.applies, "reason": s.reason,
                                 "won": resolved is not None and s.level == resolved.source and s.price_list_id == resolved.price_list_id}
                                for s in explanation.trace]}
    return render_page("agent/pricing.html", session, status=404 if problem and not answer and client is None and client_id else 200,
                       client=client, client_id=client_id, sku=sku, qty=params.get("qty") or "1", answer=answer,
                       problem=problem, fixed_client=fixed_client)


@web_pricing.route("/agent/pricing", methods=["GET"])
def why_this_price_tool():
    session = pricing_viewer()
    return _why(session, (query_params().get("client_id") or "").strip()[:64], fixed_client=False)


@web_pricing.route("/agent/clients/{client_id}/prices", methods=["GET"])
def client_prices(client_id):
    return _why(pricing_viewer(), client_id, fixed_client=True)


def _stock_visible(permissions: dict[str, bool], client: Any) -> bool:
    """As the portal decides it: the contact's view_stock, then the client's (or the global) stock setting once
    the people branch's services/clients.py is in."""
    if not permissions.get("view_stock"):
        return False
    try:
        from chalicelib.services.clients import stock_visible  # noqa: PLC0415
    except ImportError:
        return True
    return bool(stock_visible(permissions, client))


@web_pricing.route("/agent/clients/{client_id}/preview", methods=["GET"])
def preview_as_client(client_id):
    """The portal catalogue for one of the client's contacts: its prices and price sources, stock only when
    that contact may see it; nothing can be ordered from here."""
    session = pricing_viewer()
    client = get_client(client_id)
    contacts = user_store.contacts_of(client.id)
    params = query_params()
    chosen = next((c for c in contacts if c.id == params.get("contact")), contacts[0] if contacts else None)
    permissions = chosen.permissions.as_dict() if chosen and chosen.permissions else {}
    show_stock = _stock_visible(permissions, client)
    category, query = (params.get("category") or "").strip()[:100], (params.get("q") or "").strip()[:100]
    result = catalogue.browse(client.id, category=category or None, query=query or None, limit=PAGE_SIZE,
                              after_sku=decode_cursor(params.get("cursor")))
    cursor = encode_cursor(result.after_sku)
    keep = {"contact": chosen.id if chosen else "", "category": category, "q": query}
    next_url = f"/agent/clients/{client.id}/preview?" + urlencode({k: v for k, v in {**keep, "cursor": cursor}.items() if v}) if cursor else None
    return render_page("agent/preview.html", session, client=client, contacts=contacts, contact=chosen,
                       items=[catalogue_json(e, show_stock=show_stock) for e in result.entries], show_stock=show_stock,
                       category=category, query=query, categories=product_store.categories(), next_url=next_url)
