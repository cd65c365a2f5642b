"""Workflow automation as data: the event catalogue, rules (trigger -> conditions -> actions), their validation,
matching that explains itself, and action planning. No I/O and no `eval`: a rule is a dict an admin wrote, and
this module is its small interpreter. Email text is Jinja2 in a sandboxed environment.

A rule:

    {"name": "Big reseller orders", "enabled": true,
     "trigger": {"event": "order.placed", "delay": {"minutes": 30}}
              | {"event": "invoice.issued", "relative": {"field": "invoice.due_date", "days": 3, "when": "before"}},
     "conditions": {"all": [{"field": "order.total", "op": "gt", "value": 5000}],
                    "any": [{"field": "client.group_name", "op": "eq", "value": "Resellers"}]},
     "actions": [{"type": "webhook", "url": "https://...", "secret": "...", "format": "json"|"slack"|"teams"},
                 {"type": "task", "assignee_role": "manager", "title": "Call {{ client.name }}", "due_hours": 24}]}

Fields are addressed as `<entity>.<field>` over the context the service builds for an event: `event` (the
event's own payload) and the client, order, invoice, proposal, delivery note or product it refers to. A bare
name (`total`) means `event.total`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from chalicelib.domain.errors import ValidationFailed

MAX_DEPTH = 3  # an event caused by an action caused by an action caused by an action: no further rules run
MAX_ACTIONS = 10
MAX_CONDITIONS = 20
WEBHOOK_ATTEMPTS = 3
WEBHOOK_TIMEOUT_SECONDS = 5.0
WEBHOOK_BACKOFF_SECONDS = (1.0, 4.0)  # before the 2nd and 3rd attempt

OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "exists")
ACTION_TYPES = ("email", "task", "webhook", "update_field", "assign_agent", "tag")
STAFF_ROLES = ("admin", "manager", "agent", "warehouse", "finance")
WEBHOOK_FORMATS = ("json", "slack", "teams")


# --- the event catalogue ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventType:
    name: str
    label: str
    entity: str  # the business object the event is about: its context is loaded for conditions
    fields: dict[str, str]  # the event's own payload: name -> what it holds
    date_fields: tuple[str, ...] = ()  # entity date fields a rule may fire relative to


_ORDER = {"order_id": "the Sales Order's id", "number": "its number (SO-...)", "client_id": "the client's id",
          "total": "the order total with VAT", "currency": "its currency", "sale_agent_id": "the responsible agent"}
_INVOICE = {"invoice_id": "the invoice's id", "number": "its number", "order_id": "the Sales Order invoiced",
            "client_id": "the client's id", "total": "the invoice total", "amount_due": "what is still due",
            "due_date": "its due date (YYYY-MM-DD)", "currency": "its currency"}
_PROPOSAL = {"proposal_id": "the proposal's id", "number": "its number", "client_id": "the client's id",
             "total": "the proposal total", "valid_until": "valid until (YYYY-MM-DD)",
             "max_discount_percent": "the largest discount of a line below its list price, in %"}
_NOTE = {"delivery_note_id": "the delivery note's id", "number": "its number", "order_id": "the Sales Order",
         "client_id": "the client's id", "awb": "the courier's AWB number, once there is one"}
_CLIENT = {"client_id": "the client's id", "name": "the company name", "group_id": "its client group",
           "country": "its country (ISO code)"}

EVENTS: dict[str, EventType] = {e.name: e for e in (
    EventType("order.placed", "Order placed", "order", {**_ORDER, "status": "draft or awaiting approval"}),
    EventType("order.accepted", "Order accepted", "order", _ORDER),
    EventType("order.declined", "Order declined", "order", {**_ORDER, "reason": "why it was declined"}),
    EventType("order.modified", "Order modified by the supplier", "order", _ORDER),
    EventType("order.expired", "Order expired", "order", _ORDER),
    EventType("order.cancelled", "Order cancelled", "order",
              {**_ORDER, "reason": "why it was cancelled", "cancelled_by": "the staff member who cancelled it"}),
    EventType("proposal.sent", "Proposal sent", "proposal", _PROPOSAL, ("proposal.valid_until",)),
    EventType("proposal.viewed", "Proposal viewed by the client", "proposal", _PROPOSAL, ("proposal.valid_until",)),
    EventType("proposal.accepted", "Proposal accepted", "proposal", {**_PROPOSAL, "order_id": "the order it became"}),
    EventType("proposal.declined", "Proposal declined", "proposal", _PROPOSAL),
    EventType("delivery_note.created", "Delivery note created", "delivery_note", _NOTE),
    EventType("delivery_note.shipped", "Shipped", "delivery_note", _NOTE),
    EventType("delivery_note.delivered", "Delivered", "delivery_note", _NOTE),
    EventType("delivery_note.awb_failed", "AWB could not be generated", "delivery_note", {**_NOTE, "error": "the courier's answer"}),
    EventType("invoice.issued", "Invoice issued", "invoice", _INVOICE, ("invoice.due_date",)),
    EventType("invoice.overdue", "Invoice overdue", "invoice", {**_INVOICE, "days_overdue": "days past the due date"}),
    EventType("invoice.paid", "Invoice paid", "invoice", _INVOICE),
    EventType("invoice.partially_paid", "Invoice partially paid", "invoice", _INVOICE),
    EventType("payment.received", "Payment received", "invoice", {**_INVOICE, "amount": "the amount received",
                                                                   "method": "bank transfer, card..."}),
    EventType("client.created", "Client created", "client", _CLIENT),
    EventType("client.registered", "Company registration submitted", "client",
              {"registration_id": "the registration waiting for approval", "name": "the company name",
               "email": "the applicant's email", "country": "its country (ISO code)"}),
    EventType("client.approved", "Client approved", "client", _CLIENT),
    EventType("client.updated", "Client updated", "client", _CLIENT),
    EventType("contact.invited", "Contact invited to the portal", "client",
              {"client_id": "the client's id", "contact_id": "the contact", "email": "their email", "name": "their name"}),
    EventType("contact.first_login", "Contact signed in for the first time", "client",
              {"client_id": "the client's id", "contact_id": "the contact", "email": "their email", "name": "their name"}),
    EventType("cart.abandoned", "Cart left without ordering", "client",
              {"client_id": "the client's id", "contact_id": "the contact whose cart it is", "email": "their email",
               "name": "their name", "lines_count": "lines in the cart", "skus": "the SKUs in the cart",
               "updated_at": "when the cart last changed", "idle_hours": "hours since then (at least the setting)"}),
    EventType("stock.below_minimum", "Stock fell below its minimum", "product",
              {"sku": "the product's SKU", "name": "its name", "unit": "its unit", "qty_available":
               "on hand less reserved, now", "min_stock": "the minimum set on the product"}),
    EventType("order.review_requested", "Order waiting for the agent's review", "order", _ORDER),
)}

# What conditions may read on the entities an event refers to (loaded by the service).
ENTITY_FIELDS: dict[str, dict[str, str]] = {
    "client": {"id": "", "name": "company name", "group_id": "", "group_name": "client group name", "country": "",
               "county": "", "credit_limit": "", "balance": "", "payment_term_days": "", "sale_agent_id": "agent",
               "sale_agent_email": "", "tags": "list of tags", "segment": "", "status": "active / pending",
               "store_credit": "store credit available", "contact_email": "main contact"},
    "order": {"id": "", "number": "", "status": "", "total": "", "subtotal": "", "currency": "", "lines_count": "",
              "sale_agent_id": "", "client_reference": "", "payment_method": ""},
    "invoice": {"id": "", "number": "", "status": "", "total": "", "amount_due": "", "amount_paid": "",
                "issue_date": "", "due_date": "", "currency": ""},
    "proposal": {"id": "", "number": "", "status": "", "total": "", "valid_until": "", "disabled": "",
                 "max_discount_percent": ""},
    "delivery_note": {"id": "", "number": "", "status": "", "awb": ""},
    "product": {"sku": "", "name": "", "qty_available": "", "min_stock": ""},
}

# update_field: only these (entity, field) pairs, with the kind of value each takes.
UPDATABLE: dict[tuple[str, str], str] = {
    ("client", "segment"): "text", ("client", "tags"): "tags", ("client", "sale_agent_id"): "text",
    ("client", "credit_limit"): "money", ("client", "store_credit"): "money_add",
    ("proposal", "disabled"): "bool",
}
ASSIGN_FIELDS = ("client.country", "client.county", "client.group_name", "client.segment")


def event_catalogue() -> list[dict[str, Any]]:
    """The trigger events with the fields each carries, for GET /admin/automation/events."""
    return [{"event": e.name, "label": e.label, "entity": e.entity, "fields": dict(e.fields),
             "entity_fields": {k: dict(ENTITY_FIELDS[k]) for k in _entities_of(e)},
             "date_fields": list(e.date_fields)} for e in EVENTS.values()]


def _entities_of(event: EventType) -> tuple[str, ...]:
    chain = {"order": ("order", "client"), "invoice": ("invoice", "order", "client"), "proposal": ("proposal", "client"),
             "delivery_note": ("delivery_note", "order", "client"), "client": ("client",), "product": ("product",)}
    return chain[event.entity]


# --- rules ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    enabled: bool
    trigger: dict[str, Any]
    conditions: dict[str, list[dict[str, Any]]]
    actions: list[dict[str, Any]]
    version: int = 1
    template_key: str | None = None

    @property
    def event(self) -> str:
        return self.trigger["event"]


def _fail(message: str, field: str, code: str = "invalid_rule") -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field)


_FIELD = re.compile(r"^[a-z_]+(\.[a-z_]+)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validate_rule(body: dict[str, Any]) -> dict[str, Any]:
    """The rule as stored, or ValidationFailed naming the first wrong field (`trigger.event`, `actions[1].url`)."""
    checked, problems = check_rule_parts(body)
    if problems:
        raise problems[0]
    return checked


def check_rule_parts(body: dict[str, Any]) -> tuple[dict[str, Any], list[ValidationFailed]]:
    """Every part of the rule checked on its own: the rule as far as it is right (a wrong part is None), and every
    wrong field, in the order of the rule. Conditions and actions are checked against the trigger's event, so with
    a wrong trigger they wait for it (they cannot be judged yet)."""
    problems: list[ValidationFailed] = []

    def attempt(check: Any, *args: Any) -> Any:
        try:
            return check(*args)
        except ValidationFailed as exc:
            problems.append(exc)
            return None

    name = attempt(_check_name, body.get("name"))
    enabled = attempt(_check_enabled, body.get("enabled", False))
    trigger = attempt(_validate_trigger, body.get("trigger"))
    event = EVENTS[trigger["event"]] if trigger else None
    conditions = attempt(_validate_conditions, body.get("conditions") or {}, event) if event else None
    actions = attempt(_check_action_list, body.get("actions"))
    checked = ([attempt(_validate_action, a, f"actions[{i}]", event) for i, a in enumerate(actions)]
               if event and actions else None)
    return {"name": name, "enabled": enabled, "trigger": trigger, "conditions": conditions,
            "actions": checked}, problems


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        raise _fail("A rule needs a name (at most 120 characters).", "name")
    return name.strip()


def _check_enabled(enabled: Any) -> bool:
    if not isinstance(enabled, bool):
        raise _fail("enabled is true or false.", "enabled")
    return enabled


def _check_action_list(actions: Any) -> list[Any]:
    if not isinstance(actions, list) or not actions:
        raise _fail("A rule needs at least one action.", "actions")
    if len(actions) > MAX_ACTIONS:
        raise _fail(f"At most {MAX_ACTIONS} actions per rule.", "actions")
    return actions


def _validate_trigger(trigger: Any) -> dict[str, Any]:
    if not isinstance(trigger, dict):
        raise _fail("A rule needs a trigger {event}.", "trigger")
    event = trigger.get("event")
    if event not in EVENTS:
        raise _fail(f"Unknown event {event!r}; GET /admin/automation/events lists them.", "trigger.event")
    out: dict[str, Any] = {"event": event}
    unknown = set(trigger) - {"event", "delay", "relative"}
    if unknown:
        raise _fail(f"Unknown trigger setting {sorted(unknown)[0]!r}.", f"trigger.{sorted(unknown)[0]}")
    if "delay" in trigger and "relative" in trigger:
        raise _fail("A trigger has a delay or a date it is relative to, not both.", "trigger.relative")
    if "delay" in trigger:
        minutes = (trigger["delay"] or {}).get("minutes") if isinstance(trigger["delay"], dict) else None
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 60 * 24 * 90:
            raise _fail("delay.minutes is a whole number of minutes from 1 to 129600 (90 days).", "trigger.delay.minutes")
        out["delay"] = {"minutes": minutes}
    if "relative" in trigger:
        relative = trigger["relative"] if isinstance(trigger["relative"], dict) else {}
        date_field = relative.get("field")
        if date_field not in EVENTS[event].date_fields:
            allowed = ", ".join(EVENTS[event].date_fields) or "none for this event"
            raise _fail(f"A date this event refers to ({allowed}).", "trigger.relative.field")
        days = relative.get("days")
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 365:
            raise _fail("days is a whole number from 0 to 365.", "trigger.relative.days")
        when = relative.get("when", "before")
        if when not in ("before", "after"):
            raise _fail("when is before or after.", "trigger.relative.when")
        out["relative"] = {"field": date_field, "days": days, "when": when}
    return out


def _known_field(path: str, event: EventType) -> bool:
    if not _FIELD.match(path):
        return False
    head, _, rest = path.partition(".")
    if not rest:
        return head in event.fields
    if head == "event":
        return rest in event.fields
    return head in _entities_of(event) and rest in ENTITY_FIELDS[head]


def _validate_conditions(conditions: Any, event: EventType) -> dict[str, list[dict[str, Any]]]:
    if not isinstance(conditions, dict) or set(conditions) - {"all", "any"}:
        raise _fail("conditions is {all: [...], any: [...]}.", "conditions")
    out: dict[str, list[dict[str, Any]]] = {}
    total = 0
    for group in ("all", "any"):
        items = conditions.get(group)
        if items is None:
            continue
        if not isinstance(items, list):
            raise _fail(f"conditions.{group} is a list.", f"conditions.{group}")
        total += len(items)
        checked = []
        for i, c in enumerate(items):
            where = f"conditions.{group}[{i}]"
            if not isinstance(c, dict):
                raise _fail("A condition is {field, op, value}.", where)
            path = c.get("field")
            if not isinstance(path, str) or not _known_field(path, event):
                raise _fail(f"{path!r} is not a field of {event.name} or what it refers to.", f"{where}.field")
            op = c.get("op")
            if op not in OPS:
                raise _fail(f"op is one of {', '.join(OPS)}.", f"{where}.op")
            if op != "exists" and "value" not in c:
                raise _fail("This comparison needs a value.", f"{where}.value")
            value = c.get("value")
            if op == "in" and not isinstance(value, list):
                raise _fail("`in` compares with a list of values.", f"{where}.value")
            if op in ("gt", "gte", "lt", "lte") and _number(value) is None and _day(value) is None:
                raise _fail("gt/gte/lt/lte compare with a number or a date.", f"{where}.value")
            if op == "exists" and not isinstance(c.get("value", True), bool):
                raise _fail("exists takes true or false.", f"{where}.value")
            checked.append({"field": path, "op": op, **({"value": value} if op != "exists" else {"value": c.get("value", True)})})
        out[group] = checked
    if total > MAX_CONDITIONS:
        raise _fail(f"At most {MAX_CONDITIONS} conditions.", "conditions")
    return out


def _check_template(text: Any, where: str, required: bool = True, limit: int = 10_000) -> str | None:
    if text is None and not required:
        return None
    if not isinstance(text, str) or (required and not text.strip()) or len(text) > limit:
        raise _fail("Text is needed here.", where)
    try:
        _ENV.parse(text)
    except TemplateError as exc:
        raise _fail(f"The template does not read: {exc}", where, code="invalid_template") from exc
    return text


def _validate_action(action: Any, where: str, event: EventType) -> dict[str, Any]:
    if not isinstance(action, dict) or action.get("type") not in ACTION_TYPES:
        raise _fail(f"An action's type is one of {', '.join(ACTION_TYPES)}.", f"{where}.type")
    kind = action["type"]
    if kind == "email":
        to = action.get("to")
        if not _recipient_ok(to, event):
            raise _fail("to is client_contact, agent, event_email, role:<role> or an email address.", f"{where}.to")
        template = action.get("template")
        if template is not None and template not in EMAIL_TEMPLATES:
            raise _fail(f"No email template {template!r}.", f"{where}.template")
        if template is None and action.get("body") is None:
            raise _fail("Choose a template or write the email's text.", f"{where}.body")
        return {"type": kind, "to": to, **({"template": template} if template else {}),
                **({"subject": _check_template(action["subject"], f"{where}.subject", limit=300)} if action.get("subject") else {}),
                **({"body": _check_template(action["body"], f"{where}.body")} if action.get("body") is not None else {})}
    if kind == "task":
        role, person = action.get("assignee_role"), action.get("assignee_id")
        if bool(role) == bool(person):
            raise _fail("A task goes to a role (assignee_role) or a person (assignee_id).", f"{where}.assignee_role")
        if role and role not in STAFF_ROLES + ("agent_of_client",):
            raise _fail(f"assignee_role is one of {', '.join(STAFF_ROLES)} or agent_of_client.", f"{where}.assignee_role")
        due = action.get("due_hours", 24)
        if not isinstance(due, int) or isinstance(due, bool) or not 0 < due <= 24 * 60:
            raise _fail("due_hours is a whole number of hours (1 to 1440).", f"{where}.due_hours")
        return {"type": kind, **({"assignee_role": role} if role else {"assignee_id": person}),
                "title": _check_template(action.get("title"), f"{where}.title", limit=300), "due_hours": due}
    if kind == "webhook":
        url = action.get("url")
        if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url) or len(url) > 2000:
            raise _fail("url is an http(s) address.", f"{where}.url")
        fmt = action.get("format", "json")
        if fmt not in WEBHOOK_FORMATS:
            raise _fail(f"format is one of {', '.join(WEBHOOK_FORMATS)}.", f"{where}.format")
        secret = action.get("secret")
        if secret is not None and (not isinstance(secret, str) or len(secret) < 8):
            raise _fail("A signing secret has at least 8 characters.", f"{where}.secret")
        text = _check_template(action.get("text"), f"{where}.text", required=False, limit=2000)
        return {"type": kind, "url": url, "format": fmt, **({"secret": secret} if secret else {}),
                **({"text": text} if text else {})}
    if kind == "update_field":
        entity, name = action.get("entity"), action.get("field")
        if (entity, name) not in UPDATABLE:
            allowed = ", ".join(f"{e}.{f}" for e, f in UPDATABLE)
            raise _fail(f"Only these fields can be updated: {allowed}.", f"{where}.field")
        if entity not in _entities_of(event):
            raise _fail(f"{event.name} does not refer to a {entity}.", f"{where}.entity")
        value = _coerce_update(UPDATABLE[(entity, name)], action.get("value"), f"{where}.value")
        return {"type": kind, "entity": entity, "field": name, "value": value}
    if kind == "assign_agent":
        if "client" not in _entities_of(event):
            raise _fail(f"{event.name} does not refer to a client.", f"{where}.type")
        strategy = action.get("strategy")
        if strategy == "round_robin":
            agents = action.get("agents")
            if not isinstance(agents, list) or not agents or not all(isinstance(a, str) and a for a in agents):
                raise _fail("round_robin needs the agents (their ids) to take turns.", f"{where}.agents")
            return {"type": kind, "strategy": strategy, "agents": agents, "only_unassigned": bool(action.get("only_unassigned", True))}
        if strategy == "by_field":
            by = action.get("field")
            if by not in ASSIGN_FIELDS:
                raise _fail(f"field is one of {', '.join(ASSIGN_FIELDS)}.", f"{where}.field")
            mapping = action.get("map")
            if not isinstance(mapping, dict) or not mapping or not all(isinstance(v, str) and v for v in mapping.values()):
                raise _fail("map gives an agent id for each value of the field.", f"{where}.map")
            return {"type": kind, "strategy": strategy, "field": by, "map": {str(k): v for k, v in mapping.items()},
                    "only_unassigned": bool(action.get("only_unassigned", True))}
        raise _fail("strategy is round_robin or by_field.", f"{where}.strategy")
    tag = action.get("tag")  # kind == "tag"
    if "client" not in _entities_of(event):
        raise _fail(f"{event.name} does not refer to a client.", f"{where}.type")
    if not isinstance(tag, str) or not re.match(r"^[\w -]{1,40}$", tag):
        raise _fail("A tag is a word or two (letters, digits, - and spaces; at most 40).", f"{where}.tag")
    return {"type": kind, "tag": tag.strip()}


def _recipient_ok(to: Any, event: EventType) -> bool:
    if not isinstance(to, str) or len(to) > 200:
        return False
    if to in ("client_contact", "agent"):
        return "client" in _entities_of(event)
    if to == "event_email":
        return "email" in event.fields
    if to.startswith("role:"):
        return to[5:] in STAFF_ROLES
    return bool(_EMAIL.match(to))


def _coerce_update(kind: str, value: Any, where: str) -> Any:
    if kind == "text":
        if not isinstance(value, str) or len(value) > 100:
            raise _fail("A short text.", where)
        return value
    if kind == "tags":
        if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 40 for v in value):
            raise _fail("A list of tags.", where)
        return value
    if kind in ("money", "money_add"):
        amount = _number(value)
        if amount is None or amount < 0 or amount > Decimal("100000000"):
            raise _fail("An amount (0 or more).", where)
        return str(amount)
    if kind == "client_status":
        if value not in ("active", "pending", "blocked"):
            raise _fail("active, pending or blocked.", where)
        return value
    if not isinstance(value, bool):
        raise _fail("true or false.", where)
    return value


def rule_from(item_id: str, stored: dict[str, Any], version: int = 1, template_key: str | None = None) -> Rule:
    return Rule(id=item_id, name=stored["name"], enabled=stored["enabled"], trigger=stored["trigger"],
                conditions=stored.get("conditions") or {}, actions=stored["actions"], version=version,
                template_key=template_key)


# --- matching -------------------------------------------------------------------------------------------

def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def resolve(context: dict[str, Any], path: str) -> Any:
    head, _, rest = path.partition(".")
    if not rest:
        head, rest = "event", head
    holder = context.get(head) or {}
    return holder.get(rest) if isinstance(holder, dict) else None


def _same(a: Any, b: Any) -> bool:
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na == nb
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().casefold() == b.strip().casefold()
    return a == b


def _order(a: Any, b: Any) -> int | None:
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    da, db = _day(a), _day(b)
    if da is not None and db is not None:
        return (da > db) - (da < db)
    return None


def compare(op: str, actual: Any, expected: Any) -> bool:
    """One condition: values compared as numbers when both read as numbers, as dates when both are dates,
    text case-insensitively. A missing value never satisfies a comparison (except ne and exists false)."""
    if op == "exists":
        present = actual not in (None, "", [])
        return present == bool(expected)
    if op == "ne":
        return not compare("eq", actual, expected)
    if actual is None:
        return False
    if op == "eq":
        return _same(actual, expected)
    if op == "in":
        return any(_same(actual, v) for v in expected)
    if op == "contains":
        if isinstance(actual, (list, tuple, set)):
            return any(_same(v, expected) for v in actual)
        return str(expected).casefold() in str(actual).casefold()
    order = _order(actual, expected)
    if order is None:
        return False
    return {"gt": order > 0, "gte": order >= 0, "lt": order < 0, "lte": order <= 0}[op]


@dataclass
class Match:
    matched: bool
    conditions: list[dict[str, Any]] = field(default_factory=list)
    skipped: str | None = None  # why the rule was not even considered (loop guard, depth)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return value


def evaluate(rule: Rule, context: dict[str, Any]) -> Match:
    """Does the rule match this event? Each condition with the value it read and its result.
    All of `all` must hold; at least one of `any` (when there is an `any`)."""
    meta = context.get("meta") or {}
    if rule.id in (meta.get("caused_by") or []):
        return Match(False, skipped="this event was caused by this rule's own action")
    if int(meta.get("depth") or 0) >= MAX_DEPTH:
        return Match(False, skipped=f"automation chain deeper than {MAX_DEPTH}")
    if context.get("event_type") != rule.event:
        return Match(False, skipped=f"the rule runs on {rule.event}")
    results = []
    for group in ("all", "any"):
        for c in rule.conditions.get(group, []):
            actual = resolve(context, c["field"])
            results.append({"group": group, "field": c["field"], "op": c["op"], "value": _plain(c.get("value")),
                            "actual": _plain(actual), "result": compare(c["op"], actual, c.get("value"))})
    every = all(r["result"] for r in results if r["group"] == "all")
    anys = [r["result"] for r in results if r["group"] == "any"]
    return Match(every and (not anys or any(anys)), results)


def fire_at(rule: Rule, context: dict[str, Any], occurred: datetime) -> datetime | None:
    """When a matched rule's actions run: now (None), after its delay, or relative to a date of the entity
    at 07:00 UTC that day. A date-relative time already past is None only if the day itself is still ahead."""
    if "delay" in rule.trigger:
        return occurred + timedelta(minutes=rule.trigger["delay"]["minutes"])
    relative = rule.trigger.get("relative")
    if not relative:
        return None
    day = _day(resolve(context, relative["field"]))
    if day is None:
        raise ValueError(f"{relative['field']} has no date")
    shift = timedelta(days=relative["days"])
    target = day - shift if relative["when"] == "before" else day + shift
    return datetime.combine(target, time(7, 0), tzinfo=timezone.utc)


# --- templates (sandboxed) and action planning --------------------------------------------------------------

class _Env(SandboxedEnvironment):
    pass


_ENV = _Env(autoescape=False, undefined=StrictUndefined)
_LENIENT = SandboxedEnvironment(autoescape=False)  # previews and dry runs: a missing field prints nothing


def render_text(template: str, context: dict[str, Any], strict: bool = False) -> str:
    """Render admin-written text in Jinja2's sandbox (no attribute access to internals, no code)."""
    env = _ENV if strict else _LENIENT
    return env.from_string(template).render(**{k: v for k, v in context.items() if k != "meta"})


EMAIL_TEMPLATES: dict[str, dict[str, str]] = {
    "order_placed_agent": {
        "label": "New order, to the agent",
        "subject": "New order from {{ client.name }} — {{ order.total }} {{ order.currency }}",
        "body": "Hello,\n\n{{ client.name }} placed order {{ order.number }} for {{ order.total }} {{ order.currency }}.\n"
                "Review it here: {{ links.order_staff }}\n"},
    "order_placed_client": {
        "label": "Order confirmation, to the buyer",
        "subject": "We received your order {{ order.number }}",
        "body": "Hello,\n\nThank you: we received order {{ order.number }} ({{ order.total }} {{ order.currency }}). "
                "You will hear from us once it is reviewed.\n\n{{ links.order_portal }}\n"},
    "review_requested": {
        "label": "Order waiting for review",
        "subject": "Order {{ order.number }} is waiting for your review",
        "body": "Order {{ order.number }} from {{ client.name }} ({{ order.total }} {{ order.currency }}) waits for your review.\n"
                "{{ links.order_staff }}\n"},
    "invoice_issued": {
        "label": "Invoice issued",
        "subject": "Invoice {{ invoice.number }} from us",
        "body": "Hello,\n\nInvoice {{ invoice.number }} for {{ invoice.total }} {{ invoice.currency }} is due on "
                "{{ invoice.due_date }}.\nSee and pay it in the portal: {{ links.invoice_portal }}\n"},
    "invoice_due_soon": {
        "label": "Invoice due soon",
        "subject": "Invoice {{ invoice.number }} is due on {{ invoice.due_date }}",
        "body": "Hello,\n\nA friendly reminder: invoice {{ invoice.number }} ({{ invoice.amount_due }} {{ invoice.currency }} "
                "still due) is due on {{ invoice.due_date }}.\n{{ links.invoice_portal }}\n"},
    "invoice_overdue": {
        "label": "Invoice overdue",
        "subject": "Invoice {{ invoice.number }} is overdue",
        "body": "Hello,\n\nInvoice {{ invoice.number }} was due on {{ invoice.due_date }}; {{ invoice.amount_due }} "
                "{{ invoice.currency }} is still open. Please pay it at your earliest convenience.\n{{ links.invoice_portal }}\n"},
    "proposal_expiring": {
        "label": "Proposal about to expire",
        "subject": "Proposal {{ proposal.number }} expires on {{ proposal.valid_until }}",
        "body": "Hello,\n\nProposal {{ proposal.number }} ({{ proposal.total }}) is valid until {{ proposal.valid_until }}. "
                "Accept it in the portal before then: {{ links.proposal_portal }}\n"},
    "generic": {"label": "Plain message", "subject": "{{ event_label }}", "body": "{{ event_label }}\n"},
}


def email_content(action: dict[str, Any], context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of an email action: the chosen template, overridden by what the admin wrote."""
    base = EMAIL_TEMPLATES.get(action.get("template") or "generic", EMAIL_TEMPLATES["generic"])
    subject = render_text(action.get("subject") or base["subject"], context).strip().replace("\n", " ")[:300]
    body = render_text(action.get("body") or base["body"], context)
    return subject, body


def webhook_payload(action: dict[str, Any], rule_id: str, context: dict[str, Any]) -> dict[str, Any]:
    """The JSON a webhook receives: `{event, rule_id, data}`; Slack (`text`) and Teams (MessageCard) carry the
    same fields beside the message those apps display."""
    data = {k: context[k] for k in ("event", "client", "order", "invoice", "proposal", "delivery_note", "product")
            if context.get(k)}
    body: dict[str, Any] = {"event": context.get("event_type"), "event_id": context.get("event_id"),
                            "rule_id": rule_id, "data": _jsonable(data)}
    text = render_text(action.get("text") or "{{ event_label }}: {{ summary }}", context)
    if action.get("format") == "slack":
        body["text"] = text
    elif action.get("format") == "teams":
        body.update({"@type": "MessageCard", "@context": "https://schema.org/extensions", "summary": text[:80], "text": text})
    return body


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in (sorted(value) if isinstance(value, (set, frozenset)) else value)]
    return _plain(value)


def pick_agent(action: dict[str, Any], context: dict[str, Any], turn: int) -> str | None:
    """The agent an assign_agent action chooses: the `turn`-th of the set, or the one mapped to the field's value."""
    if action["strategy"] == "round_robin":
        agents = action["agents"]
        return agents[turn % len(agents)]
    value = resolve(context, action["field"])
    if value is None:
        return action["map"].get("*")
    lowered = {k.casefold(): v for k, v in action["map"].items()}
    return lowered.get(str(value).casefold(), action["map"].get("*"))


def describe(action: dict[str, Any], context: dict[str, Any], rule_id: str = "dry-run") -> str:
    """What an action would do, in words (dry runs and the runs list)."""
    kind = action["type"]
    if kind == "email":
        subject, _ = email_content(action, context)
        return f"email {_recipient_words(action['to'], context)}: \u201c{subject}\u201d"
    if kind == "task":
        who = action.get("assignee_role") and f"every {action['assignee_role']}" or f"staff member {action['assignee_id']}"
        if action.get("assignee_role") == "agent_of_client":
            who = "the client's agent"
        return f"create a task for {who}, due in {action['due_hours']} h: \u201c{render_text(action['title'], context)}\u201d"
    if kind == "webhook":
        signed = " signed (X-Signature)" if action.get("secret") else ""
        return f"POST {action.get('format', 'json')} to {action['url']}{signed} with {{event, rule_id, data}}"
    if kind == "update_field":
        return f"set {action['entity']}.{action['field']} to {action['value']!r}"
    if kind == "assign_agent":
        if action["strategy"] == "round_robin":
            return f"assign the next agent in turn among {', '.join(action['agents'])}"
        return f"assign the agent mapped to {action['field']} = {resolve(context, action['field'])!r}: {pick_agent(action, context, 0)}"
    return f"tag the client \u201c{action['tag']}\u201d"


def _recipient_words(to: str, context: dict[str, Any]) -> str:
    if to == "client_contact":
        return f"the client's contact ({(context.get('client') or {}).get('contact_email') or 'none on file'})"
    if to == "agent":
        return f"the client's agent ({(context.get('client') or {}).get('sale_agent_email') or 'none assigned'})"
    if to.startswith("role:"):
        return f"every {to[5:]}"
    if to == "event_email":
        return f"{(context.get('event') or {}).get('email') or 'the address in the event'}"
    return to


def run_id(event_id: str, rule_id: str) -> str:
    """A run is one rule on one event, whatever redelivers it."""
    return f"{event_id}.{rule_id}"


def aws_name(run: str, limit: int = 80) -> str:
    """A name AWS takes for an execution or a schedule (letters, digits, - and _; at most `limit`), unique per run."""
    import hashlib  # noqa: PLC0415

    digest = hashlib.sha256(run.encode()).hexdigest()[:10]
    return f"{re.sub(r'[^A-Za-z0-9_-]', '-', run)[:limit - 11]}-{digest}"
