"""The benchmark's outputs: the stdout table, bench/results.json, and the README block."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bench.cost import TARGET_PER_1000_ORDERS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"

PAGE_TARGET = 1.5
IMPORT_TARGET = 1.5
COST_TARGET = TARGET_PER_1000_ORDERS


def _ops(calls: dict[str, int]) -> str:
    return ", ".join(f"{name.replace('dynamodb.', 'ddb.')}x{n}" for name, n in calls.items())


def scenario_table(results: dict[str, Any]) -> str:
    rows = ["| scenario | size | calls | floor | ratio | calls by operation | RRU/WRU est. | ms p50 / p95 (app) | ms p50 (total) | runs |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for s in results["scenarios"]:
        mark = "" if (s["ratio"] or 0) <= PAGE_TARGET or not s["page_sized"] else " **miss**"
        scan = " **SCAN**" if s.get("scans") else ""
        rows.append(
            f"| {s['name']} | {s['size']:,} {s['size_of']} | {s['aws_calls']}{scan} | {s['floor']} | {s['ratio']}{mark} |"
            f" {_ops(s['calls_by_operation'])} | {s['rru_estimated']:g} / {s['wru_estimated']:g} |"
            f" {s['ms_p50']:.1f} / {s['ms_p95']:.1f} | {s['ms_total_p50']:.0f} | {s['runs']} |")
    return "\n".join(rows)


def growth_table(results: dict[str, Any]) -> str:
    families: dict[str, list[dict[str, Any]]] = {}
    for s in results["scenarios"]:
        families.setdefault(s["family"], []).append(s)
    rows = ["| family | sizes | calls | app ms p50 | flat calls? |", "|---|---|---|---|---|"]
    for family, members in families.items():
        if len(members) < 2 or family in ("place_order",):
            continue
        members.sort(key=lambda s: s["size"])
        calls = [s["aws_calls"] for s in members]
        sizes = " -> ".join(f"{m['size']:,}" for m in members)
        ms = " -> ".join(f"{m['ms_p50']:.1f}" for m in members)
        flat = "yes" if len(set(calls)) == 1 else "**no**"
        rows.append(f"| {family} | {sizes} | {' -> '.join(map(str, calls))} | {ms} | {flat} |")
    return "\n".join(rows)


def other_tables(results: dict[str, Any]) -> str:
    imp, wf, cost = results["import"], results["workflow"], results["cost_per_1000_orders_usd"]
    first, auth = results.get("first_request", {}), results.get("first_authorizer", {})
    lines = [
        f"Cold start: `import app` {imp['app_ms']} ms vs `import boto3` + one client {imp['floor_ms']} ms -> ratio"
        f" **{imp['ratio']}** (target <= {IMPORT_TARGET}); median of {imp['runs']} fresh interpreters."
        + (f" In a fresh interpreter the API function's first `{first.get('path')}` takes {first.get('first_request_ms')} ms"
           f" ({first.get('first_request_aws_ms')} ms in AWS calls, {first.get('client_creation_ms')} ms creating"
           f" {first.get('botocore_clients_created')} botocore clients in {first.get('botocore_sessions')} sessions;"
           f" the second {first.get('second_request_ms')} ms)" if first else "")
        + (f"; the authorizer's first invocation {auth.get('first_request_ms')} ms (JWKS GET {auth.get('first_request_http')},"
           f" second {auth.get('second_request_ms')} ms)." if auth else "."),
        "",
        *[f"Overdue-reminder run over {r['size']:,} invoices: {r['lambda_invocations']} Lambda invocations, {r['transitions']}"
          f" Standard transitions, {r['emails']} emails, {r['calls_per_due_invoice']} calls per due invoice besides the Queries."
          for r in results["scenarios"] if r["family"] == "overdue_reminders"],
        "",
        f"Workflow per order (auto-approved, delivery note, packing, AWB, invoice rendered and sent; {wf['orders']} real orders):"
        f" **{wf['transitions_per_order']} Standard transitions** (floor {wf['floor_transitions']}),"
        f" {wf.get('express_executions_per_order', 0):g} Express executions,"
        f" {wf['lambda_invocations_per_order']} Lambda invocations, {wf['emails_per_order']:g} emails,"
        f" {wf['rru_per_order']:g} RRU / {wf['wru_per_order']:g} WRU (estimated).",
        "",
        f"Cost per 1,000 orders ({cost['region']}, prices as of {cost['prices_as_of']}): **${cost['total']:.4f}**"
        f" (target <= ${COST_TARGET:.2f}; {wf['memory_mb']} MB functions)",
        "",
        "| service | USD per 1,000 orders | from |", "|---|---|---|",
    ]
    for key in ("step_functions", "ses", "lambda", "api_gateway", "dynamodb", "other"):
        lines.append(f"| {key} | {cost[key]:.4f} | {cost['breakdown'][key]} |")
    from bench.cost import SES_PER_EMAIL  # noqa: PLC0415

    lines += ["", f"Emails of one order: {'; '.join(wf.get('emails_of_one_order', []))}. At the issue's \"one email each way\""
              f" (2 per order) SES alone is ${2 * 1000 * SES_PER_EMAIL:.2f} per 1,000 orders, the whole target."]
    return "\n".join(lines)


def targets(results: dict[str, Any]) -> list[str]:
    misses = []
    for s in results["scenarios"]:
        if s["page_sized"] and s["ratio"] and s["ratio"] > PAGE_TARGET:
            misses.append(f"{s['name']}: {s['aws_calls']} calls vs floor {s['floor']} ({s['ratio']}x > {PAGE_TARGET}x)")
        if s.get("scans"):
            misses.append(f"{s['name']}: {s['scans']} Scan call(s)")
    families: dict[str, list[dict[str, Any]]] = {}
    for s in results["scenarios"]:
        families.setdefault(s["family"], []).append(s)
    for family, members in families.items():
        if family == "place_order" or len(members) < 2:
            continue
        members.sort(key=lambda s: s["size"])
        if members[-1]["aws_calls"] != members[0]["aws_calls"]:
            misses.append(f"{family}: not flat, {members[0]['aws_calls']} calls at {members[0]['size']:,} ->"
                          f" {members[-1]['aws_calls']} at {members[-1]['size']:,}")
    imp = results["import"]
    if imp["ratio"] > IMPORT_TARGET:
        misses.append(f"import: app {imp['app_ms']} ms is {imp['ratio']}x the boto3+client floor ({imp['floor_ms']} ms) > {IMPORT_TARGET}x")
    cost = results["cost_per_1000_orders_usd"]
    if cost["total"] > COST_TARGET:
        misses.append(f"cost: ${cost['total']:.4f} per 1,000 orders > ${COST_TARGET:.2f}")
    return misses


def import_lines(results: dict[str, Any]) -> list[str]:
    profile = results.get("import_profile")
    if not profile:
        return []
    packages = ", ".join(f"{k} {v}" for k, v in list(profile["by_package_self_ms"].items())[:8])
    modules = ", ".join(f"{k} {v}" for k, v in list(profile["top_self_ms"].items())[:8])
    return [f"`python -X importtime -c 'import app'`: {profile['total_ms']} ms; self time by package (ms): {packages};"
            f" heaviest modules (ms): {modules}.", ""]


def _checkouts(result: dict[str, Any]) -> str:
    from bench.checkouts import markdown as checkouts_markdown  # noqa: PLC0415

    return checkouts_markdown(result)


def markdown(results: dict[str, Any]) -> str:
    misses = targets(results)
    return "\n".join([
        f"Latest `make bench`: {results['date']} on {results['machine']} ({results['seconds']:.0f} s).",
        "Calls are AWS calls per request (authorizer + handler); floor = fewest calls the access pattern allows"
        " (reasoning per scenario in bench/results.json); ms = in-process time without the time waiting on the"
        " (emulated) AWS; RRU/WRU estimated from item sizes.",
        "", scenario_table(results), "", "Growth with size:", "", growth_table(results), "", other_tables(results), "",
        *import_lines(results),
        *([_checkouts(results["parallel_checkouts"]), ""] if results.get("parallel_checkouts") else []),
        "Targets missed:" if misses else "All targets met.", *[f"- {m}" for m in misses],
        *([""] + [f"Note: {n}" for n in results.get("notes", [])] if results.get("notes") else []),
    ])


def write(results: dict[str, Any]) -> None:
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")


def update_readme(text: str, readme: Path) -> bool:
    """Replace the block between the bench markers (each alone on its line), when the file has them."""
    if not readme.exists():
        return False
    content = readme.read_text()
    pattern = re.compile(r"^" + re.escape(README_START) + r"$.*?^" + re.escape(README_END) + r"$", re.S | re.M)
    if not pattern.search(content):
        return False
    readme.write_text(pattern.sub(lambda _: f"{README_START}\n{text}\n{README_END}", content))
    return True
