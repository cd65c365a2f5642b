"""Saved lists (favourites): a buyer's named lists of products with usual quantities, filled from the catalogue's
star or from the cart, and put into the cart in one click."""
from __future__ import annotations

import re

from chalicelib.domain.errors import DomainError
from chalicelib.services import cart
from chalicelib.store import saved_lists as list_store
from chalicelib.web.kit import FORM, WebBlueprint, buyer_session, form_fields, redirect, render_page, require_csrf, whole_number
from chalicelib.web.portal.cart import shopper

web_saved_lists = WebBlueprint(__name__)

_BACK = re.compile(r"^/catalogue(\?[A-Za-z0-9%&=._~+-]*)?$")


@web_saved_lists.route("/saved-lists", methods=["GET"])
def lists_page():
    session = buyer_session("place_orders")
    lists = sorted(list_store.for_contact(session.principal.user_id), key=lambda s: s.name.lower())
    return render_page("portal/saved_lists.html", session, lists=lists)


@web_saved_lists.route("/saved-lists", methods=["POST"], content_types=FORM)
def create_list():
    session = buyer_session("place_orders")
    form = form_fields()
    require_csrf(form)
    try:
        saved = cart.create_list(shopper(session), form.get("name", ""))
    except DomainError as exc:
        return redirect("/saved-lists", session.cookies, flash={"error": exc.message})
    return redirect(f"/saved-lists/{saved.list_id}", session.cookies, flash={"notice": f"List “{saved.name}” created."})


@web_saved_lists.route("/saved-lists/from-cart", methods=["POST"], content_types=FORM)
def save_cart():
    session = buyer_session("place_orders")
    form = form_fields()
    require_csrf(form)
    try:
        saved = cart.save_cart_as_list(shopper(session), form.get("name", ""))
    except DomainError as exc:
        return redirect("/cart", session.cookies, flash={"error": exc.message})
    return redirect(f"/saved-lists/{saved.list_id}", session.cookies,
                    flash={"notice": f"The cart's lines are saved as “{saved.name}”."})


@web_saved_lists.route("/saved-lists/{list_id}", methods=["GET"])
def list_page(list_id):
    session = buyer_session("place_orders")
    saved = list_store.get(session.principal.user_id, list_id)
    return render_page("portal/saved_list.html", session, saved=saved)


@web_saved_lists.route("/saved-lists/{list_id}/add", methods=["POST"], content_types=FORM)
def add_to_list(list_id):
    """From the catalogue (the star adds to Favourites) or the list's own form."""
    session = buyer_session("place_orders")
    form = form_fields()
    require_csrf(form)
    back = form.get("back", "")
    back = back if _BACK.match(back) else f"/saved-lists/{list_id}"
    qty = whole_number(form.get("qty"))
    try:
        saved = cart.add_to_list(shopper(session), list_id, form.get("sku", ""), qty if isinstance(qty, int) else -1)
    except DomainError as exc:
        return redirect(back, session.cookies, flash={"error": exc.message})
    return redirect(back, session.cookies, flash={"notice": f"{form.get('sku', '').strip()} is on your list “{saved.name}”."})


@web_saved_lists.route("/saved-lists/{list_id}/remove", methods=["POST"], content_types=FORM)
def remove_from_list(list_id):
    session = buyer_session("place_orders")
    form = form_fields()
    require_csrf(form)
    cart.remove_from_list(shopper(session), list_id, form.get("sku", ""))
    return redirect(f"/saved-lists/{list_id}", session.cookies, flash={"notice": f"Removed {form.get('sku', '')}."})


@web_saved_lists.route("/saved-lists/{list_id}/delete", methods=["POST"], content_types=FORM)
def delete_list(list_id):
    session = buyer_session("place_orders")
    require_csrf(form_fields())
    saved = list_store.get(session.principal.user_id, list_id)
    list_store.delete(saved)
    return redirect("/saved-lists", session.cookies, flash={"notice": f"List “{saved.name}” deleted."})


@web_saved_lists.route("/saved-lists/{list_id}/to-cart", methods=["POST"], content_types=FORM)
def list_to_cart(list_id):
    session = buyer_session("place_orders")
    require_csrf(form_fields())
    try:
        _, skipped = cart.list_to_cart(shopper(session), list_id)
    except DomainError as exc:
        return redirect(f"/saved-lists/{list_id}", session.cookies, flash={"error": exc.message})
    flash = {"notice": "The list's products are in your cart."}
    if skipped:
        flash["skipped"] = skipped[:20]
    return redirect("/cart", session.cookies, flash=flash)
