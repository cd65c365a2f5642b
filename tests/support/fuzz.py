"""Schemathesis over docs/openapi.json against the app served over HTTP on the local stack.

Used two ways: tests/test_fuzz.py (a bounded run: fixed seed, a few examples per operation) and
`make fuzz` (`python -m tests.support.fuzz`, rounds with new seeds until FUZZ_MINUTES are up; prints counts).
Every operation runs with a buyer's and an admin's token (public ones once, without a token), with
generated and with the seeded world's ids in the path, in positive and negative generation modes, and with
its body's whole numbers sent as they are or as floats (`5.0`).
A finding is a 5xx, an answer that does not match the spec, or a status code the spec does not list.
"""
from __future__ import annotations

import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup, ServerError
from schemathesis.openapi.checks import UndefinedStatusCode
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance,
)

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
KINDS = ("server errors", "schema violations", "undocumented statuses")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, response_headers_conformance,
          status_code_conformance]


@dataclass
class Findings:
    requests: int = 0
    counts: Counter = field(default_factory=Counter)
    examples: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (kind, operation, title) -> curl

    def add(self, kind: str, operation: str, title: str, detail: str) -> None:
        self.counts[kind] += 1
        self.examples.setdefault((kind, operation, title), detail)

    def total(self) -> int:
        return sum(self.counts.values())

    def report(self, limit: int = 60) -> str:
        lines = [f"{self.requests} requests: " + ", ".join(f"{self.counts[k]} {k}" for k in KINDS)]
        for (kind, operation, title), detail in sorted(self.examples.items())[:limit]:
            lines.append(f"- [{kind}] {operation}: {title}\n    {detail}")
        if limit and len(self.examples) > limit:
            lines.append(f"... and {len(self.examples) - limit} more distinct findings")
        return "\n".join(lines)


def kind_of(failure: Exception) -> str:
    if isinstance(failure, ServerError):
        return "server errors"
    return "undocumented statuses" if isinstance(failure, UndefinedStatusCode) else "schema violations"


@dataclass(frozen=True)
class FuzzWorld:
    tokens: dict[str, str]  # who -> ID token
    ids: dict[str, str]  # path parameter name -> an id that exists


def seed_world() -> FuzzWorld:
    """A small supplier: an admin, a client with an address, a price list, a product, a buyer and one order."""
    from chalicelib.services import ordering  # noqa: PLC0415
    from tests.support.world import World  # noqa: PLC0415

    world = World()
    admin_id, admin = world.staff("admin")
    sku = world.product("FUZZ-1", qty_on_hand=50)
    client_id = world.client(addresses=[{"label": "HQ", "line1": "1 Main St", "city": "Town", "postcode": "12345",
                                         "country": "RO"}])
    price_list_id = world.price_list({sku: "90.00"}, client_id=client_id)
    contact_id, buyer = world.buyer(client_id)
    order = ordering.place(ordering.Buyer(contact_id, "fuzz@client.example", client_id),
                           {"lines": [{"sku": sku, "qty": 1}]})
    ids = {"sku": sku, "client_id": client_id, "contact_id": contact_id, "price_list_id": price_list_id,
           "order_id": order.id}
    return FuzzWorld({"buyer": buyer, "admin": admin}, ids)


def _operations(base_url: str, shuffle_with: int | None) -> list[Any]:
    schema = schemathesis.openapi.from_path(str(SPEC))
    schema.config.update(base_url=base_url)
    operations = [result.ok() for result in schema.get_all_operations()]
    if shuffle_with is not None:  # a time-boxed round cut short still reaches every part of the API over the rounds
        random.Random(shuffle_with).shuffle(operations)
    return operations


def _strategy(operation: Any, mode: GenerationMode, ids: dict[str, str]) -> st.SearchStrategy:
    names = [p.name for p in operation.path_parameters]
    strategies = [operation.as_strategy(generation_mode=mode)]
    if names and all(n in ids for n in names):
        strategies.append(operation.as_strategy(generation_mode=mode, path_parameters={n: ids[n] for n in names}))
    return st.one_of(strategies)


def _callers(operation: Any, world: FuzzWorld, every_role: bool) -> list[tuple[str, str | None]]:
    """Who calls: with `every_role`, each token on every protected operation (cross-role probes); else the
    operation's own audience (admin on /admin, buyer on /portal), and pages and public routes without a token."""
    if not any("bearerAuth" in s for s in operation.definition.raw.get("security", [])):
        return [("public", None)]
    if every_role:
        return list(world.tokens.items())
    who = "buyer" if operation.path.startswith("/portal/") else "admin"
    return [(who, world.tokens[who])]


def _floats(value: Any) -> Any:
    """Every whole number as a float (`5` -> `5.0`): what JSON encoders of many languages send."""
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return float(value) if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53 else value


def run(base_url: str, world: FuzzWorld, *, seed: int, max_examples: int, findings: Findings | None = None,
        stop_at: float | None = None, every_role: bool = True, shuffle: bool = False) -> Findings:
    """One pass over every operation, token and generation mode; findings are collected, never raised."""
    findings = findings or Findings()
    session = requests.Session()
    for operation in _operations(base_url, seed if shuffle else None):
        for who, token in _callers(operation, world, every_role):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                if stop_at is not None and time.monotonic() > stop_at:
                    return findings

                @hypothesis.seed(seed)
                @hypothesis.settings(max_examples=max_examples, database=None, deadline=None, phases=[Phase.generate],
                                     suppress_health_check=list(HealthCheck), verbosity=hypothesis.Verbosity.quiet)
                @hypothesis.given(case=_strategy(operation, mode, world.ids), whole_as_float=st.booleans())
                def probe(case: Any, whole_as_float: bool) -> None:
                    if whole_as_float and isinstance(case.body, (dict, list)):
                        case.body = _floats(case.body)
                    findings.requests += 1
                    try:
                        response = case.call(session=session, headers=headers, timeout=60)
                    except requests.RequestException as exc:  # no valid HTTP answer at all: the server broke
                        findings.add("server errors", f"{operation.label} ({who}, {mode.value})",
                                     f"no valid HTTP answer: {type(exc).__name__}",
                                     f"{case.as_curl_command(headers=headers)} -> {str(exc)[:200]}")
                        return
                    try:
                        case.validate_response(response, checks=CHECKS, headers=headers)
                    except FailureGroup as group:
                        for failure in group.exceptions:
                            detail = f"{case.as_curl_command(headers=headers)} -> {response.status_code} {response.text[:200]}"
                            findings.add(kind_of(failure), f"{operation.label} ({who}, {mode.value})", failure.title,
                                         detail)

                try:
                    probe()
                except hypothesis.errors.Unsatisfiable:
                    pass
    return findings


def main() -> int:
    """`make fuzz`: rounds with a new seed each until FUZZ_MINUTES (default 15) are up, then the counts."""
    import threading  # noqa: PLC0415

    from infra.local.stack import LocalStack, free_port  # noqa: PLC0415

    minutes = float(os.environ.get("FUZZ_MINUTES", "15"))
    examples = int(os.environ.get("FUZZ_EXAMPLES", "10"))
    stack = LocalStack(port=free_port()).start()
    from chalice.config import Config  # noqa: PLC0415
    from chalice.local import ChaliceRequestHandler, create_local_server  # noqa: PLC0415

    from app import app  # noqa: PLC0415
    from infra.local import gateway, lambda_shim  # noqa: PLC0415

    gateway.install()
    stack.reset()
    lambda_shim.register_functions(app, stack.stage, stack.endpoint_url, "us-east-1")
    ChaliceRequestHandler.log_message = lambda *args: None  # one line per request would bury the counts
    port = free_port()
    server = create_local_server(app, Config.create(chalice_stage="local", app_name=app.app_name), "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    started = time.monotonic()
    stop_at = started + minutes * 60
    findings, rounds = Findings(), 0
    try:
        world = seed_world()
        while time.monotonic() < stop_at:
            # The first round is a quick pass over everything; then deeper rounds in a new order each.
            run(f"http://127.0.0.1:{port}", world, seed=rounds, max_examples=2 if rounds == 0 else examples,
                findings=findings, stop_at=stop_at, shuffle=rounds > 0)
            rounds += 1
            print(f"round {rounds} done at {(time.monotonic() - started) / 60:.1f} min: {findings.report(0)}", flush=True)
    finally:
        server.shutdown()
        server.server.server_close()
        stack.stop()
    print(f"\nmake fuzz: {rounds} round(s) in {(time.monotonic() - started) / 60:.1f} min")
    print(findings.report())
    return 1 if findings.total() else 0


if __name__ == "__main__":
    sys.exit(main())
