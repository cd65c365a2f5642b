"""Quick order: paste `SKU, qty` lines or upload a CSV / XLSX file; the good lines go into the cart and every
bad line is listed with its row and reason (the same parser as POST /portal/cart/import and the intake)."""
from __future__ import annotations

from chalicelib.domain.errors import DomainError, ValidationFailed
from chalicelib.services import cart
from chalicelib.services.order_files import XLSX
from chalicelib.web.kit import MULTIPART, WebBlueprint, buyer_session, multipart_fields, render_page, require_csrf
from chalicelib.web.portal.cart import shopper

web_quick_order = WebBlueprint(__name__)

UPLOAD_TYPES = [MULTIPART, XLSX]  # bodies API Gateway must pass as bytes (app.api.binary_types)


@web_quick_order.route("/quick-order", methods=["GET"])
def quick_order_page():
    session = buyer_session("place_orders")
    return render_page("portal/quick_order.html", session, pasted="", added=None, errors=[], error=None, source=None)


@web_quick_order.route("/quick-order", methods=["POST"], content_types=[MULTIPART])
def quick_order_submit():
    session = buyer_session("place_orders")
    fields = multipart_fields()
    require_csrf({"csrf": fields.get("csrf", "") if isinstance(fields.get("csrf"), str) else ""})
    pasted = fields.get("lines", "") if isinstance(fields.get("lines"), str) else ""
    filename, content = fields.get("file") if isinstance(fields.get("file"), tuple) else (None, b"")
    try:
        if content:
            result = cart.import_file(shopper(session), content, filename=filename)
        elif pasted.strip():
            result = cart.import_file(shopper(session), pasted.encode())
        else:
            raise ValidationFailed("Paste some lines or choose a file.", code="missing_field")
    except DomainError as exc:
        return render_page("portal/quick_order.html", session, status=exc.status, pasted=pasted, added=None, errors=[],
                           error=exc.message, source=None)
    return render_page("portal/quick_order.html", session, pasted="" if not result.errors else pasted,
                       added=result.added, errors=[e.as_dict() for e in result.errors], source=filename, error=None)
