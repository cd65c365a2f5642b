"""The report aggregates: kept by the table-stream consumer (each document's facts once, however often the
stream delivers a record) and rebuilt from the documents to the same numbers."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import boto3
import pytest

from bench.reports import SalesWorld, generate
from chalicelib.services import aggregates, reports, workflows as workflow_service
from chalicelib.services.reports import Viewer
from chalicelib.store import aggregates as aggregate_store

ADMIN = Viewer("admin", "admin")


@pytest.fixture
def quiet_reviews(monkeypatch):
    """Generated orders are decided already: the stream consumer starts no review for them."""
    monkeypatch.setattr(workflow_service, "start_review", lambda order_id: None)


def sales(n: int, start: date) -> SalesWorld:
    world = SalesWorld(clients=["cli_a", "cli_b", "cli_c"], agents=["agt_1", "agt_2"], contacts=["usr_1", "usr_2"],
                       start=start, days=40)
    generate(world, 0, n)
    return world


def scan_pages():
    return boto3.client("dynamodb").get_paginator("scan").paginate(TableName=_table())


def _table() -> str:
    from chalicelib.config import table_name

    return table_name()


def stream_again(workflows) -> int:
    """Deliver every record of the table's stream to the consumer once more (as Lambda does after a timeout)."""
    for poller in workflows.pollers.pollers:
        if hasattr(poller, "_after"):
            poller._after = {}
    return workflows.deliver()


def test_the_stream_counts_each_document_once_and_the_rebuild_agrees(stack, workflows, quiet_reviews):
    world = sales(60, date(2026, 9, 1))
    assert workflows.deliver() > 0
    first = aggregates.stored_aggregates(aggregate_store.all_aggregates())
    assert stream_again(workflows) > 0  # every record redelivered
    assert aggregates.stored_aggregates(aggregate_store.all_aggregates()) == first

    result = aggregates.rebuild(scan_pages, write=False)
    assert result.differences == [] and result.buckets == len(first)

    invoiced = sum((i.total for i in world.invoices), Decimal(0))
    stored = sum((v.get("invoiced", Decimal(0)) for (kind, _, _), v in first.items() if kind == "client"), Decimal(0))
    assert stored == invoiced


def test_the_rebuild_finds_and_repairs_a_wrong_aggregate(stack, workflows, quiet_reviews):
    sales(12, date(2026, 10, 1))
    workflows.deliver()
    [item] = [i for i in aggregate_store.all_aggregates() if i.kind == "client"][:1]
    item.update(actions=[aggregate_store.AggregateItem.ordered.add(Decimal("5"))])  # a bad hand edit

    found = aggregates.rebuild(scan_pages, write=False)
    assert len(found.differences) == 1 and item.entity_id in found.differences[0]
    assert aggregates.rebuild(scan_pages, write=True).rewritten
    assert aggregates.rebuild(scan_pages, write=False).differences == []
    stream_again(workflows)  # the markers were rewritten with the sums: a redelivery still adds nothing
    assert aggregates.rebuild(scan_pages, write=False).differences == []


def test_report_totals_equal_the_sum_of_the_documents(stack, workflows, quiet_reviews):
    world = sales(45, date(2026, 9, 15))
    workflows.deliver()
    params = {"from": "2026-09-01", "to": "2026-12-31"}
    by_client = reports.run("sales-by-client", params, ADMIN, on=date(2026, 12, 31))
    assert by_client.totals["ordered"] == sum((o.total for o in world.orders), Decimal(0))
    assert by_client.totals["orders"] == len(world.orders)
    assert by_client.totals["invoiced"] == sum((i.total for i in world.invoices), Decimal(0))
    assert by_client.totals["paid"] == sum((p.amount for p in world.payments), Decimal(0))

    by_agent = reports.run("sales-by-agent", params, ADMIN, on=date(2026, 12, 31))
    assert by_agent.totals["invoiced"] == by_client.totals["invoiced"]
    assert {r["agent_id"] for r in by_agent.rows} == {"agt_1", "agt_2"}
    mine = reports.run("sales-by-agent", params, Viewer("agt_1", "agent"), on=date(2026, 12, 31))
    assert [r["agent_id"] for r in mine.rows] == ["agt_1"]  # an agent sees its own figures only

    today = date(2026, 12, 31)
    ageing = reports.run("receivables-aging", {}, ADMIN, on=today)
    open_amount = sum((i.total - i.amount_paid for i in world.invoices), Decimal(0))
    assert ageing.totals["total"] == open_amount
    late = sum((i.total - i.amount_paid for i in world.invoices if i.due_date < today and i.amount_paid < i.total), Decimal(0))
    assert ageing.totals["0-30"] + ageing.totals["31-60"] + ageing.totals["61-90"] + ageing.totals["90+"] == late

    sla = reports.run("approval-sla", params, ADMIN, on=today)
    decided_orders = {d.pk for d in world.decisions}
    assert sla.totals["decided"] == len(decided_orders)

    one_client = reports.run("sales-by-client", {**params, "client_id": "cli_b"}, ADMIN, on=today)
    assert [r["client_id"] for r in one_client.rows] == ["cli_b"]
    assert one_client.totals["ordered"] == sum((o.total for o in world.orders if o.client_id == "cli_b"), Decimal(0))


def test_a_product_below_its_minimum_is_listed_with_its_cover(stack, workflows, quiet_reviews, world):
    sku = world.product("RPT-001", qty_on_hand=4)
    boto3.client("dynamodb").update_item(TableName=_table(), Key={"pk": {"S": f"PRODUCT#{sku}"}, "sk": {"S": "PRODUCT"}},
                                         UpdateExpression="SET min_stock = :m", ExpressionAttributeValues={":m": {"N": "10"}})
    other = world.product("RPT-002", qty_on_hand=50)
    boto3.client("dynamodb").update_item(TableName=_table(), Key={"pk": {"S": f"PRODUCT#{other}"}, "sk": {"S": "PRODUCT"}},
                                         UpdateExpression="SET min_stock = :m", ExpressionAttributeValues={":m": {"N": "10"}})
    today = date.today()
    sales_world = SalesWorld(clients=["cli_a"], agents=[], contacts=["usr_1"], start=today - timedelta(days=9), days=10)
    generate(sales_world, 0, 30)
    workflows.deliver()
    report = reports.run("stock-below-minimum", {}, ADMIN)
    [row] = report.rows
    sold = sum(line.qty for o in sales_world.orders for line in o.lines if line.sku == "RPT-001")
    assert (row["sku"], row["qty_available"], row["min_stock"], row["shortfall"], row["sold_30d"]) == ("RPT-001", 4, 10, 6, sold)
    assert row["cover_days"] == (Decimal(4) / (Decimal(sold) / 30)).quantize(Decimal("0.1"))
