"""Parallel checkouts on a large table: wall time and peak memory of the local stack, with and without
infra/local/moto_speedups.py (moto's own transactions deep-copy the whole table, stream included).

Each variant runs in a fresh interpreter (peak RSS is per process):

    PYTHONPATH=. .venv/bin/python -m bench --only checkouts      # both variants, printed
    PYTHONPATH=. .venv/bin/python -m bench.checkouts [--without-speedups] [--skus N] [--checkouts N]   # one, as JSON

One interpreter: the embedded stack, the app behind Chalice's threaded local HTTP server (as `make run` serves
it) and the stream/queue pollers in the background; a trusted client and N SKUs. Then `checkouts` threads each
POST one order (5 lines) at the same moment; measured: until every order is answered, and until every order
has been reviewed (accepted by the stream consumer), and the process's peak RSS.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WALL_TARGET_S = 15.0
RSS_TARGET_MB = 1536
SETUP_ALLOWANCE_S = 900  # starting the stack and loading the SKUs, before the measured part (minutes on a busy machine)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def run(skus: int, checkouts: int, speedups: bool, lines: int = 5, timeout: float = 600) -> dict[str, Any]:
    import requests  # noqa: PLC0415

    from bench.data import product_row, sku_at  # noqa: PLC0415
    from bench.local import DIRECT, _install_direct_transport  # noqa: PLC0415
    from infra.local import moto_speedups  # noqa: PLC0415
    from infra.local.stack import LocalStack, free_port  # noqa: PLC0415

    _install_direct_transport()
    stack = LocalStack(port=free_port()).start()
    if not speedups:
        moto_speedups.uninstall()
    from chalice.config import Config  # noqa: PLC0415
    from chalice.local import create_local_server  # noqa: PLC0415

    from app import app  # noqa: PLC0415
    from chalicelib.services import setup  # noqa: PLC0415
    from chalicelib.store import orders as order_store  # noqa: PLC0415
    from chalicelib.store import settings as settings_store  # noqa: PLC0415
    from infra.local import gateway, lambda_shim  # noqa: PLC0415
    from infra.local.pollers import Pollers  # noqa: PLC0415
    from tests.support.world import World  # noqa: PLC0415

    gateway.install()
    lambda_shim.register_functions(app, stack.stage, stack.endpoint_url, "us-east-1")
    world = World()
    client = world.client("Checkout bench SRL", credit_limit=Decimal("100000000"), addresses=[
        {"label": "HQ", "line1": "Str. 1", "city": "Cluj", "postcode": "400000", "country": "RO"}])
    _, token = world.buyer(client)
    settings = settings_store.load()
    settings.review_required = False  # every client trusted: the stream consumer accepts the orders itself
    settings_store.save(settings)
    pollers = Pollers(app, stack.endpoint_url, "us-east-1", stream_arn=os.environ["MAIN_TABLE_STREAM_ARN"])
    pollers.drain()  # the world's own records
    started = time.perf_counter()
    with DIRECT.enabled():
        for first in range(0, skus, 5000):
            setup.import_products([product_row(i) for i in range(first, min(first + 5000, skus))])
    load_s = time.perf_counter() - started

    port = free_port()
    server = create_local_server(app, Config.create(chalice_stage="local", app_name=app.app_name), "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for poller in pollers.pollers:  # the bulk-loaded catalogue: no consumer work, only stream records to skip
        if hasattr(poller, "skip_to_end"):
            poller.skip_to_end()
    pollers.start()
    rss_before = _rss_mb()

    go, answers = threading.Barrier(checkouts), [None] * checkouts

    def checkout(n: int) -> None:
        body = {"lines": [{"sku": sku_at((n * 7919 + k * 104729) % skus), "qty": 1 + k} for k in range(lines)]}
        go.wait()
        try:
            answers[n] = requests.post(f"http://127.0.0.1:{port}/portal/orders", json=body, timeout=timeout, headers={
                "Authorization": f"Bearer {token}", "Idempotency-Key": f"bench-checkout-{n}"})
        except requests.Timeout:
            answers[n] = None  # not answered within `timeout`

    threads = [threading.Thread(target=checkout, args=(n,)) for n in range(checkouts)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answered_s = time.perf_counter() - started
    refused = ["timeout" if a is None else a.status_code for a in answers if a is None or a.status_code != 201]
    ids = [a.json()["id"] for a in answers if a is not None and a.status_code == 201]
    pending = set(ids)
    deadline = started + timeout
    while pending and time.perf_counter() < deadline:
        pending = {i for i in pending if order_store.get(i).status == "draft"}
        time.sleep(0.05)
    reviewed_s = time.perf_counter() - started
    pollers.stop()
    server.shutdown()
    stack.stop()
    return {"speedups": speedups, "skus": skus, "checkouts": checkouts, "lines": lines, "load_s": round(load_s, 1),
            "answered_s": round(answered_s, 2), "wall_s": round(reviewed_s, 2), "refused": refused,
            "not_reviewed": len(pending), "rss_before_mb": round(rss_before), "peak_rss_mb": round(_rss_mb())}


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def measure_one(skus: int, checkouts: int, speedups: bool, cap_mb: float, timeout: float) -> dict[str, Any]:
    """One variant in a fresh interpreter; stopped (and reported as such) beyond `cap_mb`, or when it is still
    running `timeout` seconds after its set-up allowance (the child itself gives the checkouts `timeout` seconds)."""
    command = [sys.executable, "-m", "bench.checkouts", "--skus", str(skus), "--checkouts", str(checkouts),
               "--timeout", str(timeout), *([] if speedups else ["--without-speedups"])]
    log = tempfile.TemporaryFile("w+")
    child = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                             stdout=subprocess.PIPE, stderr=log, text=True)
    started, peak, stopped = time.monotonic(), 0.0, None
    while child.poll() is None:
        peak = max(peak, _peak_rss_mb(child.pid) or 0)
        if peak > cap_mb:
            stopped = f"stopped at {peak:,.0f} MB RSS (cap {cap_mb:,.0f} MB)"
        elif time.monotonic() - started > timeout + SETUP_ALLOWANCE_S:
            stopped = f"stopped after {time.monotonic() - started:.0f} s (set-up included), at {peak:,.0f} MB RSS"
        if stopped:
            child.kill()
            child.wait()
            return {"speedups": speedups, "skus": skus, "checkouts": checkouts, "stopped": stopped,
                    "peak_rss_mb": round(peak), "wall_s": None}
        time.sleep(0.2)
    out = child.stdout.read() if child.stdout else ""
    if child.returncode != 0 or not out.strip():
        log.seek(0)
        print(log.read()[-3000:], file=sys.stderr)
        return {"speedups": speedups, "skus": skus, "checkouts": checkouts, "stopped": f"exit {child.returncode}",
                "peak_rss_mb": round(peak), "wall_s": None}
    return json.loads(out.strip().splitlines()[-1])


def measure(skus: int = 20_000, checkouts: int = 30, cap_mb: float = 8192, timeout: float = 300) -> dict[str, Any]:
    return {"with": measure_one(skus, checkouts, True, cap_mb, timeout),
            "without": measure_one(skus, checkouts, False, cap_mb, timeout),
            "wall_target_s": WALL_TARGET_S, "rss_target_mb": RSS_TARGET_MB}


def _variant(r: dict[str, Any]) -> str:
    if r.get("wall_s") is None:
        return f"did not finish: {r.get('stopped')}"
    return (f"{r['wall_s']:.1f} s until all reviewed ({r['answered_s']:.1f} s until all answered),"
            f" peak RSS {r['peak_rss_mb']:,} MB (before the checkouts {r['rss_before_mb']:,} MB)"
            + (f", {len(r['refused'])} refused" if r.get("refused") else "")
            + (f", {r['not_reviewed']} not reviewed" if r.get("not_reviewed") else ""))


def markdown(result: dict[str, Any]) -> str:
    fast, plain = result["with"], result["without"]
    met = (fast.get("wall_s") is not None and fast["wall_s"] < WALL_TARGET_S and fast["peak_rss_mb"] < RSS_TARGET_MB
           and not fast.get("refused") and not fast.get("not_reviewed"))
    return "\n".join([
        f"{fast['checkouts']} parallel checkouts on a {fast['skus']:,}-SKU table (target: under {WALL_TARGET_S:g} s and"
        f" {RSS_TARGET_MB / 1024:g} GB with the speed-ups): **{'met' if met else 'missed'}**",
        "",
        "| moto | result |", "|---|---|",
        f"| with infra/local/moto_speedups.py | {_variant(fast)} |",
        f"| as it is | {_variant(plain)} |",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.checkouts")
    parser.add_argument("--skus", type=int, default=20_000)
    parser.add_argument("--checkouts", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--without-speedups", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.skus, args.checkouts, speedups=not args.without_speedups, timeout=args.timeout)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
