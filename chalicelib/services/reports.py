"""The eight staff reports, read from the per-day aggregates (never by scanning the documents), and the buyer's
dashboard. Each report: the definition (domain/reports.py), the aggregates of the period's months, the names to
show, then the domain's interpreter for rows, order and totals."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable

from chalicelib.domain import reports as rules
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.reports import AGENT, CLIENT, CONTACT, PRODUCT, UNASSIGNED, ZERO, Period, Report
from chalicelib.services import credit
from chalicelib.services.pricing import supplier_today
from chalicelib.store import aggregates as store
from chalicelib.store import delivery_notes as dn_store
from chalicelib.store import invoices as invoice_store
from chalicelib.store import orders as order_store
from chalicelib.store import settings as settings_store

OPEN_INVOICE_STATUSES = ("unpaid", "partially_paid", "overdue")
MAX_ROWS = 500  # overdue invoices and open drafts: the oldest first, at most this many
COVER_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Viewer:
    """Who asks: an agent sees only its own clients' figures."""

    user_id: str
    role: str


@dataclass(frozen=True)
class Filters:
    agent_id: str | None = None
    group_id: str | None = None
    client_id: str | None = None


def today() -> date:
    """Today on the supplier's clock (reports and dashboards speak its days)."""
    return supplier_today()


def _filters(params: dict[str, str], viewer: Viewer) -> Filters:
    def one(name: str) -> str | None:
        value = (params.get(name) or "").strip()
        if value and (len(value) > 64 or not all(ch.isalnum() or ch in "-_" for ch in value)):
            raise ValidationFailed(f"{name} is not an id.", code="invalid_value", field=name)
        return value or None

    agent = one("agent_id")
    if viewer.role == "agent":
        agent = viewer.user_id  # an agent's reports cover its own clients only
    return Filters(agent, one("group_id"), one("client_id"))


def run(name: str, params: dict[str, str], viewer: Viewer, *, on: date | None = None) -> Report:
    """The report `name` for the period and filters in `params` (404 unknown_report, 422 on bad dates)."""
    defn = rules.definition(name)
    day = on or today()
    period = rules.parse_period(params.get("from"), params.get("to"), day)
    return BUILDERS[name](defn, period, _filters(params, viewer), day)


# --- reading the aggregates -------------------------------------------------------------------------------

def _buckets(kind: str, period: Period) -> list[store.AggregateItem]:
    """The period's day buckets of one kind: one Query per month of the period."""
    return [item for month in period.months() for item in store.month(kind, month)
            if period.holds(date.fromisoformat(item.day))]


def _per_entity(items: list[store.AggregateItem]) -> dict[str, dict[str, Decimal]]:
    grouped: dict[str, list[dict[str, Decimal]]] = defaultdict(list)
    for item in items:
        grouped[item.entity_id].append(store.measures_of(item))
    return {entity: rules.sum_measures(buckets) for entity, buckets in grouped.items()}


def _client_passes(client_id: str, client: store.ClientRow | None, filters: Filters) -> bool:
    if filters.client_id and client_id != filters.client_id:
        return False
    if filters.group_id and (client is None or client.group_id != filters.group_id):
        return False
    if filters.agent_id and (client is None or client.sale_agent_id != filters.agent_id):
        return False
    return True


def _staff_names(ids: set[str]) -> dict[str, str]:
    found = store.names((f"USER#{i}", "USER") for i in ids if i != UNASSIGNED)
    return {i: found.get(f"USER#{i}", i) if i != UNASSIGNED else "No agent" for i in ids}


def _group_names(ids: set[str]) -> dict[str, str]:
    found = store.names((f"GROUP#{i}", "GROUP") for i in ids if i)
    return {i: found.get(f"GROUP#{i}", i) for i in ids if i}


# --- the reports --------------------------------------------------------------------------------------------

def _monthly_series(items: list[store.AggregateItem], measure: str, period: Period) -> list[dict[str, Any]]:
    per_month: dict[str, Decimal] = {m: ZERO for m in period.months()}
    for item in items:
        per_month[item.day[:7]] = per_month.get(item.day[:7], ZERO) + (getattr(item, measure) or ZERO)
    return [{"month": m, "total": rules.money(v)} for m, v in per_month.items()]


def sales_by_client(defn, period, filters, day) -> Report:
    items = _buckets(CLIENT, period)
    clients = store.clients({i.entity_id for i in items} | ({filters.client_id} if filters.client_id else set()))
    items = [i for i in items if _client_passes(i.entity_id, clients.get(i.entity_id), filters)]
    groups = _group_names({c.group_id for c in clients.values() if c.group_id})
    rows = []
    for client_id, m in _per_entity(items).items():
        client = clients.get(client_id)
        rows.append({"client_id": client_id, "client": client.name if client else client_id,
                     "group": groups.get(client.group_id, "") if client and client.group_id else "",
                     "orders": int(m.get("orders", ZERO)), "ordered": m.get("ordered", ZERO),
                     "invoiced": m.get("invoiced", ZERO), "paid": m.get("paid", ZERO)})
    return rules.build(defn, rows, period=period, series={
        "invoiced_by_month": _monthly_series(items, "invoiced", period),
        "ordered_by_month": _monthly_series(items, "ordered", period)})


def sales_by_agent(defn, period, filters, day) -> Report:
    items = [i for i in _buckets(AGENT, period) if not filters.agent_id or i.entity_id == filters.agent_id]
    per_agent = _per_entity(items)
    names = _staff_names(set(per_agent))
    rows = [{"agent_id": agent, "agent": names[agent], "orders": int(m.get("orders", ZERO)),
             "ordered": m.get("ordered", ZERO), "invoices": int(m.get("invoices", ZERO)),
             "invoiced": m.get("invoiced", ZERO), "paid": m.get("paid", ZERO)} for agent, m in per_agent.items()]
    report = rules.build(defn, rows, period=period, sort_key=lambda r: (-r["invoiced"], r["agent"]))
    report.series = {"bars": [{"label": r["agent"], "invoiced": r["invoiced"], "paid": r["paid"]} for r in report.rows],
                     "invoiced_by_month": _monthly_series(items, "invoiced", period)}
    return report


def approval_sla(defn, period, filters, day) -> Report:
    window = settings_store.load().review_timeout_hours
    items = [i for i in _buckets(AGENT, period) if not filters.agent_id or i.entity_id == filters.agent_id]
    per_agent = _per_entity(items)
    now = datetime.now(timezone.utc)
    drafts, _ = order_store.by_status("draft", limit=MAX_ROWS, after=None)
    open_by_agent: dict[str, list[float]] = defaultdict(list)
    for order in drafts:
        agent = order.sale_agent_id or UNASSIGNED
        if not filters.agent_id or agent == filters.agent_id:
            open_by_agent[agent].append((now - order.created_at).total_seconds() / 3600)
    names = _staff_names(set(per_agent) | set(open_by_agent))
    rows, bucket_hours = [], rules.DECISION_BUCKETS_HOURS[0]
    for agent in set(per_agent) | set(open_by_agent):
        m = per_agent.get(agent, {})
        decided = m.get("decided", ZERO)
        if not decided and not open_by_agent.get(agent):
            continue
        bucket_hours, share = rules.decided_within_share(m, window)
        rows.append({"agent_id": agent, "agent": names[agent], "decided": int(decided),
                     "average_hours": (m.get("decision_minutes", ZERO) / decided / 60).quantize(Decimal("0.1")) if decided else None,
                     "within_window": int(m.get(f"within_{bucket_hours}h", ZERO)), "within_window_share": share,
                     "open_drafts": len(open_by_agent.get(agent, [])),
                     "oldest_open_hours": Decimal(max(open_by_agent[agent])).quantize(Decimal("0.1")) if open_by_agent.get(agent) else None})
    report = rules.build(defn, rows, period=period, sort_key=lambda r: (r["agent"],))
    decided = sum(r["decided"] for r in report.rows)
    report.totals["within_window_share"] = (Decimal(report.totals["within_window"]) / decided * 100).quantize(Decimal("0.1")) if decided else None
    ages = [age for ages in open_by_agent.values() for age in ages]
    report.series = {"window_hours": window, "bucket_hours": bucket_hours,
                     "bars": [{"label": r["agent"], "value": r["average_hours"] or ZERO} for r in report.rows],
                     "open_by_age": [{"label": label, "count": sum(1 for a in ages if low <= a < high)}
                                     for label, low, high in (("under 4 h", 0, 4), ("4-24 h", 4, 24),
                                                              ("1-3 days", 24, 72), ("over 3 days", 72, 1e9))]}
    return report


def receivables_aging(defn, period, filters, day) -> Report:
    items = list(store.receivables(filters.client_id))
    clients = store.clients({i.entity_id for i in items})
    per_client: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for item in items:
        amount = item.outstanding or ZERO
        if not amount or not _client_passes(item.entity_id, clients.get(item.entity_id), filters):
            continue
        bucket = rules.ageing_bucket(date.fromisoformat(item.day), day) or "current"
        per_client[item.entity_id][bucket] += amount
        per_client[item.entity_id]["total"] += amount
    rows = [{"client_id": c, "client": clients[c].name if c in clients else c, **{k: v for k, v in m.items()},
             **{b: m.get(b, ZERO) for b in ("current", "0-30", "31-60", "61-90", "90+")}}
            for c, m in per_client.items() if m.get("total")]
    report = rules.build(defn, rows, sort_key=lambda r: (-r["total"], r["client"]))
    report.series = {"buckets": ["current", "0-30", "31-60", "61-90", "90+"],
                     "bars": [{"label": r["client"], **{b: r[b] for b in ("current", "0-30", "31-60", "61-90", "90+")}}
                              for r in report.rows[:12]]}
    return report


def overdue_invoices(defn, period, filters, day) -> Report:
    rows = []
    for status in OPEN_INVOICE_STATUSES:
        invoices, _ = invoice_store.by_status(status, limit=MAX_ROWS, after=None, due_before=day)
        for invoice in invoices:
            if filters.client_id and invoice.client_id != filters.client_id:
                continue
            if invoice.amount_due <= 0:
                continue
            rows.append({"invoice_id": invoice.id, "number": invoice.number, "client": invoice.client_name,
                         "issue_date": invoice.issue_date, "due_date": invoice.due_date,
                         "days_overdue": (day - invoice.due_date).days, "total": invoice.total,
                         "amount_due": invoice.amount_due})
    return rules.build(defn, rows, sort_key=lambda r: (-r["days_overdue"], r["number"]))


def clients_by_group(defn, period, filters, day) -> Report:
    """Group figures are the sum of the group's clients as they are now (a client that moves takes its history)."""
    clients = {c.id: c for c in store.all_clients() if _client_passes(c.id, c, Filters(filters.agent_id, filters.group_id))}
    per_client = _per_entity(_buckets(CLIENT, period))
    groups = _group_names({c.group_id for c in clients.values() if c.group_id})
    rows: dict[str, dict[str, Any]] = {}
    for client in clients.values():
        key = client.group_id or ""
        row = rows.setdefault(key, {"group_id": key, "group": groups.get(key, "No group") if key else "No group",
                                    "clients": 0, "orders": 0, "ordered": ZERO, "invoiced": ZERO, "paid": ZERO})
        m = per_client.get(client.id, {})
        row["clients"] += 1
        row["orders"] += int(m.get("orders", ZERO))
        for measure in ("ordered", "invoiced", "paid"):
            row[measure] += m.get(measure, ZERO)
    report = rules.build(defn, list(rows.values()), period=period)
    report.series = {"bars": [{"label": r["group"], "value": r["invoiced"]} for r in report.rows]}
    return report


def portal_activity(defn, period, filters, day) -> Report:
    items = _buckets(CONTACT, period)
    people = store.last_logins({i.entity_id for i in items})
    if filters.client_id:
        items = [i for i in items if people.get(i.entity_id) and people[i.entity_id].client_id == filters.client_id]
    clients = store.clients({p.client_id for p in people.values() if p.client_id})
    active_days: dict[str, int] = defaultdict(int)
    per_day: dict[str, dict[str, Decimal]] = {}
    for item in items:
        m = store.measures_of(item)
        if m.get("page_views") or m.get("logins"):
            active_days[item.entity_id] += 1
        bucket = per_day.setdefault(item.day, {"page_views": ZERO, "logins": ZERO, "orders": ZERO})
        for measure in bucket:
            bucket[measure] += m.get(measure, ZERO)
    rows = []
    for contact_id, m in _per_entity(items).items():
        person = people.get(contact_id)
        client = clients.get(person.client_id) if person and person.client_id else None
        rows.append({"contact_id": contact_id, "contact": person.name if person else contact_id,
                     "email": person.email if person else "", "client": client.name if client else "",
                     "last_login_at": person.last_login_at if person else None,
                     "logins": int(m.get("logins", ZERO)), "page_views": int(m.get("page_views", ZERO)),
                     "orders": int(m.get("orders", ZERO)), "active_days": active_days.get(contact_id, 0)})
    report = rules.build(defn, rows, period=period, sort_key=lambda r: (-r["page_views"], -r["orders"], r["contact"]))
    days, cursor = [], period.start
    while cursor <= period.end:
        bucket = per_day.get(cursor.isoformat(), {})
        days.append({"day": cursor.isoformat(), "page_views": int(bucket.get("page_views", 0)),
                     "logins": int(bucket.get("logins", 0)), "orders": int(bucket.get("orders", 0))})
        cursor += timedelta(days=1)
    report.series = {"days": days}
    return report


def stock_below_minimum(defn, period, filters, day) -> Report:
    products = store.below_minimum()
    window = Period(day - timedelta(days=COVER_WINDOW_DAYS - 1), day)
    wanted = {p.sku for p in products}
    sold: dict[str, Decimal] = defaultdict(lambda: ZERO)
    if wanted:
        for item in _buckets(PRODUCT, window):
            if item.entity_id in wanted:
                sold[item.entity_id] += item.qty or ZERO
    rows = [{"sku": p.sku, "name": p.name, "qty_available": p.qty_available, "min_stock": p.min_stock,
             "shortfall": p.min_stock - p.qty_available, "sold_30d": int(sold[p.sku]),
             "cover_days": rules.cover_days(p.qty_available, sold[p.sku], COVER_WINDOW_DAYS)} for p in products]
    report = rules.build(defn, rows, sort_key=lambda r: (r["cover_days"] if r["cover_days"] is not None else Decimal(10**9),
                                                         -r["shortfall"], r["sku"]))
    report.series = {"window_days": COVER_WINDOW_DAYS}
    return report


BUILDERS: dict[str, Callable[..., Report]] = {
    "sales-by-client": sales_by_client, "sales-by-agent": sales_by_agent, "approval-sla": approval_sla,
    "receivables-aging": receivables_aging, "overdue-invoices": overdue_invoices,
    "clients-by-group": clients_by_group, "portal-activity": portal_activity,
    "stock-below-minimum": stock_below_minimum,
}
assert set(BUILDERS) == set(rules.REPORTS), "every report definition has its builder"


# --- the buyer's dashboard ----------------------------------------------------------------------------------

OPEN_ORDER_STATUSES = ("draft", "sent", "awaiting_approval")
IN_TRANSIT = ("shipped",)
RECENT = 200  # the latest orders and delivery notes a dashboard looks at


def dashboard(client_id: str, *, on: date | None = None) -> dict[str, Any]:
    """What a buyer sees first: credit, balance, overdue money, open orders, deliveries on the way, spend per month."""
    day = on or today()
    client = store.clients([client_id])[client_id]
    overdue = sum(((item.outstanding or ZERO) for item in store.receivables(client_id)
                   if date.fromisoformat(item.day) < day), ZERO)
    orders, _ = order_store.for_client(client_id, limit=RECENT, after=None)
    notes, _ = dn_store.for_client(client_id, limit=RECENT, after=None)
    months = Period((day.replace(day=1) - timedelta(days=320)).replace(day=1), day).months()
    spend = {m: ZERO for m in months}
    for month in months:
        for item in store.entity_month(CLIENT, client_id, month):
            spend[month] += item.invoiced or ZERO
    return {
        "credit_limit": rules.money(client.credit_limit or ZERO),
        "credit_available": credit.credit_available(client),  # the one exposure figure (services/credit.py)
        "balance": rules.money(client.balance or ZERO),
        "overdue_amount": rules.money(max(overdue, ZERO)),
        "open_orders": sum(1 for o in orders if o.status in OPEN_ORDER_STATUSES or (
            o.status == "accepted" and getattr(o, "fulfilment_status", None) not in ("delivered",)
            and not any(n.order_id == o.id and n.status == "delivered" for n in notes))),
        "deliveries_in_transit": [{"id": n.id, "number": n.number, "order_id": n.order_id, "awb": n.awb,
                                   "courier": n.courier, "tracking_url": n.tracking_url}
                                  for n in notes if n.status in IN_TRANSIT],
        "currency": client.currency,
        "spend_by_month": [{"month": m, "total": rules.money(v)} for m, v in spend.items()],
    }
