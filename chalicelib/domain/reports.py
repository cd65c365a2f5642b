"""Reports as data: the facts the table's documents imply, the per-day aggregates they add up to, and the
report definitions (columns, the aggregate they read, how rows group) with the small interpreter that turns
aggregate rows into `{name, columns, rows, totals}`. No I/O: the services feed plain values in.

A *fact* is one thing that happened once to one document (an order placed, an invoice issued, a payment
received, an order decided). Its `source` names it uniquely; the store adds its measures to every target's
day bucket at most once per source, so a stream record delivered twice changes nothing the second time and
a rebuild from the documents arrives at the same numbers.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping

from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.money import to_money

ZERO = Decimal(0)
UNASSIGNED = "unassigned"

# The aggregate kinds and what each is keyed by.
CLIENT, AGENT, PRODUCT, CONTACT, RECEIVABLE = "client", "agent", "product", "contact", "receivable"

# Measures an aggregate item can carry (one numeric attribute each).
MEASURES = ("orders", "ordered", "invoiced", "invoices", "paid", "qty", "decided", "decision_minutes",
            "within_1h", "within_4h", "within_8h", "within_24h", "within_48h", "within_72h",
            "outstanding", "page_views", "logins")
DECISION_BUCKETS_HOURS = (1, 4, 8, 24, 48, 72)
AGEING_BUCKETS = (("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))
DECISIONS = ("approve", "reject", "modify")  # staff decisions on a draft order (auto-approval is not one)


@dataclass(frozen=True)
class Fact:
    """Measures to add, once per `source`, to each target's bucket of `day`."""

    source: str
    day: date
    targets: tuple[tuple[str, str], ...]
    measures: Mapping[str, Decimal]


# --- facts from documents ---------------------------------------------------------------------------------

def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def order_placed(order: Mapping[str, Any]) -> list[Fact]:
    """An order placed: its count and total for the client, its agent and the placing contact; its lines'
    quantities and amounts for each product."""
    day, order_id = _day(order["created_at"]), order["id"]
    facts = [Fact(f"placed#{order_id}", day,
                  ((CLIENT, order["client_id"]), (AGENT, order.get("sale_agent_id") or UNASSIGNED),
                   (CONTACT, order["contact_id"])),
                  {"orders": Decimal(1), "ordered": Decimal(order["total"])})]
    per_product: dict[str, tuple[Decimal, Decimal]] = {}
    for line in order.get("lines") or []:
        sku = str(line["sku"]).upper()
        qty, amount = per_product.get(sku, (ZERO, ZERO))
        per_product[sku] = (qty + Decimal(line["qty"]), amount + Decimal(line["line_total"]))
    for sku, (qty, amount) in sorted(per_product.items()):
        facts.append(Fact(f"placed#{order_id}#{sku}", day, ((PRODUCT, sku),), {"qty": qty, "ordered": amount}))
    return facts


def order_decided(order: Mapping[str, Any], decided_at: Any) -> list[Fact]:
    """A staff decision on a draft order: the minutes it waited, and in which response-time buckets it fell."""
    waited = max((_when(decided_at) - _when(order["created_at"])).total_seconds(), 0) / 60
    minutes = Decimal(int(waited))
    measures = {"decided": Decimal(1), "decision_minutes": minutes}
    for hours in DECISION_BUCKETS_HOURS:
        measures[f"within_{hours}h"] = Decimal(1 if waited <= hours * 60 else 0)
    return [Fact(f"decided#{order['id']}", _day(decided_at),
                 ((AGENT, order.get("sale_agent_id") or UNASSIGNED), (CLIENT, order["client_id"])), measures)]


def invoice_issued(invoice: Mapping[str, Any], agent_id: str | None) -> list[Fact]:
    """An invoice issued (not a draft, not cancelled before issue): invoiced for client and agent on its
    issue date; receivable for the client on its due date."""
    if invoice["status"] in ("draft",):
        return []
    total = Decimal(invoice["total"])
    return [Fact(f"invoiced#{invoice['id']}", _day(invoice["issue_date"]),
                 ((CLIENT, invoice["client_id"]), (AGENT, agent_id or UNASSIGNED)),
                 {"invoiced": total, "invoices": Decimal(1)}),
            Fact(f"receivable#{invoice['id']}", _day(invoice["due_date"]), ((RECEIVABLE, invoice["client_id"]),),
                 {"outstanding": total})]


def payment_received(payment: Mapping[str, Any], invoice: Mapping[str, Any], agent_id: str | None) -> list[Fact]:
    """A payment on an invoice: paid for client and agent on the payment date; less receivable on the due date."""
    amount = Decimal(payment["amount"])
    source = f"{invoice['id']}#{payment['id']}"
    return [Fact(f"paid#{source}", _day(payment["paid_on"]),
                 ((CLIENT, invoice["client_id"]), (AGENT, agent_id or UNASSIGNED)), {"paid": amount}),
            Fact(f"settled#{source}", _day(invoice["due_date"]), ((RECEIVABLE, invoice["client_id"]),),
                 {"outstanding": -amount})]


def add_up(facts: Iterable[Fact]) -> dict[tuple[str, str, date], dict[str, Decimal]]:
    """What the aggregates hold after these facts, each source counted once (the first one wins)."""
    seen: set[str] = set()
    totals: dict[tuple[str, str, date], dict[str, Decimal]] = {}
    for fact in facts:
        if fact.source in seen:
            continue
        seen.add(fact.source)
        for kind, entity in fact.targets:
            bucket = totals.setdefault((kind, entity, fact.day), {})
            for name, value in fact.measures.items():
                bucket[name] = bucket.get(name, ZERO) + value
    return totals


# --- periods ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def months(self) -> list[str]:
        months, cursor = [], self.start.replace(day=1)
        while cursor <= self.end:
            months.append(cursor.strftime("%Y-%m"))
            cursor = (cursor + timedelta(days=32)).replace(day=1)
        return months

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


MAX_PERIOD_DAYS = 3 * 366


def parse_period(raw_from: str | None, raw_to: str | None, today: date) -> Period:
    """`from`/`to` as ISO dates (default: the first of the month eleven months back, to today); 422 otherwise."""
    def parse(raw: str | None, name: str, default: date) -> date:
        if raw in (None, ""):
            return default
        try:
            return date.fromisoformat(str(raw))
        except ValueError as exc:
            raise ValidationFailed(f"{name} is a date like 2026-11-22.", code="invalid_date", field=name) from exc

    end = parse(raw_to, "to", today)
    start = parse(raw_from, "from", (end.replace(day=1) - timedelta(days=320)).replace(day=1))
    if start > end:
        raise ValidationFailed("from is after to.", code="invalid_period", field="from")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationFailed("A report covers at most three years.", code="invalid_period", field="from")
    return Period(start, end)


def ageing_bucket(due: date, today: date) -> str | None:
    """'0-30' ... '90+' by days past due; None when not yet due (current)."""
    late = (today - due).days
    if late < 0:
        return None
    for name, low, high in AGEING_BUCKETS:
        if late >= low and (high is None or late <= high):
            return name
    return AGEING_BUCKETS[-1][0]


def decided_within_share(measures: Mapping[str, Decimal], window_hours: Decimal) -> tuple[int, Decimal | None]:
    """(the bucket used, share of decisions within it): the largest bucket not above the escalation window."""
    usable = [h for h in DECISION_BUCKETS_HOURS if h <= window_hours] or [DECISION_BUCKETS_HOURS[0]]
    hours = usable[-1]
    decided = measures.get("decided", ZERO)
    if not decided:
        return hours, None
    return hours, (measures.get(f"within_{hours}h", ZERO) / decided * 100).quantize(Decimal("0.1"))


def cover_days(available: int, sold_in_window: Decimal, window_days: int) -> Decimal | None:
    """Days the stock on hand lasts at the recent daily rate; None when nothing sold."""
    if sold_in_window <= 0:
        return None
    return (Decimal(available) / (sold_in_window / window_days)).quantize(Decimal("0.1"))


# --- report definitions and their interpreter ------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str = "text"  # text, money, count, percent, date, days
    total: bool = False


@dataclass(frozen=True)
class ReportDefinition:
    """One report: its columns, what it reads and which filters it takes; `chart` names the chart its page draws."""

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    filters: tuple[str, ...] = ()
    chart: str | None = None
    period: bool = True


def _cols(*specs: tuple[str, str, str, bool] | tuple[str, str, str] | tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


REPORTS: dict[str, ReportDefinition] = {r.name: r for r in (
    ReportDefinition("sales-by-client", "Sales by client",
                     "Orders placed, invoiced and paid per client in the period, and invoiced per month.",
                     _cols(("client_id", "Client id"), ("client", "Client"), ("group", "Group"), ("orders", "Orders", "count", True),
                           ("ordered", "Ordered", "money", True), ("invoiced", "Invoiced", "money", True),
                           ("paid", "Paid", "money", True)),
                     ("agent_id", "group_id", "client_id"), chart="sales_by_month"),
    ReportDefinition("sales-by-agent", "Sales by agent (commission basis)",
                     "Invoiced and paid amounts per sales agent in the period: the basis for commission.",
                     _cols(("agent_id", "Agent id"), ("agent", "Agent"), ("orders", "Orders", "count", True),
                           ("ordered", "Ordered", "money", True), ("invoices", "Invoices", "count", True),
                           ("invoiced", "Invoiced", "money", True), ("paid", "Paid", "money", True)),
                     ("agent_id",), chart="agent_bars"),
    ReportDefinition("approval-sla", "Approval time",
                     "Time from placement to the supplier's decision per agent, the share decided within the "
                     "escalation window, and orders still awaiting review by age.",
                     _cols(("agent_id", "Agent id"), ("agent", "Agent"), ("decided", "Decided", "count", True),
                           ("average_hours", "Average hours", "hours"), ("within_window", "Within window", "count", True),
                           ("within_window_share", "Share within window", "percent"),
                           ("open_drafts", "Awaiting review now", "count", True),
                           ("oldest_open_hours", "Oldest waiting (hours)", "hours")),
                     ("agent_id",), chart="approval_bars"),
    ReportDefinition("receivables-aging", "Receivables ageing",
                     "Open amounts per client by days past due: not yet due, 0-30, 31-60, 61-90, over 90.",
                     _cols(("client_id", "Client id"), ("client", "Client"), ("current", "Not yet due", "money", True),
                           ("0-30", "0-30 days", "money", True), ("31-60", "31-60 days", "money", True),
                           ("61-90", "61-90 days", "money", True), ("90+", "Over 90 days", "money", True),
                           ("total", "Total open", "money", True)),
                     ("agent_id", "group_id", "client_id"), chart="ageing_stacked", period=False),
    ReportDefinition("overdue-invoices", "Overdue invoices",
                     "Invoices past their due date with money still due, the most overdue first.",
                     _cols(("invoice_id", "Invoice id"), ("number", "Invoice"), ("client", "Client"),
                           ("issue_date", "Issued", "date"), ("due_date", "Due", "date"),
                           ("days_overdue", "Days overdue", "days"), ("total", "Total", "money", True),
                           ("amount_due", "Amount due", "money", True)),
                     ("client_id",), period=False),
    ReportDefinition("clients-by-group", "Clients by group",
                     "Clients per group with what they ordered, were invoiced and paid in the period.",
                     _cols(("group_id", "Group id"), ("group", "Group"), ("clients", "Clients", "count", True),
                           ("orders", "Orders", "count", True), ("ordered", "Ordered", "money", True),
                           ("invoiced", "Invoiced", "money", True), ("paid", "Paid", "money", True)),
                     ("group_id", "agent_id"), chart="group_bars"),
    ReportDefinition("portal-activity", "Portal activity",
                     "Sign-ins, pages viewed and orders placed per contact in the period, and each contact's last sign-in.",
                     _cols(("contact_id", "Contact id"), ("contact", "Contact"), ("email", "Email"), ("client", "Client"),
                           ("last_login_at", "Last sign-in", "date"), ("logins", "Sign-ins", "count", True),
                           ("page_views", "Pages viewed", "count", True), ("orders", "Orders", "count", True),
                           ("active_days", "Active days", "count")),
                     ("client_id",), chart="activity_line"),
    ReportDefinition("stock-below-minimum", "Stock below minimum",
                     "Products whose available stock is below their minimum, with how many days it covers at the "
                     "last 30 days' rate.",
                     _cols(("sku", "SKU"), ("name", "Product"), ("qty_available", "Available", "count"),
                           ("min_stock", "Minimum", "count"), ("shortfall", "Short by", "count", True),
                           ("sold_30d", "Ordered, last 30 days", "count"), ("cover_days", "Days of cover", "days")),
                     (), period=False),  # its table carries a bar of cover per product
)}


def definition(name: str) -> ReportDefinition:
    try:
        return REPORTS[name]
    except KeyError:
        raise NotFound(f"There is no report called {name!r}.", code="unknown_report") from None


@dataclass
class Report:
    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    period: Period | None = None
    series: dict[str, Any] = field(default_factory=dict)  # what the chart draws

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title,
                "columns": [{"key": c.key, "title": c.title, "kind": c.kind} for c in self.columns],
                "rows": [{c.key: _plain(row.get(c.key)) for c in self.columns} for row in self.rows],
                "totals": {k: _plain(v) for k, v in self.totals.items()},
                **({"from": self.period.start.isoformat(), "to": self.period.end.isoformat()} if self.period else {}),
                **({"series": _plain(self.series)} if self.series else {})}

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([c.title for c in self.columns])
        for row in self.rows:
            writer.writerow([_cell(row.get(c.key)) for c in self.columns])
        if self.totals:
            writer.writerow(["Total" if i == 0 else _cell(self.totals.get(c.key)) for i, c in enumerate(self.columns)])
        return out.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _cell(value: Any) -> str:
    text = "" if value is None else str(_plain(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text  # no spreadsheet formulas


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
        return True
    except ArithmeticError:
        return False
    except ValueError:
        return False


def money(value: Decimal) -> Decimal:
    return to_money(Decimal(value))


def build(defn: ReportDefinition, rows: list[dict[str, Any]], *, period: Period | None = None,
          sort_key: Callable[[dict[str, Any]], Any] | None = None, series: dict[str, Any] | None = None) -> Report:
    """The report: rows in order (default: the first money column, largest first), money rounded, totals of
    the columns that add up."""
    for row in rows:
        for column in defn.columns:
            if column.kind == "money" and row.get(column.key) is not None:
                row[column.key] = money(row[column.key])
            elif column.kind == "count" and row.get(column.key) is None:
                row[column.key] = 0
    first_money = next((c.key for c in defn.columns if c.kind == "money"), None)
    key = sort_key or ((lambda r: (-(r.get(first_money) or ZERO), str(r.get(defn.columns[1].key) or "")))
                       if first_money else (lambda r: str(r.get(defn.columns[1].key) or "")))
    rows = sorted(rows, key=key)
    totals: dict[str, Any] = {}
    for column in defn.columns:
        if column.total:
            total = sum((Decimal(r.get(column.key) or 0) for r in rows), ZERO)
            totals[column.key] = money(total) if column.kind == "money" else int(total)
    return Report(defn.name, defn.title, defn.columns, rows, totals, period, series or {})


def sum_measures(buckets: Iterable[Mapping[str, Decimal]]) -> dict[str, Decimal]:
    total: dict[str, Decimal] = {}
    for bucket in buckets:
        for name, value in bucket.items():
            total[name] = total.get(name, ZERO) + value
    return total


def month_of(day: date) -> str:
    return day.strftime("%Y-%m")
