"""The staff's order intake page: upload a client's order spreadsheet (CSV or XLSX) and it becomes a draft order in
the review queue, origin `upload` (the same service as POST /admin/intake). The same file for the same client again
is the same order; a file with nothing to order creates nothing and lists each bad row with its reason.

Agents pick among their own clients only; a posted client they may not see is refused by the service."""
from __future__ import annotations

from typing import Any

from chalicelib.domain.access import Capability
from chalicelib.domain.errors import DomainError
from chalicelib.domain.order_files import RowError
from chalicelib.services import clients, intake
from chalicelib.web.kit import (
    MULTIPART, Session, WebBlueprint, multipart_fields, redirect, render_page, require_csrf, staff_session,
)

web_intake = WebBlueprint(__name__)

MAX_CLIENTS = 200
# Refusals of the chosen client: an unknown one and another agent's read the same (the list has only theirs).
CLIENT_REFUSALS = ("unknown_client", "client_not_found")


def _uploader() -> Session:
    """A staff member whose role may put orders in the review queue (as POST /admin/intake)."""
    return staff_session(Capability.REVIEW_ORDERS)


def _viewer(session: Session) -> clients.Viewer:
    p = session.principal
    return clients.Viewer(p.user_id, p.role, p.name)


def _clients(session: Session) -> list[dict[str, str]]:
    """The clients this person may upload for, by name (an agent: its own)."""
    found, _ = clients.list_clients(_viewer(session), limit=MAX_CLIENTS)
    return [{"id": c.id, "name": c.name} for c in found]


def _page(session: Session, *, status: int = 200, values: dict[str, str] | None = None, error: str | None = None,
          problems: list[RowError] | None = None, order: Any = None, repeat: bool = False) -> Any:
    return render_page("agent/intake.html", session, status=status, clients=_clients(session), values=values or {},
                       error=error, problems=[p.as_dict() for p in problems or []], order=order, repeat=repeat)


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    return value.strip() if isinstance(value, str) else ""


@web_intake.route("/agent/intake", methods=["GET"])
def intake_page():
    return _page(_uploader())


@web_intake.route("/agent/intake", methods=["POST"], content_types=[MULTIPART])
def intake_upload_page():
    session = _uploader()
    try:
        fields = multipart_fields()
    except DomainError as exc:  # a body too large to read: the form again, with why
        return _page(session, status=exc.status, error=exc.message)
    require_csrf({"csrf": _text(fields, "csrf")})
    values = {"client_id": _text(fields, "client_id"), "client_reference": _text(fields, "client_reference")}
    filename, content = fields["file"] if isinstance(fields.get("file"), tuple) else (None, b"")
    if not values["client_id"]:
        return _page(session, status=422, values=values, error="Choose the client whose order this is.")
    if not filename:
        return _page(session, status=422, values=values, error="Choose the order file (.csv or .xlsx) to upload.")
    filename = filename[-200:]  # as the API's schema allows; the end keeps the file's type
    try:
        result = intake.upload(_viewer(session), session.principal.email,
                               {**values, "filename": filename, "client_reference": values["client_reference"] or None},
                               content)
    except intake.NothingToOrder as exc:
        why = "Fix these lines and upload it again." if exc.errors else "The file has no order lines."
        return _page(session, status=exc.status, values=values, problems=exc.errors,
                     error=f"Nothing in this file can be ordered, so no order was made. {why}")
    except DomainError as exc:
        if exc.code in CLIENT_REFUSALS:
            return _page(session, status=422, values=values, error="Choose one of your clients from the list.")
        return _page(session, status=exc.status, values=values, error=exc.message)
    order = result.order
    if result.created and not result.errors:
        return redirect(f"/agent/orders/{order.id}", session.cookies, flash={
            "notice": f"Draft order {order.number} made from {filename} for {order.client_name}; review it below."})
    # a repeated file, or an order made without some of the file's lines: say so beside the link to the order
    return _page(session, order={"id": order.id, "number": order.number, "client_name": order.client_name},
                 repeat=not result.created, problems=result.errors)
