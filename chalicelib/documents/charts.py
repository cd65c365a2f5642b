"""Server-side SVG charts for the report pages and the buyer's dashboard: bars, stacked bars, lines, with an
optional reference line (the approval SLA). They work without JavaScript and print as they show.

Accessible by construction: every chart has <title> and <desc>, role="img" and aria-labelledby; every bar and
point carries its value as text (a <title> tooltip, and a printed label where there is room); series differ by
pattern as well as colour, and the legend names them. Text is escaped by the XML writer (names come from users).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 24, 64
# Colours readable by the colour-blind (Okabe-Ito), each series also with its own fill pattern.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")
PATTERNS = ("", "diagonal", "dots", "cross", "horizontal", "vertical")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Decimal | int | float]


def _num(value: Decimal | int | float | None) -> float:
    return float(value or 0)


def _text(value: Decimal | int | float) -> str:
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number:,.2f}"


def _nice_max(top: float) -> float:
    """A round axis maximum at or above `top` (1, 2, 2.5, 5 x 10^n)."""
    if top <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(top))) - 1) if top >= 1 else 1
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= top:
            return step * magnitude
    return 10.0 * magnitude


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id={quoteattr(chart_id)} role="img" '
            f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
            f'<title id="{chart_id}-title">{escape(title)}</title>',
            f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
            '<defs>'
            '<pattern id="p-diagonal" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            '<rect width="6" height="6" fill="white" fill-opacity="0.0"/><line x1="0" y1="0" x2="0" y2="6" stroke="white" stroke-width="2"/></pattern>'
            '<pattern id="p-dots" width="6" height="6" patternUnits="userSpaceOnUse"><circle cx="3" cy="3" r="1.3" fill="white"/></pattern>'
            '<pattern id="p-cross" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0 3H6M3 0V6" stroke="white" stroke-width="1"/></pattern>'
            '<pattern id="p-horizontal" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M0 3H6" stroke="white" stroke-width="1.5"/></pattern>'
            '<pattern id="p-vertical" width="6" height="6" patternUnits="userSpaceOnUse"><path d="M3 0V6" stroke="white" stroke-width="1.5"/></pattern>'
            '</defs>']


def _axis(lines: list[str], top: float, plot_w: float, plot_h: float, unit: str) -> None:
    for k in range(5):
        value = top * k / 4
        y = TOP + plot_h - plot_h * k / 4
        lines.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        lines.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{escape(_text(round(value, 2)))}</text>')
    if unit:
        lines.append(f'<text x="4" y="{TOP - 8}" font-size="11">{escape(unit)}</text>')


def _bar(lines: list[str], x: float, y: float, w: float, h: float, k: int, tip: str) -> None:
    colour = COLOURS[k % len(COLOURS)]
    lines.append(f'<g class="bar"><title>{escape(tip)}</title>'
                 f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{max(h, 0):.1f}" fill="{colour}"/>')
    if PATTERNS[k % len(PATTERNS)]:
        lines.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{max(h, 0):.1f}" fill="url(#p-{PATTERNS[k % len(PATTERNS)]})"/>')
    lines.append('</g>')


def _legend(lines: list[str], series: Sequence[Series], width: int, height: int) -> None:
    x = LEFT
    for k, s in enumerate(series):
        _bar(lines, x, height - 18, 12, 12, k, s.name)
        lines.append(f'<text x="{x + 16}" y="{height - 8}" font-size="12">{escape(s.name)}</text>')
        x += 28 + 7 * len(s.name)


def _label(lines: list[str], x: float, y: float, text: str, rotate: bool) -> None:
    if rotate:
        lines.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="11" text-anchor="end" '
                     f'transform="rotate(-35 {x:.1f} {y:.1f})">{escape(text)}</text>')
    else:
        lines.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="11" text-anchor="middle">{escape(text)}</text>')


def bar_chart(chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = "",
              reference: tuple[str, float] | None = None, stacked: bool = False, width: int = WIDTH,
              height: int = HEIGHT) -> str:
    """Grouped (or stacked) vertical bars, one group per label; `reference` draws a dashed line (name, value)."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    totals = [sum(_num(s.values[i]) for s in series) if stacked else max((_num(s.values[i]) for s in series), default=0)
              for i in range(len(labels))]
    top = _nice_max(max([*totals, reference[1] if reference else 0, 0]))
    parts = ", ".join(f"{label}: " + "; ".join(f"{s.name} {_text(s.values[i])}" for s in series)
                      for i, label in enumerate(labels))
    desc = f"{'Stacked bars' if stacked else 'Bars'} per {len(labels)} item(s). {parts or 'No data.'}"
    if reference:
        desc += f" Reference line: {reference[0]} {_text(reference[1])}."
    lines = _open(chart_id, title, desc, width, height)
    _axis(lines, top, plot_w, plot_h, unit)
    slot = plot_w / max(len(labels), 1)
    bar_w = slot * 0.7 / (1 if stacked else max(len(series), 1))
    rotate = len(labels) > 8 or max((len(label) for label in labels), default=0) * 6 > slot
    for i, label in enumerate(labels):
        x0, base = LEFT + slot * i + slot * 0.15, TOP + plot_h
        for k, s in enumerate(series):
            value = _num(s.values[i])
            h = plot_h * value / top
            x = x0 if stacked else x0 + bar_w * k
            _bar(lines, x, base - h, bar_w, h, k, f"{label} · {s.name}: {_text(s.values[i])}")
            if stacked:
                base -= h
            elif len(labels) * len(series) <= 24 and value:
                lines.append(f'<text x="{x + bar_w / 2:.1f}" y="{base - h - 3:.1f}" font-size="10" '
                             f'text-anchor="middle" class="value">{escape(_text(s.values[i]))}</text>')
        if stacked and totals[i]:
            lines.append(f'<text x="{x0 + bar_w / 2:.1f}" y="{base - 3:.1f}" font-size="10" text-anchor="middle" '
                         f'class="value">{escape(_text(round(totals[i], 2)))}</text>')
        _label(lines, LEFT + slot * (i + 0.5), TOP + plot_h + 14, label, rotate)
    if reference:
        y = TOP + plot_h - plot_h * reference[1] / top
        lines.append(f'<g class="reference"><title>{escape(reference[0])}: {escape(_text(reference[1]))}</title>'
                     f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#c00" '
                     f'stroke-width="2" stroke-dasharray="6 4"/>'
                     f'<text x="{LEFT + plot_w - 4}" y="{y - 4:.1f}" font-size="11" text-anchor="end" fill="#c00">'
                     f'{escape(reference[0])} ({escape(_text(reference[1]))})</text></g>')
    if len(series) > 1 or stacked:
        _legend(lines, series, width, height)
    lines.append("</svg>")
    return "\n".join(lines)


def line_chart(chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = "",
               width: int = WIDTH, height: int = HEIGHT) -> str:
    """One line per series over the labels (days); each series with its own marker shape and dash."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    top = _nice_max(max((_num(v) for s in series for v in s.values), default=0))
    summary = "; ".join(f"{s.name}: total {_text(sum((Decimal(str(v)) for v in s.values), Decimal(0)))}, "
                        f"highest {_text(max(s.values, default=0))}" for s in series)
    desc = f"Lines over {len(labels)} day(s) from {labels[0] if labels else '-'} to {labels[-1] if labels else '-'}. {summary}"
    lines = _open(chart_id, title, desc, width, height)
    _axis(lines, top, plot_w, plot_h, unit)
    step = plot_w / max(len(labels) - 1, 1)
    for k, s in enumerate(series):
        points = [(LEFT + step * i, TOP + plot_h - plot_h * _num(v) / top) for i, v in enumerate(s.values)]
        dash = ("", ' stroke-dasharray="6 3"', ' stroke-dasharray="2 3"')[k % 3]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        lines.append(f'<g class="series"><title>{escape(s.name)}</title>'
                     f'<polyline points="{path}" fill="none" stroke="{COLOURS[k % len(COLOURS)]}" stroke-width="2"{dash}/>')
        if len(points) <= 62:
            for (x, y), label, value in zip(points, labels, s.values):
                lines.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{COLOURS[k % len(COLOURS)]}">'
                             f'<title>{escape(label)} · {escape(s.name)}: {escape(_text(value))}</title></circle>')
        lines.append("</g>")
    every = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % every == 0:
            _label(lines, LEFT + step * i, TOP + plot_h + 14, label, False)
    _legend(lines, series, width, height)
    lines.append("</svg>")
    return "\n".join(lines)


def meter(chart_id: str, label: str, value: Decimal | None, full: Decimal, *, unit: str = "days",
          width: int = 160, height: int = 16) -> str:
    """A small horizontal bar (e.g. days of stock cover against 30), with its value as text."""
    shown = "no recent sales" if value is None else f"{_text(value)} {unit}"
    share = 1.0 if value is None else min(_num(value) / max(_num(full), 1e-9), 1.0)
    colour = "#009E73" if value is None or share >= 0.5 else ("#E69F00" if share >= 0.2 else "#D55E00")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="meter" id={quoteattr(chart_id)} role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-title">'
            f'<title id="{chart_id}-title">{escape(label)}: {escape(shown)}</title>'
            f'<rect width="{width}" height="{height}" fill="#eee"/>'
            f'<rect width="{width * share:.1f}" height="{height}" fill="{colour}"/></svg>')
