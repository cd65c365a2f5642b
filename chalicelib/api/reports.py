"""/admin/reports/{name} (staff: JSON or CSV) and /portal/dashboard (a buyer's figures)."""
from __future__ import annotations

from chalice import Response

from chalicelib.api.http import ApiBlueprint, json_response
from chalicelib.api.security import require_portal, require_staff, token_authorizer
from chalicelib.domain.access import Capability
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services import reports

reports_api = ApiBlueprint(__name__)
FORMATS = ("json", "csv")


@reports_api.route("/admin/reports/{name}", methods=["GET"], authorizer=token_authorizer)
def report(name):
    """One of the eight reports for ?from=&to= and the filters it takes (agent_id, group_id, client_id)."""
    staff = require_staff(reports_api.current_request, Capability.VIEW_CLIENTS)
    params = dict(reports_api.current_request.query_params or {})
    answer_format = params.get("format") or "json"
    if answer_format not in FORMATS:
        raise ValidationFailed("format is json or csv.", code="invalid_value", field="format")
    result = reports.run(name, params, reports.Viewer(staff.user_id, staff.role))
    if answer_format == "csv":
        return csv_response(result)
    return json_response(result.as_json())


def csv_response(result: reports.Report) -> Response:
    filename = f"{result.name}-{result.period.start}-{result.period.end}.csv" if result.period else f"{result.name}.csv"
    return Response(body=result.as_csv(), status_code=200,
                    headers={"Content-Type": "text/csv; charset=utf-8",
                             "Content-Disposition": f'attachment; filename="{filename}"'})


@reports_api.route("/portal/dashboard", methods=["GET"], authorizer=token_authorizer)
def dashboard():
    """The signed-in buyer's company: credit, balance, overdue, open orders, deliveries on the way, spend per month."""
    buyer = require_portal(reports_api.current_request)
    return json_response(reports.dashboard(buyer.client_id))
