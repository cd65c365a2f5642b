"""/admin/automation: rules (trigger -> conditions -> actions), dry runs, runs and templates (admin, manager)."""
from __future__ import annotations

from datetime import date

from chalice import Response

from chalicelib.api import schemas
from chalicelib.api.http import (
    ApiBlueprint, decode_cursor, encode_cursor, json_body, json_response, page, page_params, validate,
)
from chalicelib.api.security import require_staff, token_authorizer
from chalicelib.automation_templates import TEMPLATE_LIST, template_json
from chalicelib.domain.access import Capability
from chalicelib.domain.automation import event_catalogue
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services import automation
from chalicelib.services.pricing import supplier_today
from chalicelib.store import automation as automation_store

admin_automation_api = ApiBlueprint(__name__)


def _request():
    return admin_automation_api.current_request


@admin_automation_api.route("/admin/automation/events", methods=["GET"], authorizer=token_authorizer)
def list_events():
    require_staff(_request(), Capability.MANAGE_AUTOMATION)
    return json_response(page(event_catalogue(), None))


@admin_automation_api.route("/admin/automation/rules", methods=["POST"], authorizer=token_authorizer)
def create_rule():
    require_staff(_request(), Capability.MANAGE_AUTOMATION)
    body = validate(json_body(_request()), schemas.AUTOMATION_RULE)
    item = automation.create_rule(body)
    return json_response(automation.rule_json(item), status=201)


@admin_automation_api.route("/admin/automation/rules", methods=["GET"], authorizer=token_authorizer)
def list_rules():
    require_staff(_request(), Capability.MANAGE_AUTOMATION)
    return json_response(page(automation.list_rules(), None))


@admin_automation_api.route("/admin/automation/rules/{rule_id}", methods=["GET"], authorizer=token_authorizer)
def get_rule(rule_id):
    require_staff(_request(), Capability.MANAGE_AUTOMATION)
    return json_response(automation.rule_json(automation_store.get_rule(rule_id)))


@admin_automation_api.route("/admin/automation/rules/{rule_id}", methods=["PATCH"], authorizer=token_authorizer)
def update_rule(rule_id):
    require_staff(_request(), Capability.MANAGE_AUTOMATION)
    body = validate(json_body(_request()), schemas.AUTOMATION_RULE_PATCH)
    return json_response(automation.rule_json(automation.update_rule(rule_id, body)))


@admin_automation_api.route("/admin/automation/rules/{rule_id}", methods=["DELETE"], authorizer=token_authorizer)
def delete_rule(rule_id):
    require_staff(_request(), Capability.MANAGE_AUTOMATION)
    automation_store.delete_rule(rule_id)
    return Response(body="", status_code=204)


@admin_automation_api.route("/admin/automation/rules/{rule_id}/dry-run", methods=["POST"], authorizer=token_authorizer)
def dry_run(rule_id):
    require_staff(_request(), Capability.MANAGE_AUTOMATION)
    body = validate(json_body(_request()), schemas.AUTOMATION_DRY_RUN)
    since = None
    if "since" in body:
        try:
            since = date.fromisoformat(body["since"])
        except ValueError as exc:
            raise ValidationFailed("since is a date (YYYY-MM-DD).", code="invalid_date", field="since") from exc
    return json_response(automation.dry_run(rule_id, body.get("event"), since, supplier_today()))


@admin_automation_api.route("/admin/automation/runs", methods=["GET"], authorizer=token_authorizer)
def list_runs():
    require_staff(_request(), Capability.MANAGE_AUTOMATION)
    params = _request().query_params or {}
    limit, cursor = page_params(_request())
    if params.get("rule_id"):
        runs, after = automation.runs_of_rule(params["rule_id"], limit, decode_cursor(cursor))
        return json_response(page(runs, encode_cursor(after)))
    if params.get("entity_id"):
        return json_response(page(automation.runs_for_entity(params["entity_id"], limit), None))
    return json_response(page(automation.recent_runs(limit), None))


@admin_automation_api.route("/admin/automation/templates", methods=["GET"], authorizer=token_authorizer)
def list_templates():
    require_staff(_request(), Capability.MANAGE_AUTOMATION)
    return json_response(page([template_json(t) for t in TEMPLATE_LIST], None))


@admin_automation_api.route("/admin/automation/templates/{key}/install", methods=["POST"], authorizer=token_authorizer)
def install_template(key):
    require_staff(_request(), Capability.MANAGE_AUTOMATION)
    return json_response(automation.rule_json(automation.install_template(key)), status=201)
