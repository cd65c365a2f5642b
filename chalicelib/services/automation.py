"""Workflow automation: rules an admin edits, matched against the domain events on the bus.

Flow: EventBridge -> events queue -> `handle_events` (steps/automation.py) loads the enabled rules (cached;
one GetItem of the rules version per batch), builds each event's context once, evaluates the rules for that
event type, records a run per rule, and starts one Express execution of automation_run.asl.json per matched
rule (or a timer for a delayed / date-relative trigger). The execution runs each action once
(services/automation_actions.py), and its last step writes the run's outcome.
"""
from __future__ import annotations

import json
import os
import secrets
import time as _time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.adapters import webhooks
from chalicelib.adapters.scheduler import scheduler_from_env
from chalicelib.domain import automation as rules_domain
from chalicelib.domain.automation import EVENTS, Match, Rule
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.services import workflows
from chalicelib.store import automation as store
from chalicelib.urls import portal_link

logger = Logger(service="b2b-portal", child=True)

RULES_CACHE_SECONDS = 30.0  # the version item is still checked per batch; this only bounds a stale cache's life


# --- rules ------------------------------------------------------------------------------------------------

def rule_json(item: store.RuleItem) -> dict[str, Any]:
    body = json.loads(item.body)
    return {"id": item.id, **body, "version": int(item.revision), "template_key": item.template_key,
            "created_at": item.created_at, "updated_at": item.updated_at}


def to_rule(item: store.RuleItem) -> Rule:
    return rules_domain.rule_from(item.id, json.loads(item.body), int(item.revision), item.template_key)


def check_rule(body: dict[str, Any]) -> dict[str, Any]:
    """The rule as a save would store it, or ValidationFailed naming the first wrong field; nothing is written."""
    checked, problems = rule_problems(body)
    if problems:
        raise problems[0]
    return checked


def rule_problems(body: dict[str, Any]) -> tuple[dict[str, Any], list[ValidationFailed]]:
    """Every wrong field of the rule at once (the editor's live validation asks this as the admin types), and the
    rule as far as it is right: the domain's checks, then the webhook addresses this stage may not call."""
    checked, problems = rules_domain.check_rule_parts(body)
    for index, action in enumerate(checked["actions"] or []):
        problem = webhooks.refusal(action["url"], resolve=False) if action and action["type"] == "webhook" else None
        if problem:
            problems.append(ValidationFailed(f"This address cannot be called: {problem}.", code="invalid_rule",
                                             field=f"actions[{index}].url"))
    return checked, problems


def create_rule(body: dict[str, Any], template_key: str | None = None) -> store.RuleItem:
    checked = check_rule(body)
    return store.save_rule(secrets.token_hex(6), checked, template_key, new=True)


def update_rule(rule_id: str, changes: dict[str, Any]) -> store.RuleItem:
    """PATCH: the changed top-level parts over the stored rule, validated as a whole."""
    current = json.loads(store.get_rule(rule_id).body)
    unknown = set(changes) - {"name", "enabled", "trigger", "conditions", "actions"}
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]} cannot be changed.", code="invalid_rule", field=sorted(unknown)[0])
    checked = check_rule({**current, **changes})
    store.save_rule(rule_id, checked, new=False)
    return store.get_rule(rule_id)


def list_rules() -> list[dict[str, Any]]:
    return sorted((rule_json(r) for r in store.all_rules()), key=lambda r: r["name"].casefold())


@dataclass
class _Cache:
    version: str = ""
    rules: tuple[Rule, ...] = ()
    by_event: dict[str, tuple[Rule, ...]] | None = None
    checked_at: float = 0.0


_cache = _Cache()


def enabled_rules() -> tuple[Rule, ...]:
    """The enabled rules, re-read only when the rules version moved (one GetItem) or the cache is old."""
    version = store.rules_version()
    if version != _cache.version or _time.monotonic() - _cache.checked_at > RULES_CACHE_SECONDS:
        _cache.rules = tuple(to_rule(r) for r in store.all_rules() if r.enabled == "1")
        _cache.by_event = {}
        for rule in _cache.rules:
            _cache.by_event[rule.event] = (*_cache.by_event.get(rule.event, ()), rule)
        _cache.version, _cache.checked_at = version, _time.monotonic()
    return _cache.rules


def rules_for(event_type: str) -> tuple[Rule, ...]:
    """The enabled rules listening to this event type (after enabled_rules() refreshed the cache)."""
    return (_cache.by_event or {}).get(event_type, ())


# --- events and their context -------------------------------------------------------------------------------

def normalise(message: dict[str, Any]) -> dict[str, Any]:
    """An EventBridge event (as SQS delivers it) as the automation stores it: {id, type, time, detail}."""
    detail = message.get("detail") or {}
    return {"id": detail.get("event_key") or message.get("id") or secrets.token_hex(8), "type": message.get("detail-type") or message.get("type"),
            "time": message.get("time") or datetime.now(timezone.utc).isoformat(),
            "detail": message.get("detail") or {}}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value
    return value


def build_context(event: dict[str, Any]) -> dict[str, Any]:
    """What conditions and templates read: the event's payload and the objects it refers to (as plain dicts)."""
    from chalicelib.services import automation_context  # noqa: PLC0415 - store reads kept in one module

    detail = event["detail"]
    etype = EVENTS.get(event["type"])
    context: dict[str, Any] = {
        "event_type": event["type"], "event_id": event["id"], "event_label": etype.label if etype else event["type"],
        "event": {k: v for k, v in detail.items() if k != "automation"}, "meta": detail.get("automation") or {},
    }
    context.update(automation_context.entities(detail))
    if etype is not None:  # the documented payload, completed from the object the event is about
        thing = context.get(etype.entity) or {}
        for name in etype.fields:
            if context["event"].get(name) is None:
                value = thing.get("id") if name == f"{etype.entity}_id" else thing.get(name)
                if value is None and name.endswith("_id"):
                    value = (context.get(name[:-3]) or {}).get("id")
                if value is not None:
                    context["event"][name] = value
    context["links"] = _links(context)
    context["summary"] = _summary(context)
    return context


def _links(context: dict[str, Any]) -> dict[str, str]:
    links = {}
    if context.get("order"):
        links["order_staff"] = portal_link(f"/agent/orders/{context['order']['id']}")
        links["order_portal"] = portal_link(f"/orders/{context['order']['id']}")
    if context.get("invoice"):
        links["invoice_portal"] = portal_link(f"/invoices/{context['invoice']['id']}")
    if context.get("proposal"):
        links["proposal_portal"] = portal_link(f"/proposals/{context['proposal']['id']}")
    return links


def _summary(context: dict[str, Any]) -> str:
    for kind in ("order", "invoice", "proposal", "delivery_note"):
        thing = context.get(kind)
        if thing:
            words = f"{kind.replace('_', ' ')} {thing.get('number') or thing.get('id')}"
            if context.get("client"):
                words += f" — {context['client'].get('name')}"
            if thing.get("total") is not None:
                words += f" — {thing['total']} {thing.get('currency') or ''}".rstrip()
            return words
    if context.get("client"):
        return f"client {context['client'].get('name')}"
    if context.get("product"):
        return f"product {context['product'].get('sku')}"
    return context["event_type"]


def entity_ids(context: dict[str, Any]) -> list[str]:
    """What a run is filed under (the pages that show their automations): the documents, the client, the SKU."""
    ids = [context[k]["id"] for k in ("order", "invoice", "proposal", "delivery_note", "client") if (context.get(k) or {}).get("id")]
    return ids + ([context["product"]["sku"]] if (context.get("product") or {}).get("sku") else [])


# --- matching -------------------------------------------------------------------------------------------------

def handle_events(messages: list[dict[str, Any]]) -> int:
    """Match a batch of bus events against the enabled rules; returns the runs started or scheduled."""
    enabled_rules()
    started = 0
    for message in messages:
        event = normalise(message)
        if event["type"] not in EVENTS:
            continue
        store.remember_event(event)
        candidates = rules_for(event["type"])
        if candidates:
            started += match_event(event, candidates)
    return started


def match_event(event: dict[str, Any], candidates: list[Rule] | tuple[Rule, ...]) -> int:
    context = build_context(event)
    ids = entity_ids(context)
    started = 0
    unmatched = []
    for rule in candidates:
        match = rules_domain.evaluate(rule, context)
        run_id = rules_domain.run_id(event["id"], rule.id)
        if not match.matched:
            unmatched.append({"run_id": run_id, "rule_id": rule.id, "rule_name": rule.name, "rule_version": rule.version,
                              "event": event, "conditions": match.conditions,
                              "status": "skipped" if match.skipped else "no_match",
                              "actions": [{"type": "note", "status": "skipped", "error": match.skipped}] if match.skipped else []})
            continue
        try:
            due = rules_domain.fire_at(rule, context, _occurred(event))
        except ValueError as exc:
            store.create_run(run_id, rule_id=rule.id, rule_name=rule.name, rule_version=rule.version, event=event,
                             matched=True, conditions=match.conditions, status="skipped", entity_ids=ids,
                             actions=[{"type": "note", "status": "skipped", "error": str(exc)}])
            continue
        if due is not None and due > datetime.now(timezone.utc):
            if store.create_run(run_id, rule_id=rule.id, rule_name=rule.name, rule_version=rule.version, event=event,
                                matched=True, conditions=match.conditions, status="scheduled", entity_ids=ids, due_at=due):
                store.add_timer(run_id, rule.id, event, due)
                scheduler_from_env("automation").put(_schedule_name(run_id), due, {"run_id": run_id})
            started += 1
            continue
        created = store.create_run(run_id, rule_id=rule.id, rule_name=rule.name, rule_version=rule.version, event=event,
                                   matched=True, conditions=match.conditions, status="running", entity_ids=ids)
        if created or store.get_run(run_id).status == "running":  # a redelivery before the start: start again (actions run once)
            start_run(run_id)
            started += 1
    if unmatched:
        store.record_no_matches(unmatched)
    return started


def _schedule_name(run_id: str) -> str:
    """Scoped to the stage: the functions' policy allows only the stage's own automation schedules (64 at most)."""
    prefix = f"b2b-{os.environ.get('STAGE', 'local')}-automation-"
    return prefix + rules_domain.aws_name(run_id, 64 - len(prefix))


def _occurred(event: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(timezone.utc)


def start_run(run_id: str) -> None:
    """One Express execution of the rule's actions. AWS does not deduplicate Express executions by name: the
    actions' conditional claims are what make a second execution do nothing."""
    workflows.start("AUTOMATION_RUN_STATE_MACHINE_ARN", rules_domain.aws_name(run_id), {"run_id": run_id})


# --- timers -------------------------------------------------------------------------------------------------

def fire_timer(run_id: str) -> bool:
    """A delayed or date-relative run is due: conditions are read again (the invoice may be paid by now)."""
    timer = store.get_timer(run_id)
    if timer is None or timer.status != "pending" or not store.take_timer(timer):
        return False
    event = json.loads(timer.event_json)
    try:
        rule = to_rule(store.get_rule(timer.rule_id))
    except NotFound:
        store.finish_run(run_id, "skipped", [{"type": "note", "status": "skipped", "error": "the rule was deleted"}])
        return False
    if not rule.enabled:
        store.finish_run(run_id, "skipped", [{"type": "note", "status": "skipped", "error": "the rule was disabled"}])
        return False
    match = rules_domain.evaluate(rule, build_context(event))
    if not match.matched:
        store.finish_run(run_id, "no_match", [{"type": "note", "status": "skipped",
                                               "error": "the conditions no longer held when it was due"}])
        return False
    store.set_run_status(run_id, "running")
    start_run(run_id)
    return True


def fire_due_timers(now: datetime) -> int:
    """The local timer (and a safety net on AWS): fire every timer due at `now`."""
    return sum(fire_timer(t.run_id) for t in store.due_timers(now))


# --- dry runs -----------------------------------------------------------------------------------------------

def dry_run(rule_id: str, sample: dict[str, Any] | None, since: date | None, today: date) -> dict[str, Any]:
    """Which events the rule would match and why, and what each action would do. Nothing is sent or written."""
    rule = to_rule(store.get_rule(rule_id))
    if sample is not None:
        if not isinstance(sample, dict) or sample.get("type", rule.event) not in EVENTS:
            raise ValidationFailed("event is {type?, detail: {...}} of a known event type.", code="invalid_event", field="event")
        event = {"id": sample.get("id") or "dry-run", "type": sample.get("type") or rule.event,
                 "time": sample.get("time") or datetime.now(timezone.utc).isoformat(),
                 "detail": sample.get("detail") if isinstance(sample.get("detail"), dict) else
                 {k: v for k, v in sample.items() if k not in ("type", "id", "time")}}
        return _explain(rule, event)
    events = [e for e in store.events_since(since or today, today) if e.get("type") == rule.event]
    results = [_explain(rule, e) for e in events]
    matched = [r for r in results if r["matched"]]
    first = (matched or results or [{"conditions": [], "actions": []}])[0]
    return {"matched": bool(matched), "events": len(results), "matches": len(matched),
            "conditions": first["conditions"], "actions": first["actions"], "results": results}


def _explain(rule: Rule, event: dict[str, Any]) -> dict[str, Any]:
    context = build_context(event)
    match: Match = rules_domain.evaluate(rule, context)
    actions = [{"type": a["type"], "would": rules_domain.describe(a, context, rule.id)} for a in rule.actions] if match.matched else []
    out = {"event_id": event["id"], "event": event["type"], "matched": match.matched, "conditions": match.conditions,
           "actions": actions}
    if match.skipped:
        out["skipped"] = match.skipped
    return out


# --- runs ---------------------------------------------------------------------------------------------------

def run_json(run: store.RunItem) -> dict[str, Any]:
    return {"id": run.id, "rule_id": run.rule_id, "rule_name": run.rule_name, "rule_version": int(run.rule_version),
            "event_id": run.event_id, "event": run.event_type, "event_detail": json.loads(run.event_json).get("detail"),
            "matched": run.matched == "1", "status": run.status, "conditions": json.loads(run.conditions_json),
            "actions": json.loads(run.actions_json), "due_at": run.due_at, "at": run.at}


def runs_for_entity(entity_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """The automations that ran for an order, invoice or client (the staff order page shows them)."""
    return [run_json(r) for r in store.runs_for_entity(entity_id, limit)]


def runs_of_rule(rule_id: str, limit: int, after: str | None) -> tuple[list[dict[str, Any]], str | None]:
    store.get_rule(rule_id)
    runs, cursor = store.runs_of_rule(rule_id, limit=limit, after=after)
    return [run_json(r) for r in runs], cursor


def recent_runs(limit: int = 50) -> list[dict[str, Any]]:
    """The newest runs of every rule (the admin's runs page): one Query per rule."""
    out: list[dict[str, Any]] = []
    for item in store.all_rules():
        out += [run_json(r) for r in store.runs_of_rule(item.id, limit=limit, after=None)[0]]
    return sorted(out, key=lambda r: r["at"], reverse=True)[:limit]


# --- templates ----------------------------------------------------------------------------------------------

def install_template(key: str) -> store.RuleItem:
    """Install a template as a new rule, disabled until an admin enables it."""
    from chalicelib.automation_templates import TEMPLATES  # noqa: PLC0415

    template = TEMPLATES.get(key)
    if template is None:
        raise NotFound(f"No automation template {key}.", code="template_not_found")
    return create_rule({**template.rule, "enabled": False}, template_key=key)


# Installed at setup (services/setup.py / the local seed): notifications people want to word and address
# themselves. The four hard-coded ones stay in their workflows (docs/decisions.md, 2026-11-27 "Default
# automation rules"): these add to them and never replace them, so "once, in order" is untouched.
DEFAULT_RULES = (("invoice_due_soon", True), ("notify_agent_new_order", False), ("invoice_to_team_and_buyer", False),
                 ("declined_order_followup", False))


def install_default_rules() -> list[str]:
    """Install the default rules not installed yet (by template key); returns the ids installed now."""
    installed = {item.template_key for item in store.all_rules()}
    ids = []
    for key, enabled in DEFAULT_RULES:
        if key in installed:
            continue
        item = install_template(key)
        if enabled:
            update_rule(item.id, {"enabled": True})
        ids.append(item.id)
    return ids
