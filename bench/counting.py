"""Count the AWS calls a piece of work makes, with botocore event hooks.

Every botocore client created while the hooks are installed (boto3's default session, which
`chalicelib.aws.client` uses, PynamoDB's own per-thread botocore sessions, Powertools' client...)
gets three handlers on its `meta.events`:

- `before-parameter-build`: remembers the API parameters and, for DynamoDB operations that accept it,
  adds `ReturnConsumedCapacity=TOTAL` when the caller did not ask for it;
- `before-call`: starts the clock, and shouts when the operation is a `Scan`;
- `after-call` / `after-call-error`: stops the clock and records one `Call` (service, operation,
  duration, error code, ConsumedCapacity as the service returned it, and an estimate of the request
  units from the items' sizes, see bench/capacity.py).

Calls are recorded into the *scopes* open on the calling thread (a request, a Lambda invocation...),
so work done at the same time on other threads (moto's server, the Step Functions interpreter,
pollers) is never mixed into a request's count. Calls made on a thread with no scope open go to the
`background` scope when one is set (the workflow benchmark uses it for the state machines' own
service integrations), and are otherwise ignored.
"""
from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator
from contextlib import contextmanager

# DynamoDB operations that take ReturnConsumedCapacity.
CAPACITY_OPERATIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
    "TransactGetItems", "TransactWriteItems", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction",
})
SCAN_OPERATIONS = frozenset({"Scan"})

_CONTEXT_KEY = "b2b_bench"


@dataclass
class Call:
    service: str
    operation: str
    ms: float
    phase: str
    error: str | None = None
    attempts: int = 1
    consumed: float | None = None  # ConsumedCapacity.CapacityUnits as returned (moto returns fixed values)
    rru: float = 0.0  # estimated read request units (bench/capacity.py)
    wru: float = 0.0  # estimated write request units, including GSI writes
    estimate_error: str | None = None

    @property
    def name(self) -> str:
        return f"{self.service}.{self.operation}"


@dataclass
class Scope:
    """A unit of work whose calls are counted: one request, one Lambda invocation, a whole run..."""

    name: str
    calls: list[Call] = field(default_factory=list)
    http: list[tuple[str, float]] = field(default_factory=list)  # non-AWS HTTP made on the path (JWKS fetch)
    started: float = 0.0
    ended: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def wall_ms(self) -> float:
        return (self.ended - self.started) * 1000

    @property
    def aws_ms(self) -> float:
        return sum(c.ms for c in self.calls) + sum(ms for _, ms in self.http)

    @property
    def app_ms(self) -> float:
        """Wall time minus the time spent waiting on AWS (here: the emulated AWS) and other HTTP."""
        return max(self.wall_ms - self.aws_ms, 0.0)

    def by_operation(self, phase: str | None = None) -> dict[str, int]:
        counted = Counter(c.name for c in self.calls if phase is None or c.phase == phase)
        return dict(sorted(counted.items()))

    def count(self, phase: str | None = None) -> int:
        return sum(1 for c in self.calls if phase is None or c.phase == phase)

    @property
    def rru(self) -> float:
        return sum(c.rru for c in self.calls)

    @property
    def wru(self) -> float:
        return sum(c.wru for c in self.calls)

    @property
    def consumed(self) -> float | None:
        values = [c.consumed for c in self.calls if c.consumed is not None]
        return sum(values) if values else None

    @property
    def scans(self) -> list[Call]:
        return [c for c in self.calls if c.service == "dynamodb" and c.operation in SCAN_OPERATIONS]


Estimator = Callable[[str, str, dict[str, Any], dict[str, Any]], tuple[float, float]]


class Recorder:
    """The hooks' state: per-thread scope stacks, an optional background scope, the scans seen."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self.background: Scope | None = None
        self.estimator: Estimator | None = None
        self.scans_seen: list[tuple[str, str]] = []  # (scope names, operation)
        self.loud = True

    # --- scopes ---------------------------------------------------------------------------
    def stack(self) -> list[Scope]:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    @contextmanager
    def scope(self, name: str, **meta: Any) -> Iterator[Scope]:
        scope = Scope(name, meta=dict(meta))
        stack = self.stack()
        stack.append(scope)
        scope.started = time.perf_counter()
        try:
            yield scope
        finally:
            scope.ended = time.perf_counter()
            stack.remove(scope)

    def _targets(self) -> list[Scope]:
        stack = list(self.stack())
        if stack:
            return stack
        background = self.background
        return [background] if background is not None else []

    def record_http(self, what: str, ms: float) -> None:
        for scope in self._targets():
            scope.http.append((what, ms))

    # --- botocore handlers ------------------------------------------------------------------
    def before_parameter_build(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        targets = self._targets()
        if not targets:
            return
        service = model.service_model.service_name
        state = {"targets": targets, "params": params, "service": service, "operation": model.name, "attempts": 0,
                 "phase": targets[-1].name, "injected": False}
        context[_CONTEXT_KEY] = state
        # Only inside a scope of our own: the Step Functions interpreter's calls are left as they are.
        if service == "dynamodb" and model.name in CAPACITY_OPERATIONS and self.stack() \
                and "ReturnConsumedCapacity" not in params:
            params["ReturnConsumedCapacity"] = "TOTAL"
            state["injected"] = True

    def before_call(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        state = context.get(_CONTEXT_KEY)
        if state is None:
            return
        state["t0"] = time.perf_counter()
        if state["service"] == "dynamodb" and model.name in SCAN_OPERATIONS:
            where = " > ".join(s.name for s in state["targets"])
            with self._lock:
                self.scans_seen.append((where, model.name))
            if self.loud:
                print(f"\n!!!!! SCAN on the request path: dynamodb.{model.name} in [{where}] !!!!!\n",
                      file=sys.stderr, flush=True)

    def before_send(self, request: Any = None, **_: Any) -> None:
        context = getattr(request, "context", None) or {}
        state = context.get(_CONTEXT_KEY)
        if state is not None:
            state["attempts"] += 1

    def after_call(self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any],
                   **_: Any) -> None:
        state = context.pop(_CONTEXT_KEY, None)
        if state is None or "t0" not in state:
            return
        ms = (time.perf_counter() - state["t0"]) * 1000
        status = getattr(http_response, "status_code", 200)
        error = (parsed.get("Error") or {}).get("Code") if status >= 300 else None
        call = Call(state["service"], state["operation"], ms, state["phase"], error=error,
                    attempts=max(state["attempts"], 1), consumed=consumed_units(parsed.get("ConsumedCapacity")))
        if state["service"] == "dynamodb" and self.estimator is not None:
            try:
                call.rru, call.wru = self.estimator(state["operation"], error or "", state["params"], parsed)
            except Exception as exc:  # an estimate never breaks the request it measures
                call.estimate_error = f"{type(exc).__name__}: {exc}"
        self._append(state["targets"], call)

    def after_call_error(self, context: dict[str, Any], exception: BaseException, **_: Any) -> None:
        state = context.pop(_CONTEXT_KEY, None)
        if state is None or "t0" not in state:
            return
        ms = (time.perf_counter() - state["t0"]) * 1000
        self._append(state["targets"], Call(state["service"], state["operation"], ms, state["phase"],
                                            error=type(exception).__name__, attempts=max(state["attempts"], 1)))

    def _append(self, targets: list[Scope], call: Call) -> None:
        with self._lock:
            for scope in targets:
                scope.calls.append(call)

    # --- wiring ----------------------------------------------------------------------------------
    def instrument(self, client: Any) -> Any:
        """Register the handlers on one client (idempotent)."""
        if getattr(client, "_b2b_bench_instrumented", False):
            return client
        events = client.meta.events
        events.register("before-parameter-build", self.before_parameter_build, unique_id="b2b-bench-bpb")
        # Most specific pattern, first: a handler that answers the call (a Stubber, an in-process transport)
        # stops the chain, and the clock must have started by then.
        events.register_first("before-call.*.*", self.before_call, unique_id="b2b-bench-bc")
        events.register("before-send", self.before_send, unique_id="b2b-bench-bs")
        events.register("after-call", self.after_call, unique_id="b2b-bench-ac")
        events.register("after-call-error", self.after_call_error, unique_id="b2b-bench-ace")
        client._b2b_bench_instrumented = True
        return client


def consumed_units(value: Any) -> float | None:
    """Total CapacityUnits of a ConsumedCapacity field (a dict, or a list of them for batches)."""
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    units = [float(v.get("CapacityUnits", 0) or 0) for v in items if isinstance(v, dict)]
    return sum(units) if units else None


RECORDER = Recorder()
_installed: dict[str, Any] = {}


def install(recorder: Recorder = RECORDER) -> Recorder:
    """Instrument every botocore client created from now on (patches `Session.create_client`)."""
    import botocore.session  # noqa: PLC0415

    if "create_client" in _installed:
        return recorder
    original = botocore.session.Session.create_client
    _installed["create_client"] = original

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        return recorder.instrument(original(self, *args, **kwargs))

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    return recorder


def uninstall() -> None:
    import botocore.session  # noqa: PLC0415

    original = _installed.pop("create_client", None)
    if original is not None:
        botocore.session.Session.create_client = original  # type: ignore[method-assign]


def install_jwks_counter(recorder: Recorder = RECORDER) -> None:
    """The authorizer's JWKS download is plain HTTP (PyJWT), not botocore: count it as `http.jwks`."""
    import jwt  # noqa: PLC0415

    if "jwks" in _installed:
        return
    original = jwt.PyJWKClient.fetch_data
    _installed["jwks"] = original

    def fetch_data(self: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self)
        finally:
            recorder.record_http("http.jwks", (time.perf_counter() - started) * 1000)

    jwt.PyJWKClient.fetch_data = fetch_data  # type: ignore[method-assign]
