"""The automation matcher with 200 enabled rules: events per second it sustains, and AWS calls per event.

    PYTHONPATH=. .venv/bin/python -m bench --only automation         # printed, no files written

Two numbers each:
- the interpreter alone (domain/automation.evaluate over the 200 rules, context already built): what one
  Lambda's CPU sustains;
- the whole matcher on the local stack (services/automation.handle_events: rules version check, the event
  stored for replays, the context read, a run recorded per candidate rule), with the AWS calls counted by
  bench/counting.py. Events of a type with no rule cost less than those with candidates; both are shown.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

RULES = 200
EVENTS = 200
CANDIDATES = 10  # rules on order.placed; the other 190 are spread over the other event types


def _rules(client_group: str) -> list[dict[str, Any]]:
    from chalicelib.domain.automation import EVENTS as CATALOGUE  # noqa: PLC0415

    others = [e for e in CATALOGUE if e not in ("order.placed", "order.review_requested")]
    rules = []
    for i in range(RULES):
        event = "order.placed" if i < CANDIDATES else others[i % len(others)]
        conditions = {"all": [{"field": "event.client_id", "op": "exists", "value": True}]}
        if event == "order.placed":  # never true for the bench's orders: no execution starts, every rule is evaluated
            conditions = {"all": [{"field": "order.total", "op": "gt", "value": 10_000_000 + i},
                                  {"field": "client.group_name", "op": "eq", "value": client_group}]}
        rules.append({"name": f"Rule {i}", "enabled": True, "trigger": {"event": event}, "conditions": conditions,
                      "actions": [{"type": "task", "assignee_role": "manager", "title": "Look at {{ summary }}"}]})
    return rules


def measure() -> dict[str, Any]:
    from bench.counting import RECORDER, install  # noqa: PLC0415
    from infra.local.stack import LocalStack, free_port  # noqa: PLC0415

    install()  # before any client exists: every AWS call is counted

    stack = LocalStack(port=free_port()).start()
    from chalicelib.domain import automation as rules_domain  # noqa: PLC0415
    from chalicelib.services import automation  # noqa: PLC0415
    from tests.support.world import World  # noqa: PLC0415

    world = World()
    world.product("SRV-100", base_price=Decimal("1000.00"), qty_on_hand=10_000)
    client = world.client("Bench Reseller", group_id=world.group("Resellers"), credit_limit=Decimal("100000000"),
                          addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    from chalicelib.services.ordering import Buyer, place  # noqa: PLC0415

    contact_id, _ = world.buyer(client)
    from chalicelib.store.users import find_user  # noqa: PLC0415

    contact = find_user(contact_id)
    buyer = Buyer(client_id=client, contact_id=contact_id, email=contact.email)
    order = place(buyer, {"lines": [{"sku": "SRV-100", "qty": 1}]})
    for body in _rules("Resellers"):
        automation.create_rule(body)
    enabled = automation.enabled_rules()
    assert len(enabled) == RULES

    # the interpreter alone
    event = {"id": "bench", "type": "order.placed", "time": datetime.now(timezone.utc).isoformat(),
             "detail": {"order_id": order.id, "client_id": client}}
    context = automation.build_context(event)
    started = time.perf_counter()
    for _ in range(EVENTS):
        [rules_domain.evaluate(r, context) for r in enabled if r.event == context["event_type"]]
    interpreter_candidates = EVENTS / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(EVENTS):
        [rules_domain.evaluate(r, context) for r in enabled]  # every rule, as if all 200 listened to this event
    interpreter_all = EVENTS / (time.perf_counter() - started)

    results = {}
    for label, etype, detail in (("with 10 candidate rules", "order.placed", {"order_id": order.id, "client_id": client}),
                                 ("of a type no rule listens to", "order.review_requested", {"order_id": order.id})):
        messages = [{"id": f"bench-{etype}-{i}", "detail-type": etype, "time": datetime.now(timezone.utc).isoformat(),
                     "detail": detail} for i in range(EVENTS // 4)]
        automation.handle_events(messages[:1])  # warm
        with RECORDER.scope(f"automation {etype}") as scope:
            started = time.perf_counter()
            automation.handle_events(messages[1:])
            elapsed = time.perf_counter() - started
        n = len(messages) - 1
        results[label] = {"events_per_second_local": round(n / elapsed, 1), "aws_calls_per_event": round(scope.count() / n, 2),
                          "by_operation_per_event": {k: round(v / n, 2) for k, v in scope.by_operation().items()},
                          "ms_app_per_event": round(scope.app_ms / n, 2)}
    stack.stop()
    return {"rules": RULES, "candidates_for_order_placed": CANDIDATES,
            "interpreter_events_per_second": {"candidates_only": round(interpreter_candidates), "all_200_rules": round(interpreter_all)},
            "matcher": results}


def markdown(result: dict[str, Any]) -> str:
    lines = [f"Automation matcher, {result['rules']} enabled rules ({result['candidates_for_order_placed']} on order.placed)", "",
             "| measure | value |", "|---|---|",
             f"| interpreter, the event's candidate rules | {result['interpreter_events_per_second']['candidates_only']:,} events/s |",
             f"| interpreter, all 200 rules evaluated | {result['interpreter_events_per_second']['all_200_rules']:,} events/s |"]
    for label, r in result["matcher"].items():
        lines.append(f"| matcher on the local stack, events {label} | {r['events_per_second_local']} events/s, "
                     f"{r['aws_calls_per_event']} AWS calls/event ({', '.join(f'{k} {v}' for k, v in r['by_operation_per_event'].items())}), "
                     f"{r['ms_app_per_event']} ms app time/event |")
    return "\n".join(lines)
