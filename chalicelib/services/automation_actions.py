"""Carry out one action of an automation run, once per (event id, rule id, action index).

Each action is claimed with a conditional put before it runs (store.claim_action): a redelivered event, a
second Express execution of the same run, or a retried Lambda finds it done and repeats nothing. A webhook is
tried WEBHOOK_ATTEMPTS times with backoff inside the step, every attempt counted in the run; when it still
fails the action is `failed` in the run and the business flow that emitted the event never notices.
"""
from __future__ import annotations

import json
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.adapters import webhooks
from chalicelib.domain import automation as rules_domain
from chalicelib.services import automation, events, mail
from chalicelib.store import automation as store
from chalicelib.store import clients as client_store
from chalicelib.store import orders as order_store
from chalicelib.store import users as user_store
from chalicelib.store.models import ClientItem

logger = Logger(service="b2b-portal", child=True)

sleep = time.sleep  # tests replace it: backoff without waiting
BACKOFF = rules_domain.WEBHOOK_BACKOFF_SECONDS


class ActionError(Exception):
    """The action could not be done (no recipient, nothing to update): recorded as failed, not retried."""


def plan(run_id: str) -> dict[str, Any]:
    """The first step: the run's actions as Map items."""
    run = store.get_run(run_id)
    rule = automation.to_rule(store.get_rule(run.rule_id))
    return {"run_id": run_id, "actions": [{"run_id": run_id, "index": i} for i in range(len(rule.actions))]}


def run_action(run_id: str, index: int) -> dict[str, Any]:
    """Do action `index` of the run once; its outcome {index, type, status, attempts, result?, error?}."""
    run = store.get_run(run_id)
    rule = automation.to_rule(store.get_rule(run.rule_id))
    action = rule.actions[index]
    claim = store.claim_action(run_id, index)
    if claim is None:
        done = store.action_outcome(run_id, index)
        return _outcome(index, action, done.status if done else "running", done.attempts if done else 0,
                        done.result if done else None, done.error if done else None, repeated=True)
    event = json.loads(run.event_json)
    context = automation.build_context(event)
    meta = {"caused_by": sorted({*(context["meta"].get("caused_by") or []), rule.id}),
            "depth": int(context["meta"].get("depth") or 0) + 1, "run_id": run_id}
    attempts, result, error = 1, None, None
    try:
        if action["type"] == "webhook":
            attempts, result, error = _webhook(action, rule.id, run_id, index, context)
        else:
            result = HANDLERS[action["type"]](action, context, run_id, index, rule.id, meta)
    except ActionError as exc:
        error = str(exc)
    except Exception as exc:
        store.finish_action(claim, "failed", attempts, None, f"{type(exc).__name__}: {exc}"[:500])
        raise  # Step Functions retries the step; the failed claim may be taken again
    status = "failed" if error else "done"
    store.finish_action(claim, status, attempts, result, error)
    return _outcome(index, action, status, attempts, result, error)


def _outcome(index: int, action: dict[str, Any], status: str, attempts: int, result: str | None, error: str | None,
             repeated: bool = False) -> dict[str, Any]:
    out = {"index": index, "type": action["type"], "status": status, "attempts": int(attempts or 0)}
    if result:
        out["result"] = result
    if error:
        out["error"] = error
    if repeated:
        out["repeated"] = True
    return out


def finish(run_id: str, outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """The last step: the run's outcome for the audit (failed when any action failed)."""
    ordered = sorted(outcomes, key=lambda o: o.get("index", 0))
    status = "failed" if any(o.get("status") != "done" for o in ordered) else "done"
    store.finish_run(run_id, status, ordered)
    return {"run_id": run_id, "status": status}


# --- the actions -------------------------------------------------------------------------------------------

def _webhook(action: dict[str, Any], rule_id: str, run_id: str, index: int, context: dict[str, Any]) -> tuple[int, str | None, str | None]:
    payload = rules_domain.webhook_payload(action, rule_id, context)
    errors = []
    for attempt in range(1, rules_domain.WEBHOOK_ATTEMPTS + 1):
        answer = webhooks.post(action["url"], payload, secret=action.get("secret"), delivery_id=f"{run_id}.{index}",
                               timeout=rules_domain.WEBHOOK_TIMEOUT_SECONDS)
        if answer.ok:
            return attempt, f"HTTP {answer.status}", None
        errors.append(answer.error or "failed")
        if not answer.retryable:
            break
        if attempt < rules_domain.WEBHOOK_ATTEMPTS:
            sleep(BACKOFF[min(attempt - 1, len(BACKOFF) - 1)])
    logger.warning("webhook failed", extra={"run_id": run_id, "url": action["url"], "errors": errors})
    return len(errors), None, f"after {len(errors)} attempt{'s' if len(errors) > 1 else ''}: {errors[-1]}"


def _recipients(to: str, context: dict[str, Any]) -> list[str]:
    client = context.get("client") or {}
    if to == "client_contact":
        address = (context.get("order") or {}).get("contact_email") or client.get("contact_email")
        return [address] if address else []
    if to == "agent":
        return [client["sale_agent_email"]] if client.get("sale_agent_email") else []
    if to == "event_email":
        return [context["event"]["email"]] if context["event"].get("email") else []
    if to.startswith("role:"):
        return sorted({u.email for u in user_store.staff_with_roles((to[5:],))})
    return [to]


def _email(action: dict[str, Any], context: dict[str, Any], run_id: str, index: int, rule_id: str, meta: dict[str, Any]) -> str:
    recipients = _recipients(action["to"], context)
    if not recipients:
        raise ActionError(f"nobody to write to ({action['to']})")
    subject, body = rules_domain.email_content(action, context)
    for address in recipients:
        mail.send("automation", address, subject=subject, body=body)
    return f"sent to {', '.join(recipients)}"


def _task(action: dict[str, Any], context: dict[str, Any], run_id: str, index: int, rule_id: str, meta: dict[str, Any]) -> str:
    role, person = action.get("assignee_role"), action.get("assignee_id")
    if role == "agent_of_client":
        people = [(context.get("client") or {}).get("sale_agent_id")]
    elif role:
        people = [u.id for u in user_store.staff_with_roles((role,))]
    else:
        people = [person]
    people = [p for p in people if p]
    if not people:
        raise ActionError(f"nobody to give the task to ({role or person})")
    title = rules_domain.render_text(action["title"], context).strip()[:300]
    due = (date.today() + timedelta(hours=action["due_hours"])).isoformat() if action["due_hours"] >= 24 else None
    if due:
        title = f"{title} (due {due})"
    anchor = (context.get("order") or {}).get("id") or f"automation-{(context.get('client') or {}).get('id', run_id)}"
    for n, assignee in enumerate(people):
        order_store.add_task(anchor, f"automation_{rule_id}_{index}_{run_id[-20:]}", assignee, title, n)
    return f"task for {len(people)} person(s): {title}"


def _client_id(context: dict[str, Any]) -> str:
    client = context.get("client")
    if not client:
        raise ActionError("the event refers to no client")
    return client["id"]


def _update_field(action: dict[str, Any], context: dict[str, Any], run_id: str, index: int, rule_id: str, meta: dict[str, Any]) -> str:
    entity, name, value = action["entity"], action["field"], action["value"]
    if entity == "proposal":
        proposal = context.get("proposal") or {}
        if not proposal:
            raise ActionError("the event refers to no proposal")
        if not value:
            return "nothing to change"
        # Disabled = withdrawn to draft: the client no longer sees or accepts it until an agent revises and sends it.
        if not store.withdraw_proposal(proposal["id"]):
            raise ActionError(f"proposal {proposal.get('number')} is {proposal.get('status')}: it can no longer be withdrawn")
        return f"proposal {proposal.get('number')} withdrawn to draft"
    client_id = _client_id(context)
    if name == "segment":
        store.set_segment(client_id, value)
    elif name == "tags":
        store.set_tags(client_id, value)
    elif name == "sale_agent_id":
        _set_agent(client_id, value)
    elif name == "credit_limit":
        ClientItem(f"CLIENT#{client_id}", "CLIENT").update(actions=[ClientItem.credit_limit.set(Decimal(value))],
                                                           condition=ClientItem.pk.exists())
    elif name == "store_credit":
        client = client_store.get_client(client_id)
        store.grant_credit(client_id, f"auto{run_id[-24:]}{index}".replace(".", ""), Decimal(value), client.currency,
                           f"Store credit from automation rule {rule_id}")
    events.publish("client.updated", {"client_id": client_id, "changed": f"{entity}.{name}", "automation": meta})
    return f"{entity}.{name} = {value}"


def _set_agent(client_id: str, agent_id: str) -> None:
    agent = user_store.find_user(agent_id)
    if agent is None or agent.role not in ("agent", "manager", "admin"):
        raise ActionError(f"{agent_id} is not a staff member who can be an agent")
    ClientItem(f"CLIENT#{client_id}", "CLIENT").update(actions=[ClientItem.sale_agent_id.set(agent_id)],
                                                       condition=ClientItem.pk.exists())


def _assign_agent(action: dict[str, Any], context: dict[str, Any], run_id: str, index: int, rule_id: str, meta: dict[str, Any]) -> str:
    client_id = _client_id(context)
    if action.get("only_unassigned", True) and context["client"].get("sale_agent_id"):
        return f"already assigned to {context['client']['sale_agent_id']}"
    turn = store.next_turn(rule_id, index, run_id) if action["strategy"] == "round_robin" else 0
    agent_id = rules_domain.pick_agent(action, context, turn)
    if not agent_id:
        raise ActionError(f"no agent mapped to {action.get('field')} = {rules_domain.resolve(context, action.get('field', ''))!r}")
    _set_agent(client_id, agent_id)
    events.publish("client.updated", {"client_id": client_id, "changed": "client.sale_agent_id", "automation": meta})
    return f"assigned {agent_id}"


def _tag(action: dict[str, Any], context: dict[str, Any], run_id: str, index: int, rule_id: str, meta: dict[str, Any]) -> str:
    client_id = _client_id(context)
    store.add_tags(client_id, [action["tag"]])
    return f"tagged {action['tag']}"


HANDLERS = {"email": _email, "task": _task, "update_field": _update_field, "assign_agent": _assign_agent, "tag": _tag}
