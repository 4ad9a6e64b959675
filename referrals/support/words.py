"""How the support pages say things: money in its currency, Friendbuy's answers as readable fields."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from storefront.money import MoneyFormat

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "AUD": "A$", "CAD": "C$", "JPY": "¥"}


def money(amount, currency: str) -> str:
    """'$30.00', '€12.50', '300.00 SEK' — an amount in its own currency (an order's or a reward's, which need
    not be the store's), written by the store money formatter with that currency's symbol."""
    code = (currency or "").upper()
    try:
        Decimal(str(amount if amount is not None else 0))
    except InvalidOperation:
        return f"{amount} {currency or ''}".strip()
    return MoneyFormat(currency=code, symbol=CURRENCY_SYMBOLS.get(code, "")).format(amount).strip()


def readable_fields(value, *, limit: int = 6) -> str:
    """A JSON answer as 'key: value · key: value' (first `limit` fields, nested values compact)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict):
        parts = [f"{k}: {v if isinstance(v, str | int | float | bool) or v is None else json.dumps(v)}"
                 for k, v in list(value.items())[:limit]]
        more = len(value) - limit
        return " · ".join(parts) + (f" · and {more} more" if more > 0 else "")
    if isinstance(value, list):
        return " · ".join(readable_fields(item, limit=limit) for item in value[:limit])
    return "" if value is None else str(value)
