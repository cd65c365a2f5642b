"""The report rules without AWS: facts from documents, each counted once, ageing, periods, the interpreter."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from chalicelib.domain import reports as rules
from chalicelib.domain.errors import NotFound, ValidationFailed

PLACED = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
ORDER = {"id": "so1", "client_id": "c1", "sale_agent_id": "a1", "contact_id": "u1", "total": Decimal("119.00"),
         "created_at": PLACED, "lines": [{"sku": "bolt-1", "qty": 2, "line_total": Decimal("60")},
                                         {"sku": "BOLT-1", "qty": 1, "line_total": Decimal("30")},
                                         {"sku": "NUT-2", "qty": 5, "line_total": Decimal("10")}]}
INVOICE = {"id": "inv1", "client_id": "c1", "status": "unpaid", "total": Decimal("119.00"),
           "issue_date": date(2026, 11, 3), "due_date": date(2026, 12, 3)}


def test_an_order_counts_for_its_client_agent_contact_and_each_product_once():
    facts = rules.order_placed(ORDER)
    totals = rules.add_up(facts + facts)  # delivered twice
    day = date(2026, 11, 2)
    assert totals[("client", "c1", day)] == {"orders": 1, "ordered": Decimal("119.00")}
    assert totals[("agent", "a1", day)]["ordered"] == Decimal("119.00")
    assert totals[("contact", "u1", day)]["orders"] == 1
    assert totals[("product", "BOLT-1", day)] == {"qty": 3, "ordered": Decimal("90")}  # SKUs match case-insensitively
    assert totals[("product", "NUT-2", day)]["qty"] == 5


def test_an_order_without_an_agent_counts_as_unassigned():
    facts = rules.order_placed({**ORDER, "sale_agent_id": None})
    assert ("agent", "unassigned") in facts[0].targets


def test_invoiced_paid_and_open_receivable_add_up():
    facts = rules.invoice_issued(INVOICE, "a1") + rules.payment_received(
        {"id": "p1", "amount": Decimal("19.00"), "paid_on": date(2026, 11, 20)}, INVOICE, "a1")
    totals = rules.add_up(facts)
    assert totals[("agent", "a1", date(2026, 11, 3))]["invoiced"] == Decimal("119.00")
    assert totals[("agent", "a1", date(2026, 11, 20))]["paid"] == Decimal("19.00")
    assert totals[("receivable", "c1", date(2026, 12, 3))]["outstanding"] == Decimal("100.00")


def test_a_draft_invoice_is_not_invoiced_yet():
    assert rules.invoice_issued({**INVOICE, "status": "draft"}, "a1") == []


def test_the_first_decision_is_the_one_counted_and_its_wait_falls_in_buckets():
    first = rules.order_decided(ORDER, datetime(2026, 11, 2, 14, 30, tzinfo=timezone.utc))  # 5.5 hours
    later = rules.order_decided(ORDER, datetime(2026, 11, 5, 9, 0, tzinfo=timezone.utc))
    totals = rules.add_up(first + later)
    bucket = totals[("agent", "a1", date(2026, 11, 2))]
    assert bucket["decided"] == 1 and bucket["decision_minutes"] == 330
    assert (bucket["within_4h"], bucket["within_8h"], bucket["within_24h"]) == (0, 1, 1)
    assert ("agent", "a1", date(2026, 11, 5)) not in totals


def test_share_within_the_window_uses_the_largest_bucket_not_above_it():
    measures = {"decided": Decimal(4), "within_8h": Decimal(1), "within_24h": Decimal(3)}
    assert rules.decided_within_share(measures, Decimal(24)) == (24, Decimal("75.0"))
    assert rules.decided_within_share(measures, Decimal(12)) == (8, Decimal("25.0"))
    assert rules.decided_within_share({}, Decimal(24)) == (24, None)


@pytest.mark.parametrize("due, bucket", [(date(2026, 12, 1), None), (date(2026, 11, 27), "0-30"),
                                         (date(2026, 10, 28), "0-30"), (date(2026, 10, 27), "31-60"),
                                         (date(2026, 9, 28), "31-60"), (date(2026, 9, 27), "61-90"), (date(2026, 8, 28), "90+")])
def test_ageing_buckets_by_days_past_due(due, bucket):
    assert rules.ageing_bucket(due, date(2026, 11, 27)) == bucket


def test_a_period_defaults_to_the_last_twelve_months_and_lists_its_months():
    period = rules.parse_period(None, None, date(2026, 11, 27))
    assert period.start == date(2025, 12, 1) and period.end == date(2026, 11, 27)
    assert rules.parse_period("2026-11-30", "2027-01-02", date(2026, 11, 27)).months() == ["2026-11", "2026-12", "2027-01"]


@pytest.mark.parametrize("raw_from, raw_to, code", [("2026-13-01", None, "invalid_date"), ("yesterday", None, "invalid_date"),
                                                    ("2026-11-02", "2026-11-01", "invalid_period"),
                                                    ("2020-01-01", "2026-11-01", "invalid_period")])
def test_bad_periods_are_refused(raw_from, raw_to, code):
    with pytest.raises(ValidationFailed) as refused:
        rules.parse_period(raw_from, raw_to, date(2026, 11, 27))
    assert refused.value.code == code


def test_an_unknown_report_is_not_found():
    with pytest.raises(NotFound) as missing:
        rules.definition("sales-by-moon")
    assert missing.value.code == "unknown_report"


def test_the_interpreter_sorts_rounds_and_totals_and_writes_safe_csv():
    defn = rules.definition("sales-by-client")
    rows = [{"client_id": "c1", "client": "=HYPERLINK(1)", "orders": 2, "ordered": Decimal("10.005"),
             "invoiced": Decimal(5), "paid": Decimal(0)},
            {"client_id": "c2", "client": "Beta", "orders": 1, "ordered": Decimal("20"), "invoiced": Decimal(0),
             "paid": Decimal(0)}]
    report = rules.build(defn, rows)
    assert [r["client"] for r in report.rows] == ["Beta", "=HYPERLINK(1)"]  # largest ordered first
    assert report.totals["ordered"] == Decimal("30.01") and report.totals["orders"] == 3
    lines = report.as_csv().splitlines()
    assert lines[0].startswith("Client id,Client,Group,Orders,Ordered")
    assert lines[2].startswith("c1,'=HYPERLINK(1)")  # a spreadsheet never runs a cell
    assert lines[-1].startswith("Total,,,3,30.01")
    assert report.as_json()["totals"]["ordered"] == "30.01"


def test_cover_in_days_at_the_recent_rate():
    assert rules.cover_days(15, Decimal(60), 30) == Decimal("7.5")
    assert rules.cover_days(15, Decimal(0), 30) is None


def test_every_measure_is_a_stored_attribute():
    from chalicelib.store.aggregates import AggregateItem

    assert all(hasattr(AggregateItem, name) for name in rules.MEASURES)
