"""PynamoDB attribute types the stock library lacks, strict on the way in and tolerant on the way out.

A number is written only when it reads back as the same value: integers as integers, decimals as Decimal
(never float), within DynamoDB's range (38 significant digits, magnitude 1E-130 to below 1E+126). Reads
accept what older versions wrote (an integer attribute stored as "5.0" reads as 5).
"""
from __future__ import annotations

from datetime import date
from decimal import Context, Decimal
from typing import Any

from pynamodb.attributes import Attribute, UnicodeAttribute
from pynamodb.constants import NUMBER

MAX_DIGITS = 38
MIN_EXPONENT, MAX_EXPONENT = -130, 125  # adjusted exponents DynamoDB stores


class UnstorableNumber(ValueError):
    """A value the store refuses: it could not be read back as written. A bug upstream; the schemas bound input."""


def dynamodb_number(value: Decimal) -> str:
    """`value` as DynamoDB's number string, or UnstorableNumber when DynamoDB cannot hold it exactly."""
    if not value.is_finite():
        raise UnstorableNumber(f"{value} is no number DynamoDB stores")
    normal = value.normalize(Context(prec=len(value.as_tuple().digits)))  # exact: the default context rounds
    if normal.is_zero():
        return "0"
    if len(normal.as_tuple().digits) > MAX_DIGITS or not MIN_EXPONENT <= normal.adjusted() <= MAX_EXPONENT:
        raise UnstorableNumber(f"{value} is out of DynamoDB's number range")
    return str(value)


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB Number read back as Decimal (PynamoDB's NumberAttribute gives floats)."""

    attr_type = NUMBER

    def serialize(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise UnstorableNumber(f"{value!r} is not a Decimal")  # a float would round on the way in
        return dynamodb_number(Decimal(value))

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


class DateAttribute(UnicodeAttribute):
    """An ISO date (YYYY-MM-DD) stored as a string, so it sorts."""

    def serialize(self, value: date) -> str:  # type: ignore[override]
        return value.isoformat()

    def deserialize(self, value: str) -> date:  # type: ignore[override]
        return date.fromisoformat(value)


class IntegerAttribute(Attribute[int]):
    """A DynamoDB Number that is a whole number: written only from an int, read back as int."""

    attr_type = NUMBER

    def serialize(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UnstorableNumber(f"{value!r} is not a whole number")
        return dynamodb_number(Decimal(value))

    def deserialize(self, value: str) -> int:
        """Also what older versions wrote: "5.0" or "5E+1" (a whole number written from a float) reads as 5 or 50."""
        try:
            return int(value)
        except ValueError:
            number = Decimal(value)
        if number != number.to_integral_value():
            raise UnstorableNumber(f"stored {value} is not a whole number")
        return int(number)

