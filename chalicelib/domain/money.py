"""Money: Decimal only, carried in JSON as strings ("123.45")."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_money(value: Decimal) -> Decimal:
    """Round to cents, half up, as invoices print."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(value: Decimal) -> str:
    return str(to_money(value))


def parse_decimal(raw: object) -> Decimal | None:
    """A finite Decimal from a JSON string or integer; None when it is not one.

    Floats are refused on purpose: 0.1 + 0.2 is how invoices go wrong.
    """
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def display_amount(value: Decimal) -> Decimal:
    """Amounts show at least two decimals; unit prices keep their finer precision ("0.0125")."""
    exponent = value.as_tuple().exponent
    return value.quantize(CENT) if isinstance(exponent, int) and exponent > -2 else value


def format_amount(value: Decimal | str | int, locale: str = "en") -> str:
    """An amount as people read it: thousands separators and decimal mark of their locale, at least two decimals
    (unit prices keep their finer precision): 1234567.5 -> "1,234,567.50" (en) or "1.234.567,50" (ro)."""
    from babel.numbers import format_decimal  # noqa: PLC0415 - Babel's locale data loads on first use only

    return format_decimal(Decimal(str(value)), format="#,##0.00##########", locale=locale, decimal_quantization=False)
