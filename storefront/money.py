"""Money written the way the store writes it: its currency symbol on the side it puts it, its thousands and
decimal separators and its number of decimals, as GET /v2/store gives them (store_information.v2.yml
`currency_symbol`, `currency_symbol_location`, `thousands_separator`, `decimal_separator`, `decimal_places`).

`money_format_from_information` picks those fields out of a /v2/store answer (kept in Store.money_format by
storefront.channels); `MoneyFormat.of(store)` reads them back, with "1,234.56 USD" until the store was read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

FIELDS = ("currency", "currency_symbol", "currency_symbol_location", "decimal_separator", "thousands_separator",
          "decimal_places")
MAX_DECIMAL_PLACES = 4


def money_format_from_information(info: dict[str, Any]) -> dict[str, Any]:
    """The money fields of a GET /v2/store answer, checked and bounded (an answer without them gives {})."""
    if not isinstance(info, dict) or not info.get("currency"):
        return {}
    try:
        places = int(info.get("decimal_places", 2))
    except (TypeError, ValueError):
        places = 2
    return {
        "currency": str(info["currency"])[:3].upper(),
        "currency_symbol": str(info.get("currency_symbol") or "")[:16],
        "currency_symbol_location": "right" if info.get("currency_symbol_location") == "right" else "left",
        "decimal_separator": str(info.get("decimal_separator") or ".")[:4],
        "thousands_separator": str(info.get("thousands_separator") or "")[:4],
        "decimal_places": min(max(places, 0), MAX_DECIMAL_PLACES),
    }


@dataclass(frozen=True)
class MoneyFormat:
    currency: str
    symbol: str = ""
    symbol_location: str = "left"
    decimal_separator: str = "."
    thousands_separator: str = ","
    decimal_places: int = 2

    @classmethod
    def of(cls, store) -> MoneyFormat:
        """The store's format; before the store information was read, its currency code after the number."""
        fields = money_format_from_information(getattr(store, "money_format", None) or {})
        if not fields:
            return cls(currency=getattr(store, "default_currency", "") or "USD")
        return cls(currency=fields["currency"], symbol=fields["currency_symbol"],
                   symbol_location=fields["currency_symbol_location"],
                   decimal_separator=fields["decimal_separator"], thousands_separator=fields["thousands_separator"],
                   decimal_places=fields["decimal_places"])

    def number(self, amount: Any) -> str:
        """The amount with the store's separators and decimals, without the symbol ("-1.234,50")."""
        try:
            value = Decimal(str(amount if amount is not None else 0))
        except InvalidOperation:
            value = Decimal(0)
        value = value.quantize(Decimal(1).scaleb(-self.decimal_places), rounding=ROUND_HALF_UP)
        sign = "-" if value < 0 else ""
        whole, _, fraction = f"{abs(value):f}".partition(".")
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        groups.insert(0, whole)
        text = self.thousands_separator.join(groups)
        if self.decimal_places:
            text += self.decimal_separator + fraction.ljust(self.decimal_places, "0")
        return sign + text

    def count(self, value: Any) -> str:
        """A whole number with the store's thousands separator ("12,345")."""
        return replace(self, decimal_places=0).number(value)

    def format(self, amount: Any) -> str:
        """"$1,234.50", "1.234,50 €", or "1,234.50 USD" when the store has no symbol."""
        number = self.number(amount)
        sign, digits = ("-", number[1:]) if number.startswith("-") else ("", number)
        if not self.symbol:
            return f"{number} {self.currency}"
        if self.symbol_location == "right":
            return f"{sign}{digits} {self.symbol}"
        return f"{sign}{self.symbol}{digits}"
