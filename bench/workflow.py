"""Workflow cost: real orders through review, fulfilment and invoicing on the local stack, with the state
transitions read from the executions' histories and every Lambda invocation counted and timed."""
from __future__ import annotations

import math
import time
from collections import Counter
from datetime import datetime, timezone
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bench.cost import Invocation, OrderUsage
from bench.counting import Scope

PARCELS = {"parcels": [{"weight_kg": "2.5", "length_cm": 40, "width_cm": 30, "height_cm": 20}]}

# The fewest Standard transitions an auto-approved order with an automatic delivery note can take in this shape
# (every state entered is a transition; the Express invoicing execution is billed per request instead):
#   order_review: RunChecks (a task: the checks and their figures in the history), Trusted? (the one Choice
#     between the two paths), AutoApprove (a task that ends the execution; no Succeed state after it) = 3
#   fulfilment: CreateDeliveryNote, NoteCreated? (auto or manual notes), WaitForApproval and WaitForPacking
#     (a person's act each: one task-token wait), ApplyStock (stock once, after the approval),
#     GenerateAwb (ends the execution and starts the invoice itself) = 6
# Folding a Choice into a Lambda would hide the path from the history; a Pass or Succeed state would add one.
FLOOR_TRANSITIONS = {"order-review": 3, "fulfilment": 6}
FLOOR_REASONING = ("order_review: RunChecks, Trusted?, AutoApprove (ends); fulfilment: CreateDeliveryNote, NoteCreated?,"
                   " WaitForApproval, ApplyStock, WaitForPacking, GenerateAwb (ends, starts the Express invoice): every"
                   " business step a state the history shows, one Choice per path, no Pass or Succeed on the happy path")
SCHEDULED = ("LambdaFunctionScheduled", "TaskScheduled", "ActivityScheduled")


def count_transitions(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Billable Standard transitions of one execution: every state entered, plus every retried attempt
    of a task (AWS bills retries as transitions). Also which states were entered, and how often."""
    entered: Counter[str] = Counter()
    retries = 0
    attempts_in_state = 0
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            details = event.get("stateEnteredEventDetails", {})
            entered[details.get("name", "?")] += 1
            attempts_in_state = 0
        elif kind in SCHEDULED:
            attempts_in_state += 1
            if attempts_in_state > 1:
                retries += 1
    return {"transitions": sum(entered.values()) + retries, "states": dict(entered), "retries": retries}


def history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    events, token = [], None
    while True:
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        if token:
            kwargs["nextToken"] = token
        reply = sfn.get_execution_history(**kwargs)
        events += reply["events"]
        token = reply.get("nextToken")
        if not token:
            return events


@dataclass
class WorkflowRun:
    orders: int
    api: list[Scope] = field(default_factory=list)
    invocations: list[Scope] = field(default_factory=list)
    background: Scope | None = None
    executions: dict[str, dict[str, Any]] = field(default_factory=dict)  # arn -> transitions
    seconds: float = 0.0
    emails: list[str] = field(default_factory=list)


def run_orders(h: Any, orders: int = 3, timeout: float = 60.0, warmup: int = 1) -> WorkflowRun:
    """Place `orders` orders from a trusted client and drive each to an invoice that was rendered and sent
    (settings: automatic delivery note, invoice on shipping), as tests/test_fulfilment_flow.py does.

    `warmup` orders go first, uncounted: a warm Lambda has imported its templates and created its clients,
    and a month of orders is almost all warm invocations."""
    import boto3  # noqa: PLC0415

    from bench.local import wait_for  # noqa: PLC0415
    from chalicelib.store import delivery_notes as dn_store  # noqa: PLC0415
    from chalicelib.store import invoices as invoice_store  # noqa: PLC0415
    from chalicelib.store import settings as settings_store  # noqa: PLC0415
    from tests.support.world import World  # noqa: PLC0415

    settings = settings_store.load()
    settings.auto_create_delivery_note, settings.invoice_on = True, "shipping"
    settings_store.save(settings)
    world = World()
    admin = world.admin_token()
    agent_id, _ = world.staff("agent")
    world.product("CAB-001", name="Patch cable", base_price=Decimal("10.00"), qty_on_hand=10_000)
    world.product("NET-001", name="Switch", base_price=Decimal("100.00"), vat_rate=Decimal("9"), qty_on_hand=10_000)
    client = world.client("Acme SRL", vat_number="RO123", auto_approve=True, payment_term_days=30, sale_agent_id=agent_id,
                          addresses=[{"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    _, buyer = world.buyer(client)

    pollers = h.pollers()
    pollers.drain()  # the world's own records: not part of any order
    sfn = boto3.client("stepfunctions", endpoint_url=h.stack.endpoint_url, region_name="us-east-1")
    machines = {arn: sfn.describe_state_machine(stateMachineArn=arn)["type"]
                for arn in h.stack.resources.refs.values() if isinstance(arn, str) and ":stateMachine:" in arn}

    def executions_since(since: datetime) -> list[tuple[str, dict[str, Any]]]:
        """Every execution of the stack's state machines started since `since` (whatever the app names them)."""
        found = []
        for machine in machines:
            for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine):
                found += [(machine, e) for e in page["executions"] if e["startDate"] >= since]
        return found

    def settled(since: datetime) -> bool:
        return all(e["status"] != "RUNNING" for _, e in executions_since(since))

    def one_order(k: int) -> list[Scope]:
        since = datetime.now(timezone.utc)
        api: list[Scope] = []
        reply, scope = h.request("api:place_order", "POST", "/portal/orders",
                                 {"lines": [{"sku": "CAB-001", "qty": 4}, {"sku": "NET-001", "qty": 2}]}, token=buyer,
                                 headers={"Idempotency-Key": f"bench-flow-{k}-{time.time_ns()}"}, expect=201)
        api.append(scope)
        order_id = reply.body["id"]
        dn = wait_for(lambda: (notes := dn_store.for_order(order_id)) and notes[0], timeout,
                      "acceptance and the delivery note", tick=pollers.drain)
        wait_for(lambda: dn_store.get(dn.id).approval_task_token, timeout, "the approval wait", tick=pollers.drain)
        api.append(h.request("api:approve_delivery_note", "POST", f"/admin/delivery-notes/{dn.id}/approve",
                             None, token=admin)[1])
        wait_for(lambda: dn_store.get(dn.id).packing_task_token, timeout, "the packing wait", tick=pollers.drain)
        api.append(h.request("api:packing_list", "POST", f"/admin/delivery-notes/{dn.id}/packing-list",
                             PARCELS, token=admin)[1])
        wait_for(lambda: (i := invoice_store.find(f"inv_{dn.id}")) and "issued" in (i.notified or set()),
                 timeout, "the invoice to be sent", tick=pollers.drain)
        wait_for(lambda: settled(since), timeout, "the order's executions to finish", tick=pollers.drain)
        pollers.drain()
        return api

    with h.recorder.scope("harness"):  # warm-up: first invocations import templates, create clients...
        for k in range(warmup):
            one_order(-1 - k)
    from moto.ses.models import ses_backends  # noqa: PLC0415

    from infra.local.provision import ACCOUNT_ID  # noqa: PLC0415

    outbox = ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages
    run = WorkflowRun(orders)
    sent_before = len(outbox)
    mark = h.mark()
    run.background = Scope("state machines' own calls")
    h.recorder.background = run.background
    started = time.perf_counter()
    window = datetime.now(timezone.utc)
    try:
        with h.recorder.scope("harness"):  # the driver's reads and the pollers' own calls: not costed
            for k in range(orders):
                run.api += one_order(k)
    finally:
        h.recorder.background = None
    run.seconds = time.perf_counter() - started
    run.emails = [f"to {m.destinations.get('ToAddresses', ['?'])[0].split('@')[0]}: {m.subject}" for m in outbox[sent_before:]]
    run.invocations = h.invocations_since(mark)
    for machine, e in executions_since(window):
        try:
            counted = count_transitions(history(sfn, e["executionArn"]))
        except Exception:  # noqa: BLE001 - Express executions have no history on AWS; moto may not keep one either
            counted = {"transitions": 0, "states": {}, "retries": 0}
        stop = e.get("stopDate") or e["startDate"]
        run.executions[e["executionArn"]] = {**counted, "machine": machine.rsplit(":", 1)[-1], "type": machines[machine],
                                             "ms": (stop - e["startDate"]).total_seconds() * 1000}
    return run


def usage(run: WorkflowRun, memory_mb: int, overrides: dict[str, int] | None = None,
          authorizer_invocations_per_order: float = 1.0) -> tuple[OrderUsage, dict[str, Any]]:
    """Per-order usage for the cost model, and a summary of where it comes from."""
    overrides = overrides or {}
    n = run.orders
    invocations = [Invocation(s.meta.get("function", s.name), s.wall_ms, overrides.get(s.meta.get("function", ""), memory_mb))
                   for s in run.invocations]
    api_invocations = [Invocation("api_handler", s.wall_ms - s.meta.get("authorizer_ms", 0.0), memory_mb) for s in run.api]
    authorizer_ms = [s.meta["authorizer_ms"] for s in run.api if "authorizer_ms" in s.meta]
    mean_authorizer_ms = sum(authorizer_ms) / len(authorizer_ms) if authorizer_ms else 0.0
    authorizer = [Invocation("api_authorizer", mean_authorizer_ms, memory_mb)] * round(authorizer_invocations_per_order * n)
    background_ddb = [c for c in (run.background.calls if run.background else []) if c.service == "dynamodb"]
    all_calls = [c for s in [*run.api, *run.invocations] for c in s.calls] + background_ddb
    ops = Counter(c.name for c in all_calls)
    standard = [e for e in run.executions.values() if e["type"] == "STANDARD"]
    express = [e for e in run.executions.values() if e["type"] == "EXPRESS"]
    transitions = sum(e["transitions"] for e in standard)
    # Express: billed per request and per GB-second of the workflow itself (64 MB, rounded up to 100 ms).
    express_gb_s = sum(math.ceil(max(e["ms"], 1) / 100) * 0.1 * 64 / 1024 for e in express)
    events = ops.get("events.PutEvents", 0)
    result = OrderUsage(
        api_requests=len(run.api) / n,
        invocations=invocations + api_invocations + authorizer,
        invocation_weight=1 / n,
        transitions=transitions / n,
        express_requests=len(express) / n,
        express_gb_seconds=express_gb_s / n,
        rru=sum(c.rru for c in all_calls) / n,
        wru=sum(c.wru for c in all_calls) / n,
        emails=ops.get("ses.SendEmail", 0) / n,
        events=events / n,
        sqs_requests=3 * events / n,  # EventBridge's SendMessage + the event source mapping's Receive and Delete
        s3_puts=ops.get("s3.PutObject", 0) / n,
    )
    states: Counter[str] = Counter()
    for e in standard:
        states.update({f"{e['machine']}.{k}": v for k, v in e["states"].items()})
    express_states: Counter[str] = Counter()
    for e in express:
        express_states.update({f"{e['machine']}.{k}": v for k, v in e["states"].items()})
    by_function: Counter[str] = Counter(i.function for i in invocations)
    ms_by_function: dict[str, float] = {}
    for i in invocations:
        ms_by_function[i.function] = ms_by_function.get(i.function, 0.0) + i.ms
    stream_records = sum(s.meta.get("records", 0) for s in run.invocations if s.meta.get("function") == "on_table_change")
    summary = {
        "orders": n,
        "transitions_per_order": round(transitions / n, 2),
        "floor_transitions": sum(FLOOR_TRANSITIONS.values()),
        "floor_transitions_by_machine": FLOOR_TRANSITIONS,
        "floor_transitions_reasoning": FLOOR_REASONING,
        "transitions_by_state_per_order": {k: round(v / n, 2) for k, v in sorted(states.items())},
        "retries": sum(e["retries"] for e in standard),
        "executions_per_order": {k: round(v / n, 2) for k, v in sorted(Counter(
            f"{e['machine']} ({e['type']})" for e in run.executions.values()).items())},
        "express_executions_per_order": round(len(express) / n, 2),
        "express_states_per_order": {k: round(v / n, 2) for k, v in sorted(express_states.items())},
        "express_ms_per_execution": round(sum(e["ms"] for e in express) / len(express), 1) if express else None,
        "lambda_invocations_per_order": round((len(invocations) + len(api_invocations)) / n + authorizer_invocations_per_order, 2),
        "step_and_consumer_invocations_per_order": {k: round(v / n, 2) for k, v in sorted(by_function.items())},
        "api_requests_per_order": round(len(run.api) / n, 2),
        "authorizer_invocations_per_order": authorizer_invocations_per_order,
        "lambda_ms_per_order": {k: round(v / n, 1) for k, v in sorted(ms_by_function.items())},
        "api_ms_per_order": round(sum(i.ms for i in api_invocations) / n, 1),
        "stream_records_per_order": round(stream_records / n, 1),
        "aws_calls_per_order": {k: round(v / n, 2) for k, v in sorted(ops.items())},
        "state_machine_sdk_calls_per_order": {k: round(v / n, 2) for k, v in sorted(Counter(c.name for c in background_ddb).items())},
        "emails_per_order": result.emails,
        "emails_of_one_order": run.emails[: len(run.emails) // n] if n else [],
        "rru_per_order": round(result.rru, 1), "wru_per_order": round(result.wru, 1),
        "wru_per_order_by_operation": _units_by(all_calls, "wru", n),
        "rru_per_order_by_operation": _units_by(all_calls, "rru", n),
        "ddb_calls_per_order_by_phase": {k: round(v / n, 2) for k, v in sorted(Counter(
            c.phase for c in all_calls if c.service == "dynamodb").items())},
        "wru_per_order_by_phase": _units_by_phase(all_calls, "wru", n),
        "ddb_calls_per_order_by_phase_and_operation": {k: round(v / n, 2) for k, v in sorted(Counter(
            f"{c.phase} {c.operation}" for c in all_calls if c.service == "dynamodb").items())},
        "memory_mb": memory_mb,
        "seconds": round(run.seconds, 1),
    }
    return result, summary


def _units_by(calls: list[Any], attr: str, n: int) -> dict[str, float]:
    totals: dict[str, float] = {}
    for c in calls:
        if getattr(c, attr):
            totals[c.name] = totals.get(c.name, 0.0) + getattr(c, attr)
    return {k: round(v / n, 1) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


def _units_by_phase(calls: list[Any], attr: str, n: int) -> dict[str, float]:
    totals: dict[str, float] = {}
    for c in calls:
        if getattr(c, attr):
            totals[c.phase] = totals.get(c.phase, 0.0) + getattr(c, attr)
    return {k: round(v / n, 1) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}
