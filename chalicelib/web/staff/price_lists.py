"""The back office's price list pages: all lists, one list's header (owner, validity), its items edited inline
with volume tiers, add and remove items, CSV import (dry-run preview with per-row errors, then confirm) and
export, delete."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalice import Response

from chalicelib.api import schemas
from chalicelib.api.http import validate
from chalicelib.api.views import price_list_json
from chalicelib.domain.access import Capability, role_can
from chalicelib.domain.csv_import import format_tiers, parse_tiers
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.money import display_amount
from chalicelib.services import price_lists, products_admin
from chalicelib.store import price_lists as store
from chalicelib.store.clients import get_client, get_group
from chalicelib.web.kit import (
    FORM, Session, WebBlueprint, form_fields, local_time, redirect, render_page, require_csrf, staff_session, web,
)
from chalicelib.web.staff.products import UPLOAD, uploaded_csv

web_price_lists = WebBlueprint(__name__)
LISTS = "/agent/price-lists"


def viewer() -> Session:
    return staff_session(Capability.VIEW_PRICING)


def editor() -> Session:
    return staff_session(Capability.MANAGE_PRICING)


def _owner_name(pl: Any) -> str:
    try:
        if pl.client_id:
            return f"Client: {get_client(pl.client_id).name}"
        if pl.group_id:
            return f"Group: {get_group(pl.group_id).name}"
    except NotFound:
        return "Client or group no longer exists"
    if pl.is_default:
        return "Default for every client"
    if pl.is_promotion:
        return "Promotion for every client"
    return "Not assigned"


@web_price_lists.route(LISTS, methods=["GET"])
def price_lists_page():
    session = viewer()
    rows = [{**price_list_json(pl), "owner": _owner_name(pl)} for pl in store.all_lists()]
    return render_page("agent/price_lists.html", session, lists=rows)


def _list_page(session: Session, price_list_id: str, *, status: int = 200, header_values: dict[str, Any] | None = None,
               header_errors: dict[str, str] | None = None, item_errors: dict[str, str] | None = None,
               item_values: dict[str, dict[str, str]] | None = None, import_result: Any = None,
               csv_text: str = "") -> Response:
    pl = store.get_price_list(price_list_id)
    shown = price_list_json(pl)
    items = [{"sku": i.sku, "price": display_amount(i.price), "tiers": format_tiers(store.list_price(i).tiers)}
             for i in sorted(store.price_list_prices(pl.id), key=lambda i: i.sku.upper())]
    known = {i["sku"].upper() for i in items}
    item_errors = {(k if k in known else "_new"): v for k, v in (item_errors or {}).items()}
    item_values = {(k if k in known else "_new"): v for k, v in (item_values or {}).items()}
    owner = "client" if pl.client_id else "group" if pl.group_id else "default" if pl.is_default else \
        "promotion" if pl.is_promotion else "none"
    return render_page("agent/price_list.html", session, status=status, price_list=shown, owner=owner,
                       owner_name=_owner_name(pl), items=items,
                       values={**shown, "owner": owner, **(header_values or {})}, errors=header_errors or {},
                       item_errors=item_errors, item_values=item_values, import_result=import_result,
                       csv_text=csv_text,
                       history=[{"at": local_time(e.at), "who": e.actor_name, "action": e.action,
                                 "fields": e.changed_fields} for e in products_admin.history("price_list", pl.id)],
                       may_edit=role_can(session.principal.role, Capability.MANAGE_PRICING))


@web_price_lists.route(LISTS + "/{price_list_id}", methods=["GET"])
def price_list_page(price_list_id):
    return _list_page(viewer(), price_list_id)


def header_changes(form: dict[str, str], is_promotion: bool) -> dict[str, Any]:
    """The header form as PATCH /admin/price-lists/{id} takes it, checked by the same schema."""
    body: dict[str, Any] = {"name": form.get("name", "").strip(),
                            "valid_from": form.get("valid_from", "").strip() or None,
                            "valid_to": form.get("valid_to", "").strip() or None}
    if not is_promotion:
        owner = form.get("owner", "none")
        body["client_id"] = form.get("client_id", "").strip() or None if owner == "client" else None
        body["group_id"] = form.get("group_id", "").strip() or None if owner == "group" else None
        body["is_default"] = owner == "default"
        if owner == "client" and not body["client_id"]:
            raise ValidationFailed("Enter the client's ID.", code="missing_field", field="client_id")
        if owner == "group" and not body["group_id"]:
            raise ValidationFailed("Enter the group's ID.", code="missing_field", field="group_id")
    return validate(body, schemas.PRICE_LIST_PATCH)


@web_price_lists.route(LISTS + "/{price_list_id}", methods=["POST"], content_types=FORM)
def save_price_list(price_list_id):
    session = editor()
    form = form_fields()
    _csrf(form)
    pl = store.get_price_list(price_list_id)
    try:
        price_lists.update(price_list_id, header_changes(form, bool(pl.is_promotion)), actor=session.principal)
    except (ValidationFailed, Conflict) as exc:
        return _list_page(session, price_list_id, status=exc.status, header_values=form,
                          header_errors={exc.field or "name": exc.message})
    return redirect(f"{LISTS}/{price_list_id}", session.cookies, flash={"notice": "Price list saved."})


def _csrf(form: dict[str, str]) -> None:
    require_csrf(form)


def item_body(form: dict[str, str]) -> dict[str, Any]:
    """One item's form (price and tiers written `10=9.50; 50=9.00`) as PUT .../items/{sku} takes it."""
    price = form.get("price", "").strip()
    body = validate({"price": price}, schemas.PRICE_WITH_TIERS)
    tiers = parse_tiers(form.get("tiers", ""), Decimal(body["price"]))
    return {"price": body["price"], "tiers": [{"min_qty": t.min_qty, "price": str(t.price)} for t in tiers]}


@web_price_lists.route(LISTS + "/{price_list_id}/items", methods=["POST"], content_types=FORM)
def save_item(price_list_id):
    session = editor()
    form = form_fields()
    _csrf(form)
    sku = form.get("sku", "").strip()
    try:
        if not sku:
            raise ValidationFailed("Enter the product code.", code="missing_field", field="sku")
        body = item_body(form)
        item = price_lists.set_price(price_list_id, sku, Decimal(body["price"]), body["tiers"], actor=session.principal)
    except (ValidationFailed, NotFound) as exc:
        if isinstance(exc, NotFound) and exc.code != "product_not_found":
            raise
        key = sku.upper() or "_new"
        return _list_page(session, price_list_id, status=422 if isinstance(exc, ValidationFailed) else 404,
                          item_errors={key: exc.message}, item_values={key: form})
    return redirect(f"{LISTS}/{price_list_id}", session.cookies, flash={"notice": f"Price of {item.sku} saved."})


@web_price_lists.route(LISTS + "/{price_list_id}/items/{sku}/delete", methods=["POST"], content_types=FORM)
def remove_item(price_list_id, sku):
    session = editor()
    _csrf(form_fields())
    price_lists.delete_price(price_list_id, sku, actor=session.principal)
    return redirect(f"{LISTS}/{price_list_id}", session.cookies, flash={"notice": f"{sku} taken off this list."})


@web_price_lists.route(LISTS + "/{price_list_id}/import", methods=["POST"], content_types=UPLOAD)
def import_items_page(price_list_id):
    session = editor()
    text = uploaded_csv()
    confirm = (web.current_request.query_params or {}).get("confirm") == "yes"
    result = price_lists.import_items(price_list_id, text, dry_run=not confirm, actor=session.principal)
    if confirm and not result.errors:
        return redirect(f"{LISTS}/{price_list_id}", session.cookies,
                        flash={"notice": f"Imported: {result.added} new prices, {result.changed} changed."})
    return _list_page(session, price_list_id, status=422 if result.errors else 200, import_result=result, csv_text=text)


@web_price_lists.route(LISTS + "/{price_list_id}/export", methods=["GET"])
def download_items_csv(price_list_id):
    viewer()
    return Response(body=price_lists.export_items(price_list_id), status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="price-list-{price_list_id}.csv"'})


@web_price_lists.route(LISTS + "/{price_list_id}/delete", methods=["POST"], content_types=FORM)
def delete_price_list_page(price_list_id):
    session = editor()
    _csrf(form_fields())
    pl = store.get_price_list(price_list_id)
    price_lists.delete(price_list_id, actor=session.principal)
    return redirect(LISTS, session.cookies, flash={"notice": f"Price list {pl.name} deleted."})
