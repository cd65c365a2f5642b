"""Workflow automation items: rules, the rules version, runs and their actions, timers, seen events and the
automation's own client attributes (tags, segment).

    entity            pk                     sk                 gsi1pk / gsi1sk                     gsi2pk / gsi2sk
    rule              AUTOMATION             RULE#<id>          -                                   -
    rules version     AUTOMATION             VERSION            -                                   -
    round-robin turn  AUTOMATION             TURN#<rule>#<i>    -                                   -
    run               AUTORUN#<run id>       RUN                AUTORULE#<rule id> / <at>#<run id>   AUTOENTITY#<id> / <at>#<run id>
    action outcome    AUTORUN#<run id>       ACTION#<i>         -                                   -
    timer             AUTORUN#<run id>       TIMER              AUTOTIMERS#pending / <due>#<run id>  -
    seen event        AUTOEVENTS#<day>       <at>#<event id>    -                                   -
    client attributes CLIENT#<id>            AUTOMATION_ATTRS   -                                   -

All rules are one Query (pk AUTOMATION, sk begins_with RULE#); the matcher keeps them cached and checks the
version item (one GetItem) per batch of events.
"""
from __future__ import annotations

import json
import secrets
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterator

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError, UpdateError

from chalicelib.domain.errors import NotFound
from chalicelib.store.attributes import IntegerAttribute
from chalicelib.store.db import error_code
from chalicelib.store.models import Gsi1, Gsi2, TableItem, client_pk

AUTOMATION = "AUTOMATION"
EVENT_DAYS_KEPT = 14


def _now() -> datetime:
    return datetime.now(timezone.utc)


class RuleItem(TableItem):
    id = UnicodeAttribute()
    body = UnicodeAttribute()  # the validated rule as JSON (domain/automation.validate_rule)
    enabled = UnicodeAttribute()  # "1" / "0"
    event = UnicodeAttribute()
    template_key = UnicodeAttribute(null=True)
    revision = IntegerAttribute(default=1)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class CounterRow(TableItem):
    value = NumberAttribute(default=0)
    stamp = UnicodeAttribute(null=True)  # the rules version: a new random stamp on every change


class RunItem(TableItem):
    """One rule on one event: whether it matched and why, and (once finished) what each action did."""

    id = UnicodeAttribute()
    rule_id = UnicodeAttribute()
    rule_name = UnicodeAttribute()
    rule_version = IntegerAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    event_json = UnicodeAttribute()
    entity_ids = UnicodeSetAttribute(null=True)
    matched = UnicodeAttribute()  # "1" / "0"
    conditions_json = UnicodeAttribute()
    actions_json = UnicodeAttribute(default="[]")
    status = UnicodeAttribute()  # scheduled, running, done, failed, no_match, skipped
    due_at = UTCDateTimeAttribute(null=True)
    at = UTCDateTimeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_rule = Gsi1()


class EntityRunLink(TableItem):
    """A run listed under one business object it concerns (the order page shows these)."""

    run_id = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_entity = Gsi2()


class ActionOutcome(TableItem):
    """Claimed before an action runs (conditional put): the action happens once per (event, rule, index)."""

    status = UnicodeAttribute()  # running, done, failed
    attempts = IntegerAttribute(default=0)
    result = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()


class TimerItem(TableItem):
    run_id = UnicodeAttribute()
    rule_id = UnicodeAttribute()
    event_json = UnicodeAttribute()
    due_at = UTCDateTimeAttribute()
    status = UnicodeAttribute()  # pending, fired
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    pending = Gsi1()


class SeenEvent(TableItem):
    event_json = UnicodeAttribute()
    ttl = NumberAttribute(null=True)


class ClientAttributes(TableItem):
    tags = UnicodeSetAttribute(null=True)
    segment = UnicodeAttribute(null=True)


# --- rules -----------------------------------------------------------------------------------------------

def save_rule(rule_id: str, body: dict[str, Any], template_key: str | None = None, *, new: bool) -> RuleItem:
    at = _now()
    if new:
        item = RuleItem(AUTOMATION, f"RULE#{rule_id}", id=rule_id, body=json.dumps(body), enabled="1" if body["enabled"] else "0",
                        event=body["trigger"]["event"], template_key=template_key, revision=1, created_at=at, updated_at=at)
        item.save(condition=RuleItem.pk.does_not_exist())
    else:
        item = get_rule(rule_id)
        item.update(actions=[RuleItem.body.set(json.dumps(body)), RuleItem.enabled.set("1" if body["enabled"] else "0"),
                             RuleItem.event.set(body["trigger"]["event"]), RuleItem.revision.add(1),
                             RuleItem.updated_at.set(at)], condition=RuleItem.pk.exists())
    bump_version()
    return item


def get_rule(rule_id: str) -> RuleItem:
    try:
        return RuleItem.get(AUTOMATION, f"RULE#{rule_id}")
    except RuleItem.DoesNotExist as exc:
        raise NotFound(f"No automation rule {rule_id}.", code="rule_not_found") from exc


def delete_rule(rule_id: str) -> None:
    get_rule(rule_id).delete()
    bump_version()


def all_rules() -> list[RuleItem]:
    return list(RuleItem.query(AUTOMATION, RuleItem.sk.startswith("RULE#")))


def bump_version() -> None:
    CounterRow(AUTOMATION, "VERSION").update(actions=[CounterRow.value.add(1), CounterRow.stamp.set(secrets.token_hex(8))])


def rules_version() -> str:
    """What the matcher's cache is checked against (one GetItem): changes whenever any rule changes."""
    try:
        return CounterRow.get(AUTOMATION, "VERSION").stamp or "none"
    except CounterRow.DoesNotExist:
        return "none"


def next_turn(rule_id: str, index: int, run_id: str) -> int:
    """The round-robin position for this run; asked again for the same run (a retry) it answers the same."""
    marker = CounterRow(AUTOMATION, f"TURNOF#{run_id}#{index}")
    try:
        return int(CounterRow.get(marker.pk, marker.sk).value)
    except CounterRow.DoesNotExist:
        pass
    counter = CounterRow(AUTOMATION, f"TURN#{rule_id}#{index}")
    counter.update(actions=[CounterRow.value.add(1)])
    turn = int(counter.value) - 1
    try:
        CounterRow(marker.pk, marker.sk, value=turn).save(condition=CounterRow.pk.does_not_exist())
    except PutError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise
        return int(CounterRow.get(marker.pk, marker.sk).value)
    return turn


# --- runs ------------------------------------------------------------------------------------------------

def create_run(run_id: str, *, rule_id: str, rule_name: str, rule_version: int, event: dict[str, Any], matched: bool,
               conditions: list[dict[str, Any]], status: str, entity_ids: list[str], due_at: datetime | None = None,
               actions: list[dict[str, Any]] | None = None) -> bool:
    """Record a run once; False when this rule already ran (or was scheduled) for this event."""
    at = _now()
    key = f"{at.isoformat()}#{run_id}"
    run = RunItem(f"AUTORUN#{run_id}", "RUN", id=run_id, rule_id=rule_id, rule_name=rule_name, rule_version=rule_version,
                  event_id=event["id"], event_type=event["type"], event_json=json.dumps(event, default=str),
                  entity_ids=set(entity_ids) or None, matched="1" if matched else "0",
                  conditions_json=json.dumps(conditions, default=str), actions_json=json.dumps(actions or []),
                  status=status, due_at=due_at, at=at, gsi1pk=f"AUTORULE#{rule_id}", gsi1sk=key)
    try:
        run.save(condition=RunItem.pk.does_not_exist())
    except PutError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    for entity_id in entity_ids:
        EntityRunLink(f"AUTORUN#{run_id}", f"LINK#{entity_id}", run_id=run_id, gsi2pk=f"AUTOENTITY#{entity_id}",
                      gsi2sk=key).save()
    return True


def record_no_matches(runs: list[dict[str, Any]]) -> None:
    """Runs whose rule did not match (or was skipped), in BatchWriteItem calls of 25: writing one again (a
    redelivered event) stores the same thing, so no condition is needed, and they are not listed per entity."""
    at = _now()
    with RunItem.batch_write() as batch:
        for r in runs:
            event = r["event"]
            batch.save(RunItem(f"AUTORUN#{r['run_id']}", "RUN", id=r["run_id"], rule_id=r["rule_id"], rule_name=r["rule_name"],
                               rule_version=r["rule_version"], event_id=event["id"], event_type=event["type"],
                               event_json=json.dumps(event, default=str), matched="0",
                               conditions_json=json.dumps(r["conditions"], default=str),
                               actions_json=json.dumps(r.get("actions") or []), status=r["status"], at=at,
                               gsi1pk=f"AUTORULE#{r['rule_id']}", gsi1sk=f"{at.isoformat()}#{r['run_id']}"))


def get_run(run_id: str) -> RunItem:
    try:
        return RunItem.get(f"AUTORUN#{run_id}", "RUN")
    except RunItem.DoesNotExist as exc:
        raise NotFound(f"No automation run {run_id}.", code="run_not_found") from exc


def finish_run(run_id: str, status: str, actions: list[dict[str, Any]]) -> None:
    RunItem(f"AUTORUN#{run_id}", "RUN").update(actions=[RunItem.status.set(status), RunItem.actions_json.set(json.dumps(actions))],
                                               condition=RunItem.pk.exists())


def set_run_status(run_id: str, status: str) -> None:
    RunItem(f"AUTORUN#{run_id}", "RUN").update(actions=[RunItem.status.set(status)], condition=RunItem.pk.exists())


def runs_of_rule(rule_id: str, *, limit: int, after: str | None) -> tuple[list[RunItem], str | None]:
    items = list(RunItem.by_rule.query(f"AUTORULE#{rule_id}", scan_index_forward=False, limit=limit + 1,
                                       **({"range_key_condition": RunItem.gsi1sk < after} if after else {})))
    more = len(items) > limit
    items = items[:limit]
    return items, (items[-1].gsi1sk if more and items else None)


def runs_for_entity(entity_id: str, limit: int = 20) -> list[RunItem]:
    """The runs that concerned a business object (an order, invoice, client), newest first: one Query and one
    BatchGet."""
    links = list(EntityRunLink.by_entity.query(f"AUTOENTITY#{entity_id}", scan_index_forward=False, limit=limit))
    if not links:
        return []
    found = {r.id: r for r in RunItem.batch_get([(f"AUTORUN#{link.run_id}", "RUN") for link in links])}
    return [found[link.run_id] for link in links if link.run_id in found]


# --- actions: once per (event, rule, index) -------------------------------------------------------------------

def claim_action(run_id: str, index: int) -> ActionOutcome | None:
    """Claim an action before doing it. None when it is done already (a redelivery or a retried step), or when
    another attempt holds it (running); a failed action may be claimed again."""
    item = ActionOutcome(f"AUTORUN#{run_id}", f"ACTION#{index}", status="running", attempts=0, at=_now())
    try:
        item.save(condition=ActionOutcome.pk.does_not_exist() | (ActionOutcome.status == "failed"))
    except PutError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return None
        raise
    return item


def action_outcome(run_id: str, index: int) -> ActionOutcome | None:
    try:
        return ActionOutcome.get(f"AUTORUN#{run_id}", f"ACTION#{index}", consistent_read=True)
    except ActionOutcome.DoesNotExist:
        return None


def finish_action(item: ActionOutcome, status: str, attempts: int, result: str | None, error: str | None) -> None:
    item.update(actions=[ActionOutcome.status.set(status), ActionOutcome.attempts.set(attempts),
                         ActionOutcome.result.set(result), ActionOutcome.error.set(error), ActionOutcome.at.set(_now())])


# --- timers ----------------------------------------------------------------------------------------------

def add_timer(run_id: str, rule_id: str, event: dict[str, Any], due_at: datetime) -> None:
    TimerItem(f"AUTORUN#{run_id}", "TIMER", run_id=run_id, rule_id=rule_id, event_json=json.dumps(event, default=str),
              due_at=due_at, status="pending", gsi1pk="AUTOTIMERS#pending",
              gsi1sk=f"{due_at.isoformat()}#{run_id}").save()


def due_timers(now: datetime, limit: int = 100) -> list[TimerItem]:
    return list(TimerItem.pending.query("AUTOTIMERS#pending", TimerItem.gsi1sk <= f"{now.isoformat()}#~", limit=limit))


def get_timer(run_id: str) -> TimerItem | None:
    try:
        return TimerItem.get(f"AUTORUN#{run_id}", "TIMER", consistent_read=True)
    except TimerItem.DoesNotExist:
        return None


def take_timer(timer: TimerItem) -> bool:
    """Mark a timer fired once; False when another firing took it."""
    try:
        timer.update(actions=[TimerItem.status.set("fired"), TimerItem.gsi1pk.remove(), TimerItem.gsi1sk.remove()],
                     condition=TimerItem.status == "pending")
    except UpdateError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


# --- seen events (dry-run replays) ------------------------------------------------------------------------------

def remember_event(event: dict[str, Any]) -> None:
    at = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    SeenEvent(f"AUTOEVENTS#{at.date().isoformat()}", f"{at.isoformat()}#{event['id']}",
              event_json=json.dumps(event, default=str),
              ttl=int((at + timedelta(days=EVENT_DAYS_KEPT)).timestamp())).save()


def events_since(since: date, today: date, limit: int = 200) -> list[dict[str, Any]]:
    """Stored events from `since` to today (at most EVENT_DAYS_KEPT days), oldest first."""
    out: list[dict[str, Any]] = []
    day = max(since, today - timedelta(days=EVENT_DAYS_KEPT))
    while day <= today and len(out) < limit:
        out += [json.loads(e.event_json) for e in SeenEvent.query(f"AUTOEVENTS#{day.isoformat()}", limit=limit - len(out))]
        day += timedelta(days=1)
    return out


# --- the automation's client attributes ---------------------------------------------------------------------

def client_attributes(client_id: str) -> ClientAttributes:
    try:
        return ClientAttributes.get(client_pk(client_id), "AUTOMATION_ATTRS")
    except ClientAttributes.DoesNotExist:
        return ClientAttributes(client_pk(client_id), "AUTOMATION_ATTRS")


def add_tags(client_id: str, tags: list[str]) -> None:
    ClientAttributes(client_pk(client_id), "AUTOMATION_ATTRS").update(actions=[ClientAttributes.tags.add(set(tags))])


def set_tags(client_id: str, tags: list[str]) -> None:
    ClientAttributes(client_pk(client_id), "AUTOMATION_ATTRS").update(
        actions=[ClientAttributes.tags.set(set(tags)) if tags else ClientAttributes.tags.remove()])


def set_segment(client_id: str, segment: str) -> None:
    ClientAttributes(client_pk(client_id), "AUTOMATION_ATTRS").update(actions=[ClientAttributes.segment.set(segment)])


def iter_rule_items() -> Iterator[RuleItem]:
    return iter(all_rules())


def withdraw_proposal(proposal_id: str) -> bool:
    """A proposal the client may still accept goes back to draft; False when it is past that."""
    from chalicelib.store.models import ProposalItem  # noqa: PLC0415

    try:  # read first: the proposal is versioned, and PynamoDB conditions the update on the version read
        ProposalItem.get(f"PROPOSAL#{proposal_id}", "PROPOSAL", consistent_read=True).update(
            actions=[ProposalItem.status.set("draft")], condition=ProposalItem.status.is_in("sent", "open"))
    except ProposalItem.DoesNotExist:
        return False
    except UpdateError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def grant_credit(client_id: str, credit_id: str, amount: Decimal, currency: str, description: str) -> bool:
    """Store credit for a client (applied to its next invoices like any client credit), once per credit id: the
    credit, its ledger line and the client's balance in one transaction."""
    from pynamodb.exceptions import TransactWriteError  # noqa: PLC0415
    from pynamodb.transactions import TransactWrite  # noqa: PLC0415

    from chalicelib.store.db import connection, failed_conditions  # noqa: PLC0415
    from chalicelib.store.models import ClientCreditItem, ClientItem, LedgerEntryItem  # noqa: PLC0415

    at = _now()
    credit = ClientCreditItem(client_pk(client_id), f"CREDIT#{credit_id}", id=credit_id, client_id=client_id, currency=currency,
                              amount=amount, remaining=amount, source_invoice_id="", source_invoice_number="store credit",
                              created_at=at)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(credit, condition=ClientCreditItem.pk.does_not_exist())
            tx.save(LedgerEntryItem(client_pk(client_id), f"LEDGER#{at.date().isoformat()}#{at.isoformat()}#{credit_id}",
                                    entry_date=at.date(), kind="credit", reference="store credit", description=description,
                                    debit=Decimal(0), credit=amount, document_id=credit_id))
            tx.update(ClientItem(client_pk(client_id), "CLIENT"), actions=[ClientItem.balance.add(-amount)])
    except TransactWriteError as exc:
        if any(failed_conditions(exc)):
            return False
        raise
    return True


# --- company registrations (the public /register form), pending until approved --------------------------------

class RegistrationItem(TableItem):
    """A company asking to become a client: `pending` until staff approve (a client and its contact) or reject."""

    id = UnicodeAttribute()
    company = UnicodeAttribute()
    vat_number = UnicodeAttribute(null=True)
    country = UnicodeAttribute()
    city = UnicodeAttribute()
    line1 = UnicodeAttribute()
    postcode = UnicodeAttribute()
    first_name = UnicodeAttribute()
    last_name = UnicodeAttribute()
    email = UnicodeAttribute()
    status = UnicodeAttribute()  # pending, approving, approved, rejected
    client_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_status = Gsi1()


def add_registration(item: RegistrationItem) -> RegistrationItem:
    item.pk, item.sk = f"REGISTRATION#{item.id}", "REGISTRATION"
    item.gsi1pk, item.gsi1sk = f"REGISTRATIONS#{item.status}", f"{item.created_at.isoformat()}#{item.id}"
    item.save(condition=RegistrationItem.pk.does_not_exist())
    return item


def get_registration(registration_id: str) -> RegistrationItem:
    try:
        return RegistrationItem.get(f"REGISTRATION#{registration_id}", "REGISTRATION", consistent_read=True)
    except RegistrationItem.DoesNotExist as exc:
        raise NotFound(f"No registration {registration_id}.", code="registration_not_found") from exc


def registrations(status: str, limit: int = 100) -> list[RegistrationItem]:
    return list(RegistrationItem.by_status.query(f"REGISTRATIONS#{status}", limit=limit))


def move_registration(item: RegistrationItem, old: str, new: str, client_id: str | None = None) -> bool:
    """pending -> approving -> approved (or pending -> rejected), each step once."""
    actions = [RegistrationItem.status.set(new), RegistrationItem.gsi1pk.set(f"REGISTRATIONS#{new}")]
    if client_id:
        actions.append(RegistrationItem.client_id.set(client_id))
    try:
        item.update(actions=actions, condition=RegistrationItem.status == old)
    except UpdateError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True
