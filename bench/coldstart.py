"""Cold start: importing the app (and serving its first request) in a fresh interpreter, beside the floor of
importing boto3 and creating one client, in the same run; and which modules the import spends its time on."""
from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

IMPORT_APP = """
import json, time
t = time.perf_counter()
import app
print(json.dumps({"ms": (time.perf_counter() - t) * 1000}))
"""

IMPORT_FLOOR = """
import json, time
t = time.perf_counter()
import boto3
boto3.client("dynamodb", region_name="us-east-1")
print(json.dumps({"ms": (time.perf_counter() - t) * 1000}))
"""

FIRST_REQUEST = """
import base64, json, os, sys, time
t = time.perf_counter()
import app
import_ms = (time.perf_counter() - t) * 1000
from bench.counting import install, install_jwks_counter  # stdlib only until installed
recorder = install()
install_jwks_counter(recorder)
import botocore.session
clients, _create = [], botocore.session.Session.create_client


def timed_create_client(self, *args, **kwargs):
    started = time.perf_counter()
    try:
        return _create(self, *args, **kwargs)
    finally:
        clients.append((args[0] if args else kwargs.get("service_name"), (time.perf_counter() - started) * 1000, id(self)))


botocore.session.Session.create_client = timed_create_client


class Context:
    function_name, aws_request_id, memory_limit_in_mb = "bench", "bench", 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"

    def get_remaining_time_in_millis(self):
        return 30_000


token, path = os.environ["BENCH_TOKEN"], os.environ["BENCH_PATH"]
route, _, query = path.partition("?")
claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
if os.environ["BENCH_WHICH"] == "api":
    # What API Gateway hands the API function once the (cached) authorizer has allowed the token.
    event = {"requestContext": {"httpMethod": "GET", "resourcePath": route, "path": route, "stage": "api",
                                "identity": {"sourceIp": "127.0.0.1"}, "requestId": "bench",
                                "authorizer": {"principalId": claims["sub"], "email": claims.get("email", "")}},
             "headers": {"accept": "application/json"}, "pathParameters": None, "stageVariables": {},
             "multiValueQueryStringParameters": {k: [v] for k, v in (p.split("=") for p in query.split("&") if p)} or None,
             "body": None, "isBase64Encoded": False}
    handler = app.app
else:
    # The authorizer function's own invocation (a separate Lambda on AWS).
    from chalicelib.api.security import token_authorizer
    event = {"type": "TOKEN", "authorizationToken": "Bearer " + token,
             "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef/api/GET" + route}
    handler = token_authorizer
loaded = set(sys.modules)
t = time.perf_counter()
with recorder.scope("first") as first:
    reply = handler(event, Context())
first_ms = (time.perf_counter() - t) * 1000
first_clients = list(clients)
t = time.perf_counter()
with recorder.scope("second") as second:
    handler(event, Context())
second_ms = (time.perf_counter() - t) * 1000
status = reply.get("statusCode") if "statusCode" in reply else ("allowed" if "policyDocument" in reply else reply)
lazy = sorted({m.split(".")[0] for m in set(sys.modules) - loaded})
print(json.dumps({"import_ms": import_ms, "first_ms": first_ms, "second_ms": second_ms, "status": status,
                  "first_calls": first.by_operation(), "first_http": [w for w, _ in first.http],
                  "first_aws_ms": first.aws_ms, "second_calls": second.count(), "lazily_imported": lazy,
                  "clients_created": len(first_clients), "sessions": len({s for _, _, s in first_clients}),
                  "client_creation_ms": sum(ms for _, ms, _ in first_clients)}))
"""


def _run(code: str, env: dict[str, str], args: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def _ms(code: str, env: dict[str, str]) -> dict[str, Any]:
    done = _run(code, env)
    if done.returncode != 0:
        raise RuntimeError(f"cold-start probe failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure_imports(runs: int = 7) -> dict[str, Any]:
    """Median import times, alternating app and floor runs so machine noise hits both alike."""
    env = base_env()
    _ms(IMPORT_APP, env)  # compile bytecode once (a fresh clone has none); not timed
    _ms(IMPORT_FLOOR, env)
    app, floor = [], []
    for _ in range(runs):
        app.append(_ms(IMPORT_APP, env)["ms"])
        floor.append(_ms(IMPORT_FLOOR, env)["ms"])
    app_ms, floor_ms = statistics.median(app), statistics.median(floor)
    return {"app_ms": round(app_ms, 1), "floor_ms": round(floor_ms, 1), "ratio": round(app_ms / floor_ms, 2),
            "runs": runs, "app_all_ms": [round(x, 1) for x in app], "floor_all_ms": [round(x, 1) for x in floor],
            "floor_is": "import boto3 + boto3.client('dynamodb') in a fresh interpreter"}


def measure_first_request(token: str, path: str, runs: int = 3, which: str = "api") -> dict[str, Any]:
    """A fresh interpreter imports the app and serves two invocations of the API function (`which="api"`, with the
    event API Gateway sends once the authorizer allowed the token) or of the authorizer function (`"authorizer"`)."""
    env = base_env()
    env.update({"BENCH_TOKEN": token, "BENCH_PATH": path, "BENCH_WHICH": which})
    results = [_ms(FIRST_REQUEST, env) for _ in range(runs)]
    last = results[-1]
    return {"path": path, "runs": runs, "function": which,
            "import_ms": round(statistics.median(r["import_ms"] for r in results), 1),
            "first_request_ms": round(statistics.median(r["first_ms"] for r in results), 1),
            "second_request_ms": round(statistics.median(r["second_ms"] for r in results), 1),
            "first_request_aws_ms": round(statistics.median(r["first_aws_ms"] for r in results), 1),
            "first_request_calls": last["first_calls"], "first_request_http": last["first_http"],
            "second_request_calls": last["second_calls"], "status": last["status"],
            "botocore_clients_created": last["clients_created"], "botocore_sessions": last["sessions"],
            "client_creation_ms": round(statistics.median(r["client_creation_ms"] for r in results), 1),
            "imported_by_first_request": last["lazily_imported"]}


_LINE = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def parse_importtime(stderr: str) -> list[tuple[str, int, int, int]]:
    """(module, self us, cumulative us, depth) per line of `python -X importtime` output."""
    rows = []
    for line in stderr.splitlines():
        match = _LINE.match(line)
        if match:
            self_us, cumulative_us, indent, module = match.groups()
            rows.append((module, int(self_us), int(cumulative_us), (len(indent) - 1) // 2))
    return rows


def summarise_importtime(rows: list[tuple[str, int, int, int]], top: int = 15) -> dict[str, Any]:
    by_package: dict[str, int] = defaultdict(int)
    for module, self_us, _, _ in rows:
        by_package[module.split(".")[0]] += self_us
    packages = sorted(by_package.items(), key=lambda kv: -kv[1])[:top]
    # Modules imported directly by app.py or by those (depth <= 2), by cumulative time: the import chains.
    shallow = sorted((r for r in rows if r[3] <= 2 and r[0] != "app"), key=lambda r: -r[2])[:top]
    total = next((cumulative for module, _, cumulative, _ in rows if module == "app"), sum(r[1] for r in rows))
    heaviest = sorted(rows, key=lambda r: -r[1])[:top]
    return {"total_ms": round(total / 1000, 1),
            "by_package_self_ms": {name: round(us / 1000, 1) for name, us in packages},
            "top_self_ms": {m: round(us / 1000, 1) for m, us, _, _ in heaviest},
            "top_cumulative_ms": [{"module": m, "cumulative_ms": round(c / 1000, 1), "depth": d} for m, _, c, d in shallow]}


def importtime_profile() -> dict[str, Any]:
    done = _run("import app", base_env(), ("-X", "importtime"))
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return summarise_importtime(parse_importtime(done.stderr))
