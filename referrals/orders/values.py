"""Money and time values as BigCommerce writes them, read into Decimal and aware datetimes."""
from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils.dateparse import parse_datetime

CENT = Decimal("0.01")


ZERO = Decimal("0")


def decimal_of(value) -> Decimal:
    if value in (None, ""):
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def money_out(value: Decimal) -> float:
    """A JSON number for Friendbuy; float of a 2-decimal Decimal round-trips exactly in JSON."""
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def datetime_of(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return parse_datetime(value)
    return None
