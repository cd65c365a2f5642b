"""PynamoDB attribute types the stock library lacks."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from pynamodb.attributes import Attribute, NumberAttribute, UnicodeAttribute
from pynamodb.constants import NUMBER


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB Number read back as Decimal (PynamoDB's NumberAttribute gives floats)."""

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        return str(value)

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


class DateAttribute(UnicodeAttribute):
    """An ISO date (YYYY-MM-DD) stored as a string, so it sorts."""

    def serialize(self, value: date) -> str:  # type: ignore[override]
        return value.isoformat()

    def deserialize(self, value: str) -> date:  # type: ignore[override]
        return date.fromisoformat(value)


class IntegerAttribute(NumberAttribute):
    def deserialize(self, value: str) -> int:  # type: ignore[override]
        return int(value)
