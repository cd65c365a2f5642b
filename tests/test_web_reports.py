"""The report pages and the buyer's dashboard in headless Chromium: every report renders with its chart and
table, the CSV download holds the table, and a buyer lands on a dashboard with the company's figures."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bench.reports import SalesWorld, generate
from chalicelib.domain.reports import REPORTS
from chalicelib.services import workflows as workflow_service
from chalicelib.store.users import find_user
from tests.test_web_ordering import people, sign_in  # noqa: F401 - a browser context per person
from tests.test_web_portal import browser  # noqa: F401 - one Chromium for the module

pytestmark = pytest.mark.browser
CHARTED = {name for name, defn in REPORTS.items() if defn.chart}


def test_staff_read_every_report_with_its_chart_and_download_it(people, http_server, world, workflows, monkeypatch):
    monkeypatch.setattr(workflow_service, "start_review", lambda order_id: None)
    admin_id, _ = world.staff("admin")
    agent_id, _ = world.staff("agent")
    acme = world.client("Acme SRL", sale_agent_id=agent_id)
    contact, _ = world.buyer(acme)
    sales = SalesWorld(clients=[acme], agents=[agent_id], contacts=[contact], start=date.today() - timedelta(days=40), days=35)
    generate(sales, 0, 8)
    workflows.deliver()

    admin = people()
    sign_in(admin, http_server, find_user(admin_id).email, lands="**/agent/orders")
    admin.click(".sidebar >> text=Reports")
    admin.wait_for_url("**/agent/reports")
    assert admin.locator("#report-list li").count() == len(REPORTS)
    for name, defn in REPORTS.items():
        admin.goto(f"{http_server}/agent/reports/{name}")
        assert admin.inner_text("h1") == defn.title
        assert admin.locator("#report-table").count() == 1
        if name in CHARTED:
            chart = admin.locator("figure.report-chart svg.chart")
            assert chart.count() == 1, name
            assert chart.locator("title").first.text_content() and chart.locator("desc").count() == 1

    admin.goto(f"{http_server}/agent/reports/sales-by-client")
    rows = admin.locator("#report-table tbody tr")
    assert rows.count() == 1 and "Acme SRL" in rows.first.inner_text()
    ordered = sum((o.total for o in sales.orders), Decimal(0))
    assert admin.inner_text('#report-totals [data-key="ordered"]') == f"{ordered:,.2f}"
    assert admin.locator("svg.chart g.bar").count() >= 2  # ordered and invoiced per month

    admin.select_option("select[name=client_id]", acme)
    with admin.expect_navigation():
        admin.click("#report-filters button[type=submit]")
    assert f"client_id={acme}" in admin.url
    with admin.expect_download() as download:
        admin.click("#csv-download")
    table = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert table[0][:2] == ["Client id", "Client"] and table[1][1] == "Acme SRL"
    assert table[-1][0] == "Total" and table[-1][table[0].index("Ordered")] == f"{ordered:.2f}"

    refused = admin.goto(f"{http_server}/agent/reports/sales-by-client?from=2026-02-30")
    assert refused.status == 422 and "date" in admin.inner_text("main")


def test_a_buyer_lands_on_the_dashboard_with_its_figures(people, http_server, world, workflows, monkeypatch):
    monkeypatch.setattr(workflow_service, "start_review", lambda order_id: None)
    acme = world.client("Acme SRL", credit_limit=Decimal("5000"))
    contact, _ = world.buyer(acme)
    sales = SalesWorld(clients=[acme], agents=[], contacts=[contact], start=date.today() - timedelta(days=70), days=30)
    generate(sales, 0, 6)
    workflows.deliver()

    buyer = people()
    buyer.goto(f"{http_server}/login")
    buyer.fill("#email", find_user(contact).email)
    from tests.support.world import PASSWORD

    buyer.fill("#password", PASSWORD)
    buyer.click("button[type=submit]")
    buyer.wait_for_url("**/dashboard")
    assert buyer.locator(".sidebar a").first.inner_text() == "Dashboard"
    assert buyer.inner_text("#credit-limit") == "5,000.00"
    overdue = sum((i.total - i.amount_paid for i in sales.invoices if i.due_date < date.today()), Decimal(0))
    assert buyer.inner_text("#overdue-amount").startswith(f"{overdue:,.2f}")
    chart = buyer.locator("#spend-by-month svg.chart")
    assert chart.count() == 1 and chart.locator("g.bar").count() == 12
    invoiced = sum((i.total for i in sales.invoices), Decimal(0))
    assert invoiced > 0
    assert sum(Decimal(t.replace(",", "")) for t in chart.locator("text.value").all_text_contents()) == invoiced
