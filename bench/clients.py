"""The staff's client list at scale: one page of /admin/clients (by name, filtered by agent, and a search) as the
table grows, to show that its AWS calls stay the same whatever the number of clients.

    PYTHONPATH=. .venv/bin/python -m bench --only clients                   # 1k and 10k clients, printed
    PYTHONPATH=. .venv/bin/python -m bench --only clients --max-clients 100000

Clients are written as the store writes them (the client item and its list and search entries, built by
chalicelib/store/clients.py's own helpers) in batch writes carried into moto in-process.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from bench.scenarios import PAGE, Floor, Result, label, repeat_request

AGENTS = 20


def floor_clients_page() -> Floor:
    return Floor(3, "GetItem USER + one Query of the facet's entries (CLIENTLIST#<facet>, limit+1) + one BatchGetItem "
                    f"of the page's clients ({PAGE} keys)")


def grow(harness: Any, agents: list[str], start: int, size: int) -> None:
    from chalicelib.store import clients as client_store  # noqa: PLC0415
    from chalicelib.store.models import ClientItem, TableItem  # noqa: PLC0415

    with harness.direct_writes(), TableItem.batch_write() as batch:
        for i in range(start, size):
            client = ClientItem(id=f"cli_bench{i:07d}", name=f"Bench client {i:07d}", payment_term_days=30,
                                credit_limit=Decimal(10000), currency="EUR", sale_agent_id=agents[i % len(agents)],
                                auto_approve=False, addresses=[], balance=Decimal(0), portal_enabled=True)
            client_store._index(client)
            batch.save(client)
            for entry in client_store._entries(client):
                batch.save(entry)


def measure(harness: Any, sizes: tuple[int, ...], runs: int) -> list[Result]:
    from tests.support.world import World  # noqa: PLC0415

    world = World()
    admin = world.admin_token()
    agents = [world.staff("agent")[0] for _ in range(AGENTS)]
    results, written = [], 0
    for size in sizes:
        grow(harness, agents, written, size)
        written = size
        harness.http.get(f"/admin/clients?limit={PAGE}", token=admin)  # warm
        for kind, path in (("all", f"/admin/clients?limit={PAGE}"),
                           ("by_agent", f"/admin/clients?limit={PAGE}&agent_id={agents[0]}&status=active"),
                           ("search", f"/admin/clients?limit={PAGE}&q=bench")):
            scopes, reply = repeat_request(harness, runs, f"clients_{kind}", "GET", path, token=admin)
            shown = len(reply.body["items"])
            results.append(Result(f"clients_list_{kind}_{label(size)}", f"clients_list_{kind}", size, "clients",
                                  floor_clients_page(), scopes, notes=[f"{shown} shown, next page: {bool(reply.body['next_cursor'])}"]))
    return results


def markdown(results: list[Result]) -> str:
    rows = ["| scenario | clients | calls | floor | calls by operation |", "|---|---|---|---|---|"]
    for r in results:
        body = r.as_json()
        ops = ", ".join(f"{k}x{v}" for k, v in sorted(body["calls_by_operation"].items()))
        rows.append(f"| {body['name']} | {r.size:,} | {body['aws_calls']} | {body['floor']} | {ops} |")
    return "\n".join(rows)
