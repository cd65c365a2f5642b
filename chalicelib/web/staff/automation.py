"""The automation pages (admin, manager): rules list with enable/disable, the rule editor (validated on the
server, errors shown field by field, live as the admin types: chalicelib/web/scripts/automation_rule.js asks
POST /agent/automation/rules/validate, which reads and checks the form exactly as a save does), the dry-run
panel, the runs of a rule, and the templates gallery."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.api.http import json_response
from chalicelib.automation_templates import TEMPLATE_LIST
from chalicelib.domain.access import Capability, role_can
from chalicelib.domain.automation import EVENTS, EMAIL_TEMPLATES, event_catalogue
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.services import automation
from chalicelib.services.pricing import supplier_today
from chalicelib.store import automation as automation_store
from chalicelib.web.kit import (
    FORM, Session, WebBlueprint, form_fields, local_time, redirect, render_page, require_csrf, staff_session,
)

web_automation = WebBlueprint(__name__)
HOME = "/agent/automation"
PARTS = ("trigger", "conditions", "actions")


def _session() -> Session:
    return staff_session(Capability.MANAGE_AUTOMATION)


def automation_runs_for(entity_id: str, session: Session) -> list[dict[str, Any]] | None:
    """The automations that ran for an order, for its staff page (None for roles that do not manage them)."""
    if not role_can(session.principal.role, Capability.MANAGE_AUTOMATION):
        return None
    return [_run_row(r) for r in automation.runs_for_entity(entity_id, 10)]


def _run_row(run: dict[str, Any]) -> dict[str, Any]:
    return {**run, "at": local_time(run["at"]), "event_label": EVENTS[run["event"]].label if run["event"] in EVENTS else run["event"],
            "due_at": local_time(run["due_at"]) if run.get("due_at") else None}


@web_automation.route(HOME, methods=["GET"])
def automation_home():
    session = _session()
    rules = [{**r, "event_label": EVENTS[r["trigger"]["event"]].label} for r in automation.list_rules()]
    return render_page("agent/automation.html", session, rules=rules, templates=TEMPLATE_LIST,
                       runs=[_run_row(r) for r in automation.recent_runs(20)])


@web_automation.route(HOME + "/rules/new", methods=["GET"])
def new_rule_page():
    session = _session()
    example = {"trigger": {"event": "order.placed"},
               "conditions": {"all": [{"field": "order.total", "op": "gt", "value": 5000}]},
               "actions": [{"type": "email", "to": "agent", "template": "order_placed_agent"}]}
    return _editor(session, None, {"name": "", "enabled": False, **{p: json.dumps(example[p], indent=2) for p in PARTS}})


@web_automation.route(HOME + "/rules/{rule_id}", methods=["GET"])
def rule_page(rule_id):
    session = _session()
    rule = automation.rule_json(_rule(rule_id))
    return _editor(session, rule, _values(rule))


def _rule(rule_id: str) -> automation_store.RuleItem:
    return automation_store.get_rule(rule_id)


def _values(rule: dict[str, Any]) -> dict[str, Any]:
    return {"name": rule["name"], "enabled": rule["enabled"], **{p: json.dumps(rule[p], indent=2) for p in PARTS}}


def _editor(session: Session, rule: dict[str, Any] | None, values: dict[str, Any], *, errors: dict[str, str] | None = None,
            dry_run: dict[str, Any] | None = None, status: int = 200):
    runs = [_run_row(r) for r in automation.runs_of_rule(rule["id"], 20, None)[0]] if rule else []
    events = event_catalogue()
    chosen = _event_of(values["trigger"])  # its reference is shown before any script runs
    referred = next((list(e["entity_fields"]) for e in events if e["event"] == chosen), [])
    return render_page("agent/automation_rule.html", session, status=status, rule=rule, values=values, errors=errors or {},
                       events=events, chosen_event=chosen, entity_fields=_entity_fields(events), chosen_entities=referred,
                       email_templates=EMAIL_TEMPLATES, dry_run=dry_run, runs=runs, today=supplier_today().isoformat())


def _entity_fields(events: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Each entity an event may refer to, with its fields, once (the reference beside the trigger)."""
    return {name: fields for e in events for name, fields in e["entity_fields"].items()}


def _event_of(trigger_text: str) -> str | None:
    """The known event the trigger box names, when the box reads as JSON."""
    try:
        trigger = json.loads(trigger_text or "null")
    except ValueError:
        return None
    event = trigger.get("event") if isinstance(trigger, dict) else None
    return event if event in EVENTS else None


@dataclass(frozen=True)
class Problem:
    """What stops the editor's rule being saved: `field` is the rule's path at fault (`actions[1].url`, or the box
    whose JSON does not read), `message` the sentence shown beside the box."""

    field: str
    message: str

    @property
    def box(self) -> str:
        return _error_key(self.field)


def _read_rule(fields: dict[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    """The rule typed in the editor (its three JSON boxes parsed), and the boxes that do not read as JSON."""
    body: dict[str, Any] = {"name": fields.get("name", ""), "enabled": fields.get("enabled") == "on"}
    problems = []
    for part in PARTS:
        text = fields.get(part, "")  # not stripped: the line and column of a JSON error are the box's own
        if not text.strip():
            text = "{}" if part == "conditions" else ""
        try:
            body[part] = json.loads(text)
        except ValueError as exc:
            problems.append(Problem(part, f"This is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."))
    return body, problems


def _refusal(exc: ValidationFailed) -> Problem:
    return Problem(exc.field or "name", f"{exc.field}: {exc.message}" if exc.field else exc.message)


def _by_box(problems: list[Problem]) -> dict[str, str]:
    boxes: dict[str, list[str]] = {}
    for p in problems:
        boxes.setdefault(p.box, []).append(p.message)
    return {box: " ".join(messages) for box, messages in boxes.items()}


def _error_key(field: str | None) -> str:
    """The editor box an error belongs to: `actions[1].url` -> actions."""
    head = (field or "name").split(".")[0].split("[")[0]
    return head if head in (*PARTS, "name", "enabled") else "name"


def _save(rule_id: str | None):
    session = _session()
    fields = form_fields()
    require_csrf(fields)
    body, problems = _read_rule(fields)
    values = {"name": fields.get("name", ""), "enabled": body["enabled"], **{p: fields.get(p, "") for p in PARTS}}
    rule = automation.rule_json(_rule(rule_id)) if rule_id else None
    if not problems:
        problems = [_refusal(exc) for exc in automation.rule_problems(body)[1]]
    if not problems:
        try:
            item = automation.update_rule(rule_id, body) if rule_id else automation.create_rule(body)
        except ValidationFailed as exc:
            problems = [_refusal(exc)]
        else:
            return redirect(f"{HOME}/rules/{item.id}", session.cookies, flash={"notice": f"Saved \u201c{item_name(item)}\u201d."})
    return _editor(session, rule, values, errors=_by_box(problems), status=422)


def item_name(item: automation_store.RuleItem) -> str:
    return json.loads(item.body)["name"]


@web_automation.route(HOME + "/rules", methods=["POST"], content_types=FORM)
def create_rule_form():
    return _save(None)


@web_automation.route(HOME + "/rules/validate", methods=["POST"], content_types=FORM)
def validate_rule_form():
    """The editor's live check: the form read and validated as a save would, nothing written."""
    session = _session()
    fields = form_fields()
    require_csrf(fields)
    body, problems = _read_rule(fields)
    if not problems:
        problems = [_refusal(exc) for exc in automation.rule_problems(body)[1]]
    answer = {"errors": [{"field": p.field, "box": p.box, "message": p.message} for p in problems]} if problems else {"ok": True}
    renewed = {"Set-Cookie": session.cookies} if session.cookies else {}  # a token renewed now, not at every check
    return json_response(answer, headers={"Cache-Control": "no-store", **renewed})


@web_automation.route(HOME + "/rules/{rule_id}", methods=["POST"], content_types=FORM)
def save_rule_form(rule_id):
    return _save(rule_id)


@web_automation.route(HOME + "/rules/{rule_id}/toggle", methods=["POST"], content_types=FORM)
def toggle_rule(rule_id):
    session = _session()
    require_csrf(form_fields())
    rule = automation.rule_json(_rule(rule_id))
    automation.update_rule(rule_id, {"enabled": not rule["enabled"]})
    words = "disabled" if rule["enabled"] else "enabled"
    return redirect(HOME, session.cookies, flash={"notice": f"\u201c{rule['name']}\u201d is {words}."})


@web_automation.route(HOME + "/rules/{rule_id}/delete", methods=["POST"], content_types=FORM)
def delete_rule_form(rule_id):
    session = _session()
    require_csrf(form_fields())
    name = automation.rule_json(_rule(rule_id))["name"]
    automation_store.delete_rule(rule_id)
    return redirect(HOME, session.cookies, flash={"notice": f"Deleted \u201c{name}\u201d."})


@web_automation.route(HOME + "/rules/{rule_id}/dry-run", methods=["POST"], content_types=FORM)
def dry_run_form(rule_id):
    session = _session()
    fields = form_fields()
    require_csrf(fields)
    rule = automation.rule_json(_rule(rule_id))
    errors: dict[str, str] = {}
    result = None
    try:
        if fields.get("sample", "").strip():
            try:
                sample = json.loads(fields["sample"])
            except ValueError as exc:
                raise ValidationFailed(f"The sample event is not valid JSON: {exc.msg}.", field="sample") from exc
            result = automation.dry_run(rule_id, sample, None, supplier_today())
        else:
            since = date.fromisoformat(fields.get("since") or supplier_today().isoformat())
            result = automation.dry_run(rule_id, None, since, supplier_today())
    except ValueError:
        errors["dry_run"] = "Since is a date (YYYY-MM-DD)."
    except ValidationFailed as exc:
        errors["dry_run"] = exc.message
    return _editor(session, rule, _values(rule), errors=errors, dry_run=result | {"sample": fields.get("sample", "")} if result else
                   {"sample": fields.get("sample", "")}, status=422 if errors else 200)


@web_automation.route(HOME + "/templates/{key}/install", methods=["POST"], content_types=FORM)
def install_template_form(key):
    session = _session()
    require_csrf(form_fields())
    try:
        item = automation.install_template(key)
    except NotFound as exc:
        return redirect(HOME, session.cookies, flash={"error": exc.message})
    return redirect(f"{HOME}/rules/{item.id}", session.cookies,
                    flash={"notice": f"Installed \u201c{item_name(item)}\u201d, disabled: check its addresses and enable it."})
