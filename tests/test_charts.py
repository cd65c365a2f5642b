"""Server-side SVG charts: valid XML, accessible (title, desc, values as text), bars sized by their values."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from chalicelib.documents import charts
from chalicelib.documents.charts import Series

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def bar_heights(root: ET.Element) -> list[float]:
    return [float(g.find(f"{SVG}rect").get("height")) for g in root.iter(f"{SVG}g") if g.get("class") == "bar"]


def test_bars_are_sized_by_value_and_carry_their_values_as_text():
    svg = charts.bar_chart("sales", "Invoiced per month", ["2026-10", "2026-11"],
                           [Series("Invoiced", [Decimal("100"), Decimal("250.50")])], unit="EUR")
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Invoiced per month"
    assert "2026-11: Invoiced 250.50" in root.find(f"{SVG}desc").text
    first, second = bar_heights(root)
    assert abs(second / first - 2.505) < 0.01
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "value"] == ["100", "250.50"]


def test_stacked_bars_add_up_and_name_each_series_in_a_legend():
    svg = charts.bar_chart("ageing", "Receivables ageing", ["Acme"],
                           [Series("0-30", [10]), Series("31-60", [20]), Series("90+", [30])], stacked=True)
    root = parse(svg)
    heights = bar_heights(root)[:3]
    assert abs(sum(heights) - heights[0] * 6) < 0.5
    legend = [t.text for t in root.iter(f"{SVG}text")]
    assert {"0-30", "31-60", "90+"} <= set(legend)
    assert "60" in [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "value"]  # the stack's total


def test_a_reference_line_marks_the_sla():
    root = parse(charts.bar_chart("sla", "Approval time", ["Ana", "Ion"], [Series("Average hours", [3, 30])],
                                  reference=("Escalation window", 24)))
    [ref] = [g for g in root.iter(f"{SVG}g") if g.get("class") == "reference"]
    assert "Escalation window: 24" in ref.find(f"{SVG}title").text
    assert "Reference line: Escalation window 24" in root.find(f"{SVG}desc").text


def test_a_line_chart_has_a_point_with_its_value_per_day():
    root = parse(charts.line_chart("activity", "Portal activity", ["2026-11-01", "2026-11-02", "2026-11-03"],
                                   [Series("Pages viewed", [4, 0, 9]), Series("Sign-ins", [1, 0, 2])]))
    points = [c.find(f"{SVG}title").text for c in root.iter(f"{SVG}circle") if c.find(f"{SVG}title") is not None]
    assert "2026-11-03 · Pages viewed: 9" in points and len(points) == 6
    assert "Pages viewed: total 13, highest 9" in root.find(f"{SVG}desc").text


def test_names_from_users_are_escaped_and_an_empty_chart_still_renders():
    root = parse(charts.bar_chart("x", "Clients <&>", ['Acme "<script>"'], [Series("Orders", [1])]))
    assert root.find(f"{SVG}title").text == "Clients <&>"
    assert parse(charts.bar_chart("empty", "Nothing", [], [Series("Orders", [])])).find(f"{SVG}desc").text.endswith("No data.")
    assert parse(charts.line_chart("empty2", "Nothing", [], [Series("Pages", [])])) is not None


def test_a_cover_meter_says_its_days():
    root = parse(charts.meter("m1", "Cover of BOLT-1", Decimal("7.5"), Decimal(30)))
    assert root.find(f"{SVG}title").text == "Cover of BOLT-1: 7.50 days"
    assert float(root.findall(f"{SVG}rect")[1].get("width")) == 40.0
    assert "no recent sales" in parse(charts.meter("m2", "Cover", None, Decimal(30))).find(f"{SVG}title").text
