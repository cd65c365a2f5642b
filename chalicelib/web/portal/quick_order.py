"""Quick order: paste `SKU, qty` lines or upload a CSV / XLSX file; the good lines go into the cart and every
bad line is listed with its row and reason (the same parser as POST /portal/cart/import and the intake)."""
from __future__ import annotations

from email import message_from_bytes, policy
from typing import Any

from chalicelib.domain.errors import DomainError, ValidationFailed
from chalicelib.services import cart
from chalicelib.services.order_files import XLSX
from chalicelib.web.kit import WebBlueprint, _request, buyer_session, render_page, require_csrf
from chalicelib.web.portal.cart import shopper

web_quick_order = WebBlueprint(__name__)

MULTIPART = "multipart/form-data"
UPLOAD_TYPES = [MULTIPART, XLSX]  # bodies API Gateway must pass as bytes (app.api.binary_types)
MAX_UPLOAD_BYTES = 2_500_000


@web_quick_order.route("/quick-order", methods=["GET"])
def quick_order_page():
    session = buyer_session("place_orders")
    return render_page("portal/quick_order.html", session, pasted="", added=None, errors=[], error=None, source=None)


def _multipart_fields() -> dict[str, Any]:
    """The form's fields from a multipart/form-data body: text fields as str, the file as (filename, bytes)."""
    request = _request()
    raw = request.raw_body or b""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ValidationFailed("The file is larger than 2 MB.", code="file_too_large")
    header = f"Content-Type: {request.headers.get('content-type', '')}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = message_from_bytes(header + raw, policy=policy.HTTP)
    fields: dict[str, Any] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        fields[name] = (filename, payload) if filename is not None else payload.decode("utf-8", "replace")
    return fields


@web_quick_order.route("/quick-order", methods=["POST"], content_types=[MULTIPART])
def quick_order_submit():
    session = buyer_session("place_orders")
    fields = _multipart_fields()
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
