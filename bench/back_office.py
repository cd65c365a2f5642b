"""The back office's catalogue at scale: CSV import time and AWS calls per 1,000 rows, and the staff products
list page's AWS calls from 1k to 100k products (it must stay constant).

    PYTHONPATH=. .venv/bin/python -m bench --only back_office                  # small: 1,000-row import, 1k -> 10k
    PYTHONPATH=. .venv/bin/python -m bench.back_office --rows 10000 --max-products 100000   # the full run, as JSON

One local stack with every AWS call counted (bench/local.py). The import goes through the real route
(POST /admin/products/import, text/csv) three times: a dry run, the import of new products, the same file again
(nothing changed, nothing written), then a file changing every price (one conditional update per changed product,
stock untouched). The list page is GET /admin/products?limit=50, plain, by code prefix and by category.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from typing import Any

PAGE = 50


def catalogue_csv(first: int, count: int, price_bump: int = 0) -> str:
    from bench.data import product_row  # noqa: PLC0415

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["sku", "name", "category", "unit", "base_price", "currency", "vat_rate", "qty_step", "portal_visible"])
    for i in range(first, first + count):
        row = product_row(i)
        writer.writerow([row["sku"], row["name"], row["category"], row["unit"], row["base_price"] + price_bump,
                         row["currency"], row["vat_rate"], "", "yes"])
    return out.getvalue()


def _import(h: Any, token: str, text: str, dry_run: bool, name: str) -> dict[str, Any]:
    started = time.perf_counter()
    with h.recorder.scope(name) as scope:
        reply = h.http.call("POST", f"/admin/products/import?dry_run={'true' if dry_run else 'false'}", token=token,
                            raw=text, headers={"Content-Type": "text/csv"})
    seconds = time.perf_counter() - started
    if reply.status != 200 or reply.body["errors"]:
        raise RuntimeError(f"{name}: {reply.status} {reply.text[:300]}")
    rows = text.count("\n") - 1
    result = {"name": name, "rows": rows, "seconds": round(seconds, 2), "app_seconds": round(scope.app_ms / 1000, 2),
            "aws_calls": scope.count(), "calls_per_1000_rows": round(scope.count() * 1000 / rows, 1),
            "calls_by_operation": scope.by_operation(), "answer": {k: reply.body[k] for k in ("created", "updated", "unchanged")},
            "wru_estimated": round(scope.wru, 1), "scans": len(scope.scans)}
    _log(result)
    return result


def _log(result: dict[str, Any]) -> None:
    print(f"[back_office] {json.dumps({k: v for k, v in result.items() if k != 'calls_by_operation'}, default=str)}",
          file=sys.stderr, flush=True)


def _page(h: Any, token: str, path: str, name: str, runs: int = 3) -> dict[str, Any]:
    counts, app_ms, shown = [], [], 0
    for _ in range(runs):
        reply, scope = h.request(name, "GET", path, token=token)
        counts.append(scope.count())
        app_ms.append(scope.app_ms)
        shown = len(reply.body["items"])
    return {"name": name, "path": path, "aws_calls": max(counts), "calls_vary": len(set(counts)) > 1, "shown": shown,
            "ms_app_p50": round(sorted(app_ms)[len(app_ms) // 2], 1)}


def measure(rows: int = 1000, max_products: int = 10_000) -> dict[str, Any]:
    from bench.counting import RECORDER  # noqa: PLC0415
    from bench.data import product_row  # noqa: PLC0415
    from bench.local import Harness  # noqa: PLC0415
    from chalicelib.services import setup  # noqa: PLC0415
    from tests.support.world import World  # noqa: PLC0415

    results: dict[str, Any] = {"imports": [], "list_pages": []}
    h = Harness().start()
    try:
        token = World().admin_token()
        text = catalogue_csv(0, rows)
        results["imports"].append(_import(h, token, text, True, f"import_dry_run_{rows}"))
        results["imports"].append(_import(h, token, text, False, f"import_new_{rows}"))
        results["imports"].append(_import(h, token, text, False, f"import_unchanged_{rows}"))
        results["imports"].append(_import(h, token, catalogue_csv(0, rows, price_bump=1), False, f"import_changed_{rows}"))
        size = rows
        for target in (1_000, 10_000, 100_000):
            if target > max_products:
                break
            if target > size:
                with h.direct_writes():
                    for first in range(size, target, 5000):
                        setup.import_products([product_row(i) for i in range(first, min(first + 5000, target))])
                size = target
            h.http.get(f"/admin/products?limit={PAGE}", token=token)  # warm
            for path, kind in ((f"/admin/products?limit={PAGE}", "plain"), (f"/admin/products?limit={PAGE}&cursor=", "next"),
                               (f"/admin/products?limit={PAGE}&q=NET-00", "prefix"),
                               (f"/admin/products?limit={PAGE}&category=Networking", "category")):
                if kind == "next":
                    first_page = h.http.get(f"/admin/products?limit={PAGE}", token=token).body
                    path = f"/admin/products?limit={PAGE}&cursor={first_page['next_cursor']}"
                page = _page(h, token, path, f"admin_products_{kind}")
                page["products"] = size
                _log(page)
                results["list_pages"].append(page)
        results["scans_seen"] = [f"{where}: {op}" for where, op in RECORDER.scans_seen]
    finally:
        h.stop()
    return results


def markdown(results: dict[str, Any]) -> str:
    lines = ["| import | rows | seconds | AWS calls | calls / 1,000 rows | answer |", "|---|---:|---:|---:|---:|---|"]
    for r in results["imports"]:
        lines.append(f"| {r['name']} | {r['rows']:,} | {r['seconds']} | {r['aws_calls']} | {r['calls_per_1000_rows']} | "
                     f"{r['answer']} |")
    lines += ["", "| products list page | products | AWS calls | shown | app ms |", "|---|---:|---:|---:|---:|"]
    for p in results["list_pages"]:
        lines.append(f"| {p['name']} | {p['products']:,} | {p['aws_calls']}{' (varies)' if p['calls_vary'] else ''} | "
                     f"{p['shown']} | {p['ms_app_p50']} |")
    if results.get("scans_seen"):
        lines.append(f"\nScans: {results['scans_seen']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.back_office")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--max-products", type=int, default=10_000)
    args = parser.parse_args()
    print(json.dumps(measure(args.rows, args.max_products), indent=2, default=str))


if __name__ == "__main__":
    main()
