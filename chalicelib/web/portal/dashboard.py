"""The buyer's landing page: the company's credit, balance, overdue money, open orders, deliveries on the way and
what it spent per month (a server-side SVG chart)."""
from __future__ import annotations

from markupsafe import Markup

from chalicelib.documents import charts
from chalicelib.documents.charts import Series
from chalicelib.services import reports
from chalicelib.web.kit import WebBlueprint, buyer_session, render_page

web_dashboard = WebBlueprint(__name__)


@web_dashboard.route("/dashboard", methods=["GET"])
def dashboard_page():
    session = buyer_session()
    figures = reports.dashboard(session.principal.client_id)
    months = figures["spend_by_month"]
    chart = charts.bar_chart("spend-chart", f"Invoiced per month ({figures['currency']})", [m["month"] for m in months],
                             [Series("Invoiced", [m["total"] for m in months])], unit=figures["currency"])
    return render_page("portal/dashboard.html", session, figures=figures, chart=Markup(chart),
                       can=session.principal.permissions)
