"""The back office's product pages: list and search, edit one product, adjust its stock with a reason,
import a catalogue CSV (dry-run preview with per-row errors, then confirm) and export it."""
from __future__ import annotations

from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any
from urllib.parse import urlencode

from chalice import Response

from chalicelib.api import schemas
from chalicelib.api.http import decode_cursor, encode_cursor, validate
from chalicelib.api.views import product_json
from chalicelib.domain.access import Capability, role_can
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.services import products_admin
from chalicelib.store import products as product_store
from chalicelib.web.kit import (
    FORM, Session, WebBlueprint, form_fields, local_time, query_params, redirect, render_page, require_csrf,
    staff_session, web,
)

web_products = WebBlueprint(__name__)
PAGE_SIZE = 50
UPLOAD = ["multipart/form-data"]  # every import form posts multipart: one binary kind per route (chalice package)
NUMBER_FIELDS = ("min_qty", "max_qty", "qty_step", "min_stock")


def viewer() -> Session:
    return staff_session(Capability.VIEW_CATALOGUE)


def editor() -> Session:
    return staff_session(Capability.MANAGE_CATALOGUE)


def stock_keeper() -> Session:
    return staff_session(Capability.MANAGE_STOCK)


def _may(session: Session, capability: str) -> bool:
    return role_can(session.principal.role, Capability(capability))


@web_products.route("/agent/products", methods=["GET"])
def products_page():
    session = viewer()
    params = query_params()
    query, category = (params.get("q") or "").strip()[:100], (params.get("category") or "").strip()[:100]
    found = products_admin.list_products(query=query or None, category=category or None, limit=PAGE_SIZE,
                                         after_sku=decode_cursor(params.get("cursor")))
    cursor = encode_cursor(found.after_sku)
    next_url = "/agent/products?" + urlencode({k: v for k, v in {"q": query, "category": category, "cursor": cursor}.items() if v}) if cursor else None
    return render_page("agent/products.html", session, products=[product_json(p) for p in found.products],
                       query=query, category=category, categories=product_store.categories(), next_url=next_url,
                       may_import=_may(session, "manage_catalogue"))


def _product_page(session: Session, sku: str, *, status: int = 200, values: dict[str, Any] | None = None,
                  errors: dict[str, str] | None = None, stock_errors: dict[str, str] | None = None,
                  stock_values: dict[str, str] | None = None) -> Response:
    product = product_store.get_product(sku)
    shown = product_json(product)
    movements = [{"at": local_time(m.at), "delta": m.delta, "reason": m.reason, "note": m.note, "actor": m.actor_name}
                 for m in products_admin.movements(product.sku)]
    return render_page("agent/product.html", session, status=status, product=shown, values={**shown, **(values or {})},
                       errors=errors or {}, stock_errors=stock_errors or {}, stock_values=stock_values or {},
                       movements=movements, reasons=schemas.STOCK_REASONS,
                       history=[{"at": local_time(e.at), "who": e.actor_name, "action": e.action,
                                 "fields": e.changed_fields} for e in products_admin.history("product", product.sku)],
                       may_edit=_may(session, "manage_catalogue"), may_adjust=_may(session, "manage_stock"))


@web_products.route("/agent/products/{sku}", methods=["GET"])
def product_page(sku):
    return _product_page(viewer(), sku)


def _number(raw: str) -> int | str | None:
    raw = raw.strip()
    if not raw:
        return None
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else raw


def product_changes(form: dict[str, str]) -> dict[str, Any]:
    """The edit form as PATCH /admin/products/{sku} takes it, checked by the same schema."""
    body: dict[str, Any] = {name: form.get(name, "").strip() for name in ("name", "category", "unit", "base_price", "vat_rate")}
    body.update({name: _number(form.get(name, "")) for name in NUMBER_FIELDS})
    body["portal_visible"] = form.get("portal_visible") == "yes"
    body.update({name: form.get(name, "").strip() or None for name in ("description", "datasheet_url")})
    return validate(body, schemas.PRODUCT_PATCH)


@web_products.route("/agent/products/{sku}", methods=["POST"], content_types=FORM)
def save_product(sku):
    session = editor()
    form = form_fields()
    require_csrf(form)
    try:
        products_admin.patch(session.principal, sku, product_changes(form))
    except ValidationFailed as exc:
        return _product_page(session, sku, status=422, values=form, errors={exc.field or "name": exc.message})
    return redirect(f"/agent/products/{sku}", session.cookies, flash={"notice": "Product saved."})


def stock_change(form: dict[str, str]) -> dict[str, Any]:
    raw = form.get("delta", "").strip()
    sign = -1 if raw.startswith("-") else 1
    digits = raw.lstrip("+-")
    delta: Any = sign * int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 10 else raw
    return validate({"delta": delta, "reason": form.get("reason", ""), "note": form.get("note", "").strip() or None},
                    schemas.STOCK_ADJUSTMENT)


@web_products.route("/agent/products/{sku}/stock", methods=["POST"], content_types=FORM)
def adjust_stock_page(sku):
    session = stock_keeper()
    form = form_fields()
    require_csrf(form)
    try:
        body = stock_change(form)
        product = products_admin.adjust_stock(session.principal, sku, body["delta"], body["reason"], body.get("note"))
    except (ValidationFailed, Conflict) as exc:
        return _product_page(session, sku, status=exc.status, stock_errors={exc.field or "delta": exc.message},
                             stock_values=form)
    return redirect(f"/agent/products/{sku}", session.cookies,
                    flash={"notice": f"Stock changed by {body['delta']:+d}; {product.qty_on_hand} on hand now."})


# --- import and export ------------------------------------------------------------------

def uploaded_csv() -> str:
    """The CSV of an import form: the uploaded file, or the pasted text (a confirmed preview sends it back)."""
    request = web.current_request
    content_type = request.headers.get("content-type", "")
    raw = request.raw_body or b""
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=default_policy).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
        fields: dict[str, str] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if name and (name not in fields or payload.strip()):
                try:
                    fields[name] = payload.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise ValidationFailed("The file is not UTF-8 text; save it as CSV UTF-8.", code="invalid_csv",
                                           field="file") from exc
        require_csrf(fields)
        return fields.get("file", "").strip() and fields["file"] or fields.get("csv_text", "")
    form = form_fields()
    require_csrf(form)
    return form.get("csv_text", "")


@web_products.route("/agent/import/products", methods=["GET"])
def import_page():
    return render_page("agent/products_import.html", editor(), result=None, csv_text="")


@web_products.route("/agent/import/products", methods=["POST"], content_types=UPLOAD)
def import_products_page():
    session = editor()
    text = uploaded_csv()
    confirm = (web.current_request.query_params or {}).get("confirm") == "yes"
    result = products_admin.import_csv(session.principal, text, dry_run=not confirm)
    if confirm and not result.errors:
        return redirect("/agent/products", session.cookies,
                        flash={"notice": f"Imported: {result.created} new, {result.updated} changed, {result.unchanged} unchanged."})
    return render_page("agent/products_import.html", session, status=422 if result.errors else 200, result=result,
                       csv_text=text)


@web_products.route("/agent/exports/products", methods=["GET"])
def download_products_csv():
    viewer()
    return Response(body=products_admin.export_csv(), status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="products.csv"'})
