"""What the fake BigCommerce gateway reads before a view runs, in one round trip to the database.

Is a fault armed for BigCommerce, which store does the path name (and its token, to check X-Auth-Token
against) and, for the order endpoints, the order documents the view answers from. Nothing is cached
between requests: a token changed by a re-install, a fault injected by a test or an order updated by
another process shows on the very next call.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection

from sandbox import faults, sql

from .models import FakeOrder, FakeStore

# The store columns views read without another query; the others load on access (deferred fields).
STORE_FIELDS = ("id", "store_hash", "store_id", "access_token", "client_id", "scope", "rate_limit_quota",
                "rate_limit_window_ms")
ORDER_FIELDS = ("data", "products", "coupons", "shipping_addresses", "transactions")


@dataclass(frozen=True)
class Lookup:
    faults_armed: bool
    store: FakeStore | None
    # The requested FakeOrder fields by name, or None when the store has no such order (or none was asked).
    order: dict[str, Any] | None = None


def lookup(*, store_hash: str, order_id: int | None = None, order_fields: tuple[str, ...] = ()) -> Lookup:
    """Faults armed?, the store named `store_hash`, and `order_fields` of its order `order_id` if asked."""
    unknown = set(order_fields) - set(ORDER_FIELDS)
    if unknown:
        raise ValueError(f"Unknown order fields {sorted(unknown)!r}")
    params: list[Any] = ["bigcommerce", store_hash]
    if order_fields:
        params.append(order_id)
    row = sql.fetch_row(_sql(order_fields, connection.vendor), params)
    armed, store_values = bool(row[0]), row[1 : 1 + len(STORE_FIELDS)]
    store = sql.instance(FakeStore, STORE_FIELDS, store_values) if store_values[0] is not None else None
    order = None
    order_values = row[1 + len(STORE_FIELDS) :]
    if order_fields and order_values[0] is not None:
        order = {
            name: sql.decode(FakeOrder, name, value)
            for name, value in zip(order_fields, order_values[1:], strict=True)
        }
    return Lookup(faults_armed=armed, store=store, order=order)


@cache
def _sql(order_fields: tuple[str, ...], vendor: str) -> str:
    # `vendor` is only part of the cache key (quoting is per backend).
    # FROM a one-row derived table so the faults flag comes back even when no store matches. Only quoted
    # names from the models' metadata are interpolated; the hash and the order id are parameters.
    store_columns = ", ".join(f"s.{sql.column(FakeStore, name)}" for name in STORE_FIELDS)
    select = f"SELECT {faults.armed_sql()}, {store_columns}"
    joins = f" FROM (SELECT 1 AS one) AS one LEFT JOIN {sql.table(FakeStore)} s ON s.{sql.column(FakeStore, 'store_hash')} = %s"
    if order_fields:
        select += "".join(f", o.{sql.column(FakeOrder, name)}" for name in ("id", *order_fields))
        joins += (
            f" LEFT JOIN {sql.table(FakeOrder)} o ON o.{sql.column(FakeOrder, 'store')} = s.{sql.column(FakeStore, 'id')}"
            f" AND o.{sql.column(FakeOrder, 'order_id')} = %s"
        )
    return select + joins
