"""GET /admin/reports/{name} (JSON and CSV) and GET /portal/dashboard, as staff and buyers call them."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bench.reports import SalesWorld, generate
from chalicelib.domain.reports import REPORTS
from chalicelib.services import workflows as workflow_service
from chalicelib.store import aggregates as aggregate_store


@pytest.fixture
def quiet_reviews(monkeypatch):
    monkeypatch.setattr(workflow_service, "start_review", lambda order_id: None)


@pytest.fixture
def sales(world, workflows, quiet_reviews):
    """Three real clients (one per agent, one in a group) with generated orders, decisions, invoices and payments."""
    agent_1, agent_1_token = world.staff("agent")
    agent_2, _ = world.staff("agent")
    group = world.group("Installers")
    clients = [world.client("Acme SRL", sale_agent_id=agent_1, group_id=group),
               world.client("Beta SA", sale_agent_id=agent_2), world.client("Gamma SRL", sale_agent_id=agent_1)]
    contact, buyer_token = world.buyer(clients[0])
    today = date.today()
    sales_world = SalesWorld(clients=clients, agents=[agent_1, agent_2, agent_1], contacts=[contact],
                             start=today - timedelta(days=50), days=45)
    generate(sales_world, 0, 12)
    workflows.deliver()
    return {"world": sales_world, "clients": clients, "agent": (agent_1, agent_1_token), "group": group,
            "buyer": (contact, buyer_token), "today": today}


def test_every_report_answers_json_and_csv_with_filters(api, world, sales):
    admin = world.admin_token()
    for name in REPORTS:
        reply = api.get(f"/admin/reports/{name}", admin)
        assert reply.status == 200, (name, reply.text)
        assert reply.body["name"] == name and set(reply.body) >= {"name", "columns", "rows", "totals"}
        keys = [c["key"] for c in reply.body["columns"]]
        assert all(set(row) == set(keys) for row in reply.body["rows"])
    by_client = api.get("/admin/reports/sales-by-client", admin).body
    assert Decimal(by_client["totals"]["ordered"]) == sum((o.total for o in sales["world"].orders), Decimal(0))
    assert {r["client"] for r in by_client["rows"]} == {"Acme SRL", "Beta SA", "Gamma SRL"}
    assert {r["group"] for r in by_client["rows"] if r["client"] == "Acme SRL"} == {"Installers"}

    # filters narrow the rows, and an agent sees only its own figures
    acme, beta, gamma = sales["clients"]
    agent_id, agent_token = sales["agent"]
    by_group = api.get(f"/admin/reports/sales-by-client?group_id={sales['group']}", admin).body
    assert [r["client_id"] for r in by_group["rows"]] == [acme]
    by_agent = api.get(f"/admin/reports/sales-by-client?agent_id={agent_id}", admin).body
    assert {r["client_id"] for r in by_agent["rows"]} == {acme, gamma}
    own = api.get(f"/admin/reports/sales-by-agent?agent_id={beta}", agent_token).body  # asks for another: gets its own
    assert [r["agent_id"] for r in own["rows"]] == [agent_id]
    one = api.get(f"/admin/reports/receivables-aging?client_id={beta}", admin).body
    assert {r["client_id"] for r in one["rows"]} <= {beta}

    # the CSV download: the columns, the rows and a total line equal to the JSON's
    reply = api.get("/admin/reports/sales-by-agent?format=csv&from=2024-01-01", admin)
    assert reply.status == 200 and {k.lower(): v for k, v in reply.headers.items()}["content-type"].startswith("text/csv")
    assert "attachment" in {k.lower(): v for k, v in reply.headers.items()}["content-disposition"]
    table = list(csv.reader(io.StringIO(reply.text)))
    assert table[0][:2] == ["Agent id", "Agent"] and table[-1][0] == "Total"
    json_totals = api.get("/admin/reports/sales-by-agent?from=2024-01-01", admin).body["totals"]
    assert table[-1][table[0].index("Invoiced")] == json_totals["invoiced"]

    # sign-ins and orders show in the portal activity
    contact, _ = sales["buyer"]
    row = next(r for r in api.get("/admin/reports/portal-activity", world.admin_token()).body["rows"]
               if r["contact_id"] == contact)
    assert row["logins"] == 1 and row["last_login_at"]
    assert row["orders"] == len(sales["world"].orders)


BAD_REQUESTS = [
    ("/admin/reports/sales-by-moon", 404, "unknown_report", None),
    ("/admin/reports/sales-by-client?from=2026-02-30", 422, "invalid_date", "from"),
    ("/admin/reports/sales-by-client?to=tomorrow", 422, "invalid_date", "to"),
    ("/admin/reports/sales-by-client?from=2026-11-02&to=2026-11-01", 422, "invalid_period", "from"),
    ("/admin/reports/sales-by-client?format=xlsx", 422, "invalid_value", "format"),
    ("/admin/reports/sales-by-client?client_id=%3Cscript%3E", 422, "invalid_value", "client_id"),
]


def test_bad_requests_answer_in_the_error_shape(api, world, stack):
    admin = world.admin_token()
    for path, status, code, field in BAD_REQUESTS:
        reply = api.get(path, admin)
        assert (reply.status, reply.error["code"], reply.error.get("field")) == (status, code, field), path


def test_reports_are_for_staff_who_see_clients(api, world, stack):
    client = world.client()
    _, buyer = world.buyer(client)
    _, warehouse = world.staff("warehouse")
    assert api.get("/admin/reports/sales-by-client").status == 401
    assert api.get("/admin/reports/sales-by-client", buyer).status == 403
    assert api.get("/admin/reports/sales-by-client", warehouse).status == 403


def test_the_buyer_dashboard_shows_its_company_figures(api, world, sales):
    acme = sales["clients"][0]
    _, buyer = sales["buyer"]
    body = api.get("/portal/dashboard", buyer).body
    assert set(body) >= {"credit_limit", "credit_available", "balance", "overdue_amount", "open_orders",
                         "spend_by_month", "deliveries_in_transit"}
    assert body["credit_limit"] == "10000.00" and len(body["spend_by_month"]) == 12
    invoiced = sum((i.total for i in sales["world"].invoices if i.client_id == acme), Decimal(0))
    assert sum(Decimal(m["total"]) for m in body["spend_by_month"]) == invoiced
    overdue = sum((i.total - i.amount_paid for i in sales["world"].invoices
                   if i.client_id == acme and i.due_date < sales["today"]), Decimal(0))
    assert Decimal(body["overdue_amount"]) == overdue
    assert api.get("/portal/dashboard", world.admin_token()).status == 403
