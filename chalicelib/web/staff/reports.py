"""The staff's report pages: one page per report with its filters (period, agent, group, client), a chart where
people would rather look than read, the table and its CSV download."""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode
from typing import Any

from chalice import Response
from markupsafe import Markup

from chalicelib.api.reports import csv_response
from chalicelib.documents import charts
from chalicelib.documents.charts import Series
from chalicelib.domain import reports as rules
from chalicelib.domain.access import Capability
from chalicelib.services import reports
from chalicelib.store import aggregates as directory
from chalicelib.store.users import staff_with_roles
from chalicelib.web.kit import WebBlueprint, query_params, render_page, staff_session

web_reports = WebBlueprint(__name__)
HOME = "/agent/reports"
FILTER_KEYS = ("from", "to", "agent_id", "group_id", "client_id")


def _session():
    return staff_session(Capability.VIEW_CLIENTS)


@web_reports.route(HOME, methods=["GET"])
def reports_home():
    session = _session()
    return render_page("agent/reports.html", session, reports=list(rules.REPORTS.values()))


@web_reports.route(HOME + "/{name}", methods=["GET"])
def report_page(name):
    session = _session()
    defn = rules.definition(name)
    params = {k: v for k, v in query_params().items() if k in FILTER_KEYS}
    viewer = reports.Viewer(session.principal.user_id, session.principal.role)
    report = reports.run(name, params, viewer)
    query = urlencode({k: v for k, v in params.items() if v})
    return render_page("agent/report.html", session, defn=defn, report=report, params=params,
                       chart=Markup(chart_for(report)) if defn.chart else None,
                       meters={r["sku"]: Markup(charts.meter(f"cover-{i}", f"Cover of {r['sku']}", r["cover_days"],
                                                            Decimal(reports.COVER_WINDOW_DAYS)))
                               for i, r in enumerate(report.rows)} if name == "stock-below-minimum" else {},
                       csv_url=f"{HOME}/{name}/csv" + (f"?{query}" if query else ""),
                       choices=_choices(defn, session.principal.role), cell=cell, is_agent=session.principal.role == "agent")


@web_reports.route(HOME + "/{name}/csv", methods=["GET"])
def report_csv(name) -> Response:
    session = _session()
    params = {k: v for k, v in query_params().items() if k in FILTER_KEYS}
    report = reports.run(name, params, reports.Viewer(session.principal.user_id, session.principal.role))
    return csv_response(report)


def _choices(defn: rules.ReportDefinition, role: str) -> dict[str, list[tuple[str, str]]]:
    """The options of the filters this report takes (an agent's own figures need no agent filter)."""
    found: dict[str, list[tuple[str, str]]] = {}
    if "agent_id" in defn.filters and role != "agent":
        found["agent_id"] = sorted(((u.id, u.name) for u in staff_with_roles(("agent", "manager"))), key=lambda c: c[1])
    if "group_id" in defn.filters:
        found["group_id"] = sorted(directory.all_groups().items(), key=lambda c: c[1])
    if "client_id" in defn.filters:
        found["client_id"] = [(c.id, c.name) for c in directory.all_clients()]
    return found


def chart_for(report: rules.Report) -> str:
    """The report's chart as SVG (see charts.py): what each report is best looked at as."""
    s, name = report.series, report.name
    if name == "sales-by-client":
        months = s["invoiced_by_month"]
        return charts.bar_chart("chart", "Sales per month", [m["month"] for m in months],
                                [Series("Ordered", [m["total"] for m in s["ordered_by_month"]]),
                                 Series("Invoiced", [m["total"] for m in months])], unit="Amount")
    if name == "sales-by-agent":
        bars = s["bars"]
        return charts.bar_chart("chart", "Invoiced and paid per agent", [b["label"] for b in bars],
                                [Series("Invoiced", [b["invoiced"] for b in bars]), Series("Paid", [b["paid"] for b in bars])],
                                unit="Amount")
    if name == "approval-sla":
        bars = s["bars"]
        return charts.bar_chart("chart", "Average approval time per agent (hours)", [b["label"] for b in bars],
                                [Series("Average hours", [b["value"] for b in bars])], unit="Hours",
                                reference=("Escalation window", float(s["window_hours"])))
    if name == "receivables-aging":
        buckets = s["buckets"]
        words = {"current": "Not yet due", "0-30": "0-30 days", "31-60": "31-60 days", "61-90": "61-90 days",
                 "90+": "Over 90 days"}
        return charts.bar_chart("chart", "Receivables ageing per client", [b["label"] for b in s["bars"]],
                                [Series(words[k], [b[k] for b in s["bars"]]) for k in buckets], unit="Amount",
                                stacked=True)
    if name == "clients-by-group":
        return charts.bar_chart("chart", "Invoiced per group", [b["label"] for b in s["bars"]],
                                [Series("Invoiced", [b["value"] for b in s["bars"]])], unit="Amount")
    if name == "portal-activity":
        days = s["days"]
        return charts.line_chart("chart", "Portal activity per day", [d["day"] for d in days],
                                 [Series("Pages viewed", [d["page_views"] for d in days]),
                                  Series("Sign-ins", [d["logins"] for d in days]),
                                  Series("Orders", [d["orders"] for d in days])])
    return ""


def cell(value: Any, kind: str) -> str:
    if value is None or value == "":
        return "—"
    if kind in ("money",):
        return f"{Decimal(value):,.2f}"
    if kind == "percent":
        return f"{value} %"
    if kind == "date" and hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "hour") else value.isoformat()
    return str(value)

