"""The benchmark's scenarios: what each request is, its floor (the fewest AWS calls its access pattern
allows, with the reasoning), and how it is measured.

Floors follow the access patterns of docs/data-model.md, composed with no repeated read and with
independent key lookups batched (BatchGetItem takes 100 keys). They are floors of *this* data model; the
report's suggestions say where a different model would lower them.
"""
from __future__ import annotations

import math
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from bench.counting import Scope

PAGE = 50
CHAIN_CALLS = 4  # GetItem client, GetItem group, BatchGetItem (client + group lists), Query PRICELISTS#GLOBAL
CHAIN_LISTS = 4  # client list, group list, the active promotion, the default list (base price is on the product)


def batches(keys: int, per_call: int = 100) -> int:
    return math.ceil(keys / per_call) if keys else 0


@dataclass
class Floor:
    calls: int
    reason: str


def floor_login() -> Floor:
    return Floor(3, "BatchGetItem the lockout counters (account, IP) + Cognito InitiateAuth + GetItem USER (the reply's "
                    "role); the new token is checked locally")


def floor_catalogue_page(shown: int, lists: int = CHAIN_LISTS) -> Floor:
    prices = batches(shown * lists)
    return Floor(1 + CHAIN_CALLS + 1 + prices,
                 f"GetItem USER + chain {CHAIN_CALLS} (GetItem client, GetItem group, BatchGetItem their lists, Query global lists)"
                 f" + Query page + BatchGetItem per 100 price keys ({shown} SKUs x {lists} lists = {prices})")


def floor_search_prefix(shown: int, word_hits: int, lists: int = CHAIN_LISTS) -> Floor:
    prices = batches(shown * lists)
    hits = batches(word_hits)
    return Floor(1 + CHAIN_CALLS + 2 + hits + prices,
                 f"GetItem USER + chain {CHAIN_CALLS} + Query SKU prefix + Query WORD#<longest word> (q also matches names;"
                 f" {word_hits} word hits -> {hits} BatchGetItem) + {prices} BatchGetItem prices ({shown} x {lists})")


def floor_search_word(shown: int, candidates: int, lists: int = CHAIN_LISTS) -> Floor:
    prices = batches(shown * lists)
    products = batches(candidates)
    return Floor(1 + CHAIN_CALLS + 2 + products + prices,
                 f"GetItem USER + chain {CHAIN_CALLS} + Query SKU prefix (a one-word q is also a code prefix) + Query WORD#<word>"
                 f" + {products} BatchGetItem products ({candidates} candidates) + {prices} BatchGetItem prices ({shown} x {lists})")


def floor_search_words(shown: int, candidates: int, lists: int = CHAIN_LISTS) -> Floor:
    prices = batches(shown * lists)
    products = batches(candidates)
    pages = max(1, math.ceil(candidates * 60 / 1_000_000))  # word items are ~60 bytes; a Query page holds 1 MB
    return Floor(1 + CHAIN_CALLS + pages + products + prices,
                 f"GetItem USER + chain {CHAIN_CALLS} + {pages} Query WORD#<longest word> (1 MB pages) + {products} BatchGetItem"
                 f" products (the {candidates} candidates up to the page's last match, names checked for the other words)"
                 f" + {prices} BatchGetItem prices ({shown} x {lists})")


def floor_place_order(lines: int, lists: int = CHAIN_LISTS) -> Floor:
    products, prices = batches(lines), batches(lines * lists)
    return Floor(1 + 1 + products + (CHAIN_CALLS - 1) + prices + 1 + 1 + 1 + 2,
                 f"GetItem USER + GetItem client + {products} BatchGetItem products + chain {CHAIN_CALLS - 1} (client already read)"
                 f" + {prices} BatchGetItem prices ({lines} x {lists}) + GetItem settings + GetItem counter + TransactWriteItems"
                 f" (order, counter, history) + 2 idempotency writes (in progress, completed)")


def floor_order_detail() -> Floor:
    return Floor(8, "GetItem USER + GetItem order + Query history + Query delivery notes by order + Query invoices by order"
                    " + the timeline: GetExecutionHistory of the order's order_review and fulfilment executions"
                    " + Query the client's contacts (a buyer's timeline names colleagues by their side)")


def floor_list_page(what: str) -> Floor:
    return Floor(2, f"GetItem USER + one Query of {what} (limit+1)")


def floor_reminder_run(due: int, statuses: int = 3, page: int = 100) -> Floor:
    pages = statuses + max(0, math.ceil(due / page) - 1)
    return Floor(pages + 2 * due,
                 f"{pages} Query (open statuses by due date, <= today, pages of {page}) + per due invoice 1 UpdateItem"
                 f" (overdue + reminder sent, conditional) + 1 SES SendEmail ({due} due)")


# --- results ---------------------------------------------------------------------------------------

def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class Result:
    name: str
    family: str
    size: int
    size_of: str
    floor: Floor
    scopes: list[Scope]
    page_sized: bool = True
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def calls(self) -> int:
        return max(s.count() for s in self.scopes)

    def as_json(self) -> dict[str, Any]:
        last = self.scopes[-1]
        counts = [s.count() for s in self.scopes]
        app = [s.app_ms for s in self.scopes]
        wall = [s.wall_ms for s in self.scopes]
        aws = [s.aws_ms for s in self.scopes]
        body = {
            "name": self.name, "family": self.family, "size": self.size, "size_of": self.size_of,
            "aws_calls": self.calls, "floor": self.floor.calls,
            "ratio": round(self.calls / self.floor.calls, 2) if self.floor.calls else None,
            "floor_reasoning": self.floor.reason,
            "calls_by_operation": last.by_operation(),
            "authorizer_calls": last.by_operation("authorizer"),
            "other_http": sorted({what for what, _ in last.http}),
            "calls_vary_between_runs": len(set(counts)) > 1,
            "scans": len(last.scans),
            "ms_p50": round(statistics.median(app), 2), "ms_p95": round(pct(app, 0.95), 2),
            "ms_total_p50": round(statistics.median(wall), 2), "ms_total_p95": round(pct(wall, 0.95), 2),
            "ms_aws_p50": round(statistics.median(aws), 2),
            "runs": len(self.scopes),
            "rru_estimated": round(last.rru, 1), "wru_estimated": round(last.wru, 1),
            "consumed_capacity_reported_by_moto": last.consumed,
            "page_sized": self.page_sized, "notes": self.notes,
        }
        body.update(self.extra)
        return body


def repeat(run: Callable[[int], Scope], runs: int) -> list[Scope]:
    return [run(i) for i in range(runs)]


def repeat_request(h: Any, runs: int, name: str, method: str, path: str, **kwargs: Any) -> tuple[list[Scope], Any]:
    """The same request `runs` times; the scopes, and the last reply."""
    scopes, reply = [], None
    for _ in range(runs):
        reply, scope = h.request(name, method, path, **kwargs)
        scopes.append(scope)
    return scopes, reply


# --- request scenarios -----------------------------------------------------------------------------

def login(h: Any, email: str, password: str, runs: int) -> Result:
    scopes = repeat(lambda i: h.request("login", "POST", "/auth/login", {"email": email, "password": password})[1], runs)
    return Result("login", "login", 1, "login", floor_login(), scopes,
                  notes=["JWKS is fetched once per warm process (PyJWKClient cache); a cold Lambda adds one HTTPS GET"])


def catalogue_page(h: Any, token: str, size: int, runs: int) -> Result:
    scopes, reply = repeat_request(h, runs, "catalogue_page", "GET", f"/portal/catalogue?limit={PAGE}", token=token)
    shown = len(reply.body["items"])
    return Result(f"catalogue_page_{label(size)}", "catalogue_page", size, "SKUs", floor_catalogue_page(shown), scopes)


def search(h: Any, token: str, size: int, runs: int, *, kind: str, q: str, candidates: int = 0, word_hits: int = 0) -> Result:
    from urllib.parse import quote  # noqa: PLC0415

    path = f"/portal/catalogue?limit={PAGE}&q={quote(q)}"
    scopes, reply = repeat_request(h, runs, f"search_{kind}", "GET", path, token=token)
    shown = len(reply.body["items"])
    if kind == "prefix":
        floor = floor_search_prefix(shown, word_hits)
    elif kind == "word":
        floor = floor_search_word(shown, candidates)
    else:
        floor = floor_search_words(shown, candidates)
    return Result(f"catalogue_search_{kind}_{label(size)}", f"catalogue_search_{kind}", size, "SKUs", floor, scopes,
                  notes=[f"q={q!r}, {shown} shown"])


def place_order(h: Any, token: str, skus: list[str], lines: int, runs: int) -> Result:
    body = {"lines": [{"sku": s, "qty": 1} for s in skus[:lines]]}

    def once(i: int) -> Scope:
        key = f"bench-{uuid.uuid4().hex}"
        return h.request("place_order", "POST", "/portal/orders", body, token=token, headers={"Idempotency-Key": key},
                         expect=201)[1]

    return Result(f"place_order_{lines}", "place_order", lines, "lines", floor_place_order(lines), repeat(once, runs),
                  notes=["with an Idempotency-Key (Powertools idempotency on DynamoDB)"])


def order_detail(h: Any, token: str, order_id: str, docs: int, runs: int) -> Result:
    scopes = repeat(lambda i: h.request("order_detail", "GET", f"/portal/orders/{order_id}", token=token)[1], runs)
    return Result(f"order_detail_{label(docs)}", "order_detail", docs, "documents", floor_order_detail(), scopes)


def invoices_list(h: Any, token: str, client_invoices: int, runs: int) -> Result:
    scopes = repeat(lambda i: h.request("invoices_list", "GET", f"/portal/invoices?limit={PAGE}", token=token)[1], runs)
    return Result(f"invoices_list_{label(client_invoices)}", "invoices_list", client_invoices, "client invoices",
                  floor_list_page("CLIENT#<id>#INVOICES on gsi1"), scopes)


def review_queue(h: Any, token: str, drafts: int, runs: int) -> Result:
    scopes = repeat(lambda i: h.request("review_queue", "GET", f"/admin/orders?status=draft&limit={PAGE}", token=token)[1], runs)
    return Result(f"review_queue_{label(drafts)}", "review_queue", drafts, "draft orders",
                  floor_list_page("ORDERS#draft on gsi2"), scopes)


def reminder_run(h: Any, today: date, invoices: int, due: int) -> Result:
    """One overdue-reminder run through its real state machine; its calls are the Lambda steps' calls."""
    import boto3  # noqa: PLC0415

    from bench.workflow import count_transitions, history  # noqa: PLC0415
    from chalicelib.services import invoicing  # noqa: PLC0415

    mark = h.mark()
    started = time.perf_counter()
    with h.recorder.scope("reminders:start") as start:  # what the daily schedule's Lambda does
        arn = invoicing.start_reminders(today, on_demand=True)
    sfn = boto3.client("stepfunctions", endpoint_url=h.stack.endpoint_url, region_name="us-east-1")
    deadline = time.monotonic() + 300
    while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise TimeoutError("the reminder run did not finish")
        time.sleep(0.05)
    wall = time.perf_counter() - started
    status = sfn.describe_execution(executionArn=arn)["status"]
    steps = h.invocations_since(mark)
    run = Scope("reminder_run")
    run.calls = [c for s in [start, *steps] for c in s.calls]
    run.http = [x for s in steps for x in s.http]
    run.started, run.ended = 0.0, sum(s.wall_ms for s in [start, *steps]) / 1000
    transitions = count_transitions(history(sfn, arn))
    emails = sum(1 for c in run.calls if c.name == "ses.SendEmail")
    result = Result(f"overdue_reminders_{label(invoices)}", "overdue_reminders", invoices, "invoices", floor_reminder_run(due),
                    [run], page_sized=False,
                    notes=[f"{due} invoices due and not yet reminded among {invoices}; status {status}",
                           "ms = the Lambda steps' in-process time, summed"])
    result.extra = {"lambda_invocations": len(steps), "transitions": transitions["transitions"], "emails": emails,
                    "run_wall_ms": round(wall * 1000, 1),
                    "calls_per_due_invoice": round((run.count() - sum(1 for c in run.calls if c.operation == "Query")) / due, 2) if due else None}
    return result


def label(n: int) -> str:
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)
