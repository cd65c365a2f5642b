"""The buyer's catalogue: their prices, stock when they may see it, search and categories."""
from __future__ import annotations

from urllib.parse import urlencode

from chalicelib.api.http import decode_cursor, encode_cursor
from chalicelib.api.security import require_buyer
from chalicelib.api.portal import stock_visible_to
from chalicelib.api.views import catalogue_json
from chalicelib.domain.errors import DomainError
from chalicelib.services import catalogue
from chalicelib.services import product_page as product_page_service
from chalicelib.store import products as product_store
from chalicelib.web.kit import (
    PAGE_SIZE, WebBlueprint, buyer_session, current_session, message_page, query_params, redirect, render_page, staff_home,
)

web_catalogue = WebBlueprint(__name__)


@web_catalogue.route("/catalogue", methods=["GET"])
def catalogue_page():
    session = current_session()
    if session is None:
        return redirect("/login")
    if not session.principal.is_buyer:
        return redirect(staff_home(session.principal.role), session.cookies)
    try:
        buyer = require_buyer(session.principal)
    except DomainError as exc:
        return message_page("No portal access", exc.message, 403)
    params = query_params()
    category, query = (params.get("category") or "").strip()[:100], (params.get("q") or "").strip()[:100]
    try:
        result = catalogue.browse(buyer.client_id, category=category or None, query=query or None,
                                  limit=PAGE_SIZE, after_sku=decode_cursor(params.get("cursor")))
    except DomainError:
        return redirect("/catalogue")
    show_stock = stock_visible_to(buyer)
    filters = {"category": category, "q": query}
    next_cursor = encode_cursor(result.after_sku)
    next_url = "/catalogue?" + urlencode({k: v for k, v in {**filters, "cursor": next_cursor}.items() if v}) if next_cursor else None
    here = {**filters, "cursor": params.get("cursor") or ""}
    return render_page(
        "portal/catalogue.html", session,
        items=[catalogue_json(e, show_stock=show_stock) for e in result.entries],
        show_stock=show_stock, can_order=buyer.permissions.get("place_orders", False),
        category=category, query=query, next_url=next_url, categories=product_store.categories(),
        here="/catalogue" + ("?" + urlencode({k: v for k, v in here.items() if v}) if any(here.values()) else ""),
    )


@web_catalogue.route("/catalogue/{sku}", methods=["GET"])
def buyer_product_page(sku):
    """One product as this buyer sees it: their price (and the list price it beats), description, datasheet,
    stock when they may see it; hidden or unpriced products are a 404 page."""
    session = buyer_session()
    buyer = require_buyer(session.principal)
    entry = catalogue.one(buyer.client_id, sku)
    show_stock = buyer.permissions.get("view_stock", False)
    return render_page("portal/product.html", session, item=catalogue_json(entry, show_stock=show_stock),
                       product=entry.product, price=entry.price.price, list_price=product_page_service.list_price(buyer.client_id, entry),
                       show_stock=show_stock, can_order=buyer.permissions.get("place_orders", False),
                       here=f"/catalogue/{entry.product.sku}")
