"""The admin's audit log page: every recorded staff change, newest first, by entity type or for one entity."""
from __future__ import annotations

from urllib.parse import urlencode

from chalicelib.api.http import decode_cursor, encode_cursor
from chalicelib.api.admin_clients import AUDIT_TYPES
from chalicelib.domain.access import Capability
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services import audit
from chalicelib.web.kit import Session, WebBlueprint, query_params, render_page, staff_session
from chalicelib.web.staff.clients import audit_rows

web_audit = WebBlueprint(__name__)
PAGE = 50


def _admin() -> Session:
    """An admin (the capability kept out of the views, as the API's table reads them)."""
    return staff_session(Capability.MANAGE_SETTINGS)


@web_audit.route("/agent/audit", methods=["GET"])
def audit_page():
    session = _admin()
    params = query_params()
    entity_type = params.get("entity_type") if params.get("entity_type") in AUDIT_TYPES else ""
    entity_id = (params.get("entity_id") or "").strip()[:64] if entity_type else ""
    try:
        entries, last = audit.page(entity_type=entity_type or None, entity_id=entity_id or None, limit=PAGE,
                                   after=decode_cursor(params.get("cursor")))
    except ValidationFailed:
        entries, last = [], None
    filters = {"entity_type": entity_type, "entity_id": entity_id}
    next_url = "/agent/audit?" + urlencode({**{k: v for k, v in filters.items() if v}, "cursor": encode_cursor(last)}) if last else None
    return render_page("agent/audit.html", session, audit=audit_rows(entries), types=AUDIT_TYPES, filters=filters,
                       next_url=next_url)
