"""Recurring orders: the calendar arithmetic of "every N weeks/months from a start date"."""
from __future__ import annotations

import calendar
from datetime import date, timedelta

from chalicelib.domain.errors import ValidationFailed

EVERY = ("week", "month")
MAX_INTERVAL = {"week": 52, "month": 12}


def occurrence_date(start: date, every: str, interval: int, n: int) -> date:
    """The n-th run (0 = the start date). Months keep the start's day, or the month's last day when shorter
    (31 January, monthly: 28/29 February, 31 March)."""
    if every == "week":
        return start + timedelta(weeks=interval * n)
    months = start.month - 1 + interval * n
    year, month = start.year + months // 12, months % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def check_schedule(every: str, interval: int, start: date, today: date) -> None:
    if every not in EVERY:
        raise ValidationFailed("every is week or month.", code="invalid_value", field="every")
    if isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= MAX_INTERVAL[every]:
        raise ValidationFailed(f"interval is a whole number from 1 to {MAX_INTERVAL[every]}.", code="invalid_value",
                               field="interval")
    if start < today:
        raise ValidationFailed("start_date is in the past.", code="invalid_date", field="start_date")
