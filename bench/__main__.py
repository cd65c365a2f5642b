"""`make bench`: AWS round trips per request, catalogue at scale, cold start, workflow cost, cost per order.

    PYTHONPATH=. .venv/bin/python -m bench [--budget SECONDS] [--runs N] [--max-skus N] [--no-readme]
    PYTHONPATH=. .venv/bin/python -m bench --only checkouts     # just the parallel-checkout scenario, printed

Runs on the embedded local stack (infra/local), prints the tables and writes bench/results.json; the block
between `<!-- bench:start -->` and `<!-- bench:end -->` in bench/README.md (and README.md, when it has the
markers) is replaced with the latest tables.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os  # noqa: PLC0415

    import moto  # noqa: PLC0415

    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs{f' ({cpu})' if cpu else ''},"
            f" Python {platform.python_version()}, moto {moto.__version__}")


class Budget:
    def __init__(self, seconds: float):
        self.started = time.monotonic()
        self.seconds = seconds

    @property
    def used(self) -> float:
        return time.monotonic() - self.started

    @property
    def left(self) -> float:
        return self.seconds - self.used


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def words_candidates(size: int, lead: str, others: list[str], wanted: int) -> int:
    """Products holding `lead` read in SKU order until `wanted` of them also hold `others` (the search loop's work)."""
    from bench.data import product_row  # noqa: PLC0415
    from chalicelib.domain.search import name_words  # noqa: PLC0415
    from chalicelib.store.models import sku_key  # noqa: PLC0415

    rows = sorted((sku_key(r["sku"]), set(name_words(r["name"]))) for r in map(product_row, range(size)))
    read = matched = 0
    for _, words in rows:
        if lead in words:
            read += 1
            if set(others) <= words:
                matched += 1
                if matched >= wanted:
                    break
    return read


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--budget", type=float, default=540, help="seconds for the whole run (default 540)")
    parser.add_argument("--runs", type=int, default=5, help="repetitions per request scenario (default 5)")
    parser.add_argument("--max-skus", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=3, help="real orders through the workflows (default 3)")
    parser.add_argument("--stage", default="prod", help="stage whose Lambda memory prices the workflow (default prod)")
    parser.add_argument("--no-readme", action="store_true", help="do not update the README blocks")
    parser.add_argument("--only", choices=["checkouts", "clients", "back_office", "reports", "automation"],
                        help="run just this scenario and print it (no files written)")
    parser.add_argument("--max-clients", type=int, default=10_000, help="largest client list measured (default 10,000)")
    parser.add_argument("--report-orders", default="1000,10000",
                        help="order book sizes for --only reports (default 1000,10000; up to 100000)")
    args = parser.parse_args(argv)
    from bench import checkouts  # noqa: PLC0415

    if args.only == "automation":
        from bench import automation  # noqa: PLC0415

        log("automation: the matcher with 200 enabled rules")
        print(automation.markdown(automation.measure()))
        return 0
    if args.only == "reports":
        from bench import reports  # noqa: PLC0415

        sizes = tuple(int(n) for n in args.report_orders.split(","))
        log(f"reports: every report's AWS calls per request at {', '.join(f'{n:,}' for n in sizes)} orders")
        print(reports.markdown(reports.measure(sizes)))
        return 0
    if args.only == "back_office":
        from bench import back_office  # noqa: PLC0415

        log("back office: products CSV import (1,000 rows) and the staff products list at 1k and 10k products")
        print(back_office.markdown(back_office.measure()))
        return 0
    if args.only == "checkouts":
        log("checkouts: 30 parallel checkouts on 20,000 SKUs, with and without the moto speed-ups")
        print(checkouts.markdown(checkouts.measure()))
        return 0
    if args.only == "clients":
        from bench import clients as client_bench  # noqa: PLC0415
        from bench.local import Harness as _Harness  # noqa: PLC0415

        sizes = tuple(n for n in (1_000, 10_000, 100_000) if n <= args.max_clients)
        log(f"clients: the staff's client list at {', '.join(f'{n:,}' for n in sizes)} clients")
        harness = _Harness().start()
        try:
            print(client_bench.markdown(client_bench.measure(harness, sizes, args.runs)))
        finally:
            harness.stop()
        return 0
    budget = Budget(args.budget)

    from bench import coldstart, cost, data, report, scenarios, workflow  # noqa: PLC0415
    from bench.counting import RECORDER  # noqa: PLC0415
    from bench.local import Harness  # noqa: PLC0415

    results: dict[str, Any] = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
                               "scenarios": [], "notes": []}
    notes: list[str] = results["notes"]
    runs = args.runs

    def add(result: Any) -> None:
        body = result.as_json()
        results["scenarios"].append(body)
        log(f"{body['name']}: {body['aws_calls']} calls (floor {body['floor']}), app {body['ms_p50']} ms,"
            f" total {body['ms_total_p50']} ms")

    log("starting the embedded local stack")
    h = Harness().start()
    try:
        # --- workflow cost: real executions on a fresh stack ------------------------------------------
        log(f"workflow: {args.orders} orders through review, fulfilment and invoicing")
        run = workflow.run_orders(h, args.orders)
        config = json.loads((ROOT / ".chalice" / "config.json").read_text())
        memory, overrides = cost.memory_sizes(config, args.stage)
        usage, summary = workflow.usage(run, memory, overrides)
        results["workflow"] = summary
        results["cost_per_1000_orders_usd"] = cost.cost_per_orders(usage)
        results["cost_per_1000_orders_usd"]["stage"] = args.stage
        results["cost_prices"] = cost.PRICES
        log(f"workflow: {summary['transitions_per_order']} transitions/order,"
            f" ${results['cost_per_1000_orders_usd']['total']:.4f} per 1,000 orders")

        # --- documents: 100 then 10,000 -------------------------------------------------------------
        from chalicelib.services.pricing import supplier_today  # noqa: PLC0415
        from tests.support.world import PASSWORD  # noqa: PLC0415

        h.reset()
        today = supplier_today()
        docs = data.build_document_world(h)
        add(scenarios.login(h, docs.buyer_email, PASSWORD, runs))
        placed, _ = h.request("setup", "POST", "/portal/orders",
                              {"lines": [{"sku": data.sku_at(i), "qty": 2} for i in range(3)]}, token=docs.buyer_token)
        docs.order_id = placed.body["id"]
        data.attach_documents(h, docs, today)
        for invoices, client_invoices, drafts in ((100, 100, 100), (10_000, 1_000, 5_000)):
            log(f"documents: {invoices:,} invoices ({client_invoices:,} of the client), {drafts:,} draft orders")
            data.grow_documents(h, docs, invoices=invoices, client_invoices=client_invoices, drafts=drafts, overdue=50,
                                today=today)
            h.http.get(f"/portal/orders/{docs.order_id}", token=docs.buyer_token)  # warm
            add(scenarios.order_detail(h, docs.buyer_token, docs.order_id, docs.invoices + docs.drafts, runs))
            add(scenarios.invoices_list(h, docs.buyer_token, docs.client_invoices, runs))
            add(scenarios.review_queue(h, docs.agent_token, docs.drafts, runs))
            add(scenarios.reminder_run(h, today, docs.invoices, len(docs.overdue_ids)))

        # --- the staff's client list: 1k, 10k clients ---------------------------------------------------
        from bench import clients as client_bench  # noqa: PLC0415

        h.reset()
        for result in client_bench.measure(h, tuple(n for n in (1_000, 10_000, 100_000) if n <= args.max_clients), runs):
            add(result)

        # --- catalogue: 1k, 20k, 100k SKUs -------------------------------------------------------------
        h.reset()
        world = data.build_catalogue_world(h)
        token = world.buyer_token
        seconds = data.grow_catalogue(h, world, 1_000)
        log(f"catalogue: 1,000 SKUs loaded in {seconds:.1f} s")
        h.http.get("/portal/catalogue?limit=50", token=token)  # warm: JWKS of the new pool, clients
        lead, other, missing = "wireless", "max", "zebra"  # "zebra" is in no name: the search reads every candidate

        def catalogue_scenarios(size: int, reps: int, only_page: bool = False) -> None:
            add(scenarios.catalogue_page(h, token, size, reps))
            if only_page:
                return
            add(scenarios.search(h, token, size, reps, kind="prefix", q="NET-00", word_hits=0))
            add(scenarios.search(h, token, size, reps, kind="word", q=lead, candidates=scenarios.PAGE + 1))
            add(scenarios.search(h, token, size, max(1, reps // 3), kind="words", q=f"{lead} {other}",
                                 candidates=words_candidates(size, lead, [other], scenarios.PAGE + 1)))
            if size <= 20_000:
                add(scenarios.search(h, token, size, 1, kind="nomatch", q=f"{lead} {missing}",
                                     candidates=words_candidates(size, lead, [missing], scenarios.PAGE + 1)))

        catalogue_scenarios(1_000, runs)
        skus = [data.sku_at(i) for i in range(100)]
        for lines in (1, 10, 100):
            add(scenarios.place_order(h, token, skus, lines, runs))

        log("cold start: fresh interpreters")
        results["import"] = coldstart.measure_imports()
        results["import_profile"] = coldstart.importtime_profile()
        results["first_request"] = coldstart.measure_first_request(token, "/portal/catalogue?limit=50")
        results["first_authorizer"] = coldstart.measure_first_request(token, "/portal/catalogue", which="authorizer")
        log(f"import: app {results['import']['app_ms']} ms, floor {results['import']['floor_ms']} ms")

        seconds = data.grow_catalogue(h, world, 20_000)
        per_sku = seconds / 19_000
        log(f"catalogue: 20,000 SKUs ({seconds:.1f} s for 19,000)")
        catalogue_scenarios(20_000, runs)
        page_20k_aws = next(s["ms_aws_p50"] for s in results["scenarios"] if s["name"] == "catalogue_page_20k")

        # Largest size the clock allows: loading plus three page requests, whose emulated AWS time grows with the
        # table (moto's Query walks every item), with 60 s kept for writing up.
        target = args.max_skus
        while target > 20_000:
            estimate = (target - 20_000) * per_sku + 3 * page_20k_aws / 1000 * target / 20_000
            if estimate < budget.left - 60:
                break
            target -= 10_000
        if target < args.max_skus:
            notes.append(f"{args.max_skus:,} SKUs did not fit the {args.budget:.0f} s budget on this machine: measured"
                         f" {target:,} instead (loading ~{per_sku * 1000:.1f} ms/SKU into moto; moto's Query time grows"
                         " with the table). Nothing is extrapolated.")
        if target > 20_000:
            seconds = data.grow_catalogue(h, world, target)
            log(f"catalogue: {target:,} SKUs ({seconds:.1f} s)")
            catalogue_scenarios(target, runs, only_page=True)
            page_ms = next(s["ms_total_p50"] for s in results["scenarios"] if s["name"] == f"catalogue_page_{scenarios.label(target)}")
            if budget.left - 60 > 3 * 3 * page_ms / 1000 * 2:
                add(scenarios.search(h, token, target, 3, kind="prefix", q="NET-00", word_hits=0))
                add(scenarios.search(h, token, target, 3, kind="word", q=lead, candidates=scenarios.PAGE + 1))
                add(scenarios.search(h, token, target, 1, kind="words", q=f"{lead} {other}",
                                     candidates=words_candidates(target, lead, [other], scenarios.PAGE + 1)))
            else:
                notes.append(f"searches at {target:,} SKUs skipped for the time budget")
            nomatch_20k = next((s for s in results["scenarios"] if s["name"] == "catalogue_search_nomatch_20k"), None)
            if nomatch_20k and budget.left - 60 > nomatch_20k["ms_total_p50"] / 1000 * target / 20_000 * 2:
                add(scenarios.search(h, token, target, 1, kind="nomatch", q=f"{lead} {missing}",
                                     candidates=words_candidates(target, lead, [missing], scenarios.PAGE + 1)))
            else:
                notes.append(f"the no-match two-word search at {target:,} SKUs was skipped for the time budget")
        results["catalogue_load_seconds"] = {str(k): round(v, 1) for k, v in world.load_seconds.items()}
    finally:
        h.stop()

    # --- parallel checkouts on 20k SKUs, with and without the moto speed-ups (fresh interpreters) ----------
    log("checkouts: 30 parallel checkouts on 20,000 SKUs, with and without the moto speed-ups")
    results["parallel_checkouts"] = checkouts.measure(timeout=max(60.0, min(300.0, budget.left - 120)))

    results["seconds"] = round(budget.used, 1)
    scans = RECORDER.scans_seen
    results["scans_seen"] = [f"{where}: {op}" for where, op in scans]
    notes.extend([
        "moto is made faster for the run, not different (infra/local/moto_speedups.py: transactions snapshot their own items"
        " instead of deep-copying the table; a Query reads its own partition instead of sorting the whole table first);"
        " benchmark data is loaded with the app's batch writes carried into moto in-process",
        "moto returns ConsumedCapacity as fixed numbers (1.0 / 0.5 per call whatever the size): reported as"
        " consumed_capacity_reported_by_moto; the cost model uses rru/wru_estimated (bench/capacity.py: item sizes, GSI writes, transactions x2)",
        "ms (app) = wall time of the request minus the time inside AWS calls (moto's in-process server); moto's Query"
        " sorts the whole partition it reads (the catalogue partition holds every visible product), so total ms at"
        " scale measures moto, not the app",
        "the authorizer runs on every request under Chalice's local gateway; API Gateway caches its answer for 300 s per"
        " token, so its work (no AWS call; a JWKS GET once per warm process) is counted in the request but is usually not repeated",
        "Lambda durations in the cost are in-process wall times on this machine against moto (a proxy for billed duration);"
        " the cost model assumes one authorizer invocation per order",
    ])
    write_up = report.markdown(results)
    report.write(results)
    print(write_up)
    if scans:
        print("\n!!!!! Scan calls were made on measured paths: " + "; ".join(results["scans_seen"]) + " !!!!!")
    if not args.no_readme:
        for readme in (ROOT / "bench" / "README.md", ROOT / "README.md"):
            if report.update_readme(write_up, readme):
                log(f"updated {readme.relative_to(ROOT)}")
    log(f"done in {budget.used:.0f} s; results in bench/results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
