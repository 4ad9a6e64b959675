"""The fake's per-store rate limit: the X-Rate-Limit-* headers on every answer, and 429 past the quota.

BigCommerce counts requests per store in fixed windows (30 s by default, reference bigcommerce §8) and says on
every response how many are left, when the window refills, the quota and the window's length. A store with
`rate_limit_quota` set is metered the same way: one counter per store in the database (every process serving
the sandbox shares it), aligned on the clock (window n covers [n·W, (n+1)·W) ms), and a request past the quota
is answered 429 with Requests-Left 0 and the time to the refill. An unmetered store (the default, so tests and
benchmarks don't wait) gets the same headers with a quota of UNMETERED_QUOTA it never reaches.
"""

from __future__ import annotations

import time
from functools import cache

from django.db import connection

from sandbox import sql

from .models import FakeStore

UNMETERED_QUOTA = 1_000_000


def rate_limit_headers(*, quota: int, left: int, reset_ms: int, window_ms: int) -> dict[str, str]:
    return {
        "X-Rate-Limit-Time-Window-Ms": str(window_ms),
        "X-Rate-Limit-Time-Reset-Ms": str(reset_ms),
        "X-Rate-Limit-Requests-Quota": str(quota),
        "X-Rate-Limit-Requests-Left": str(left),
    }


def rate_limit_count(store: FakeStore) -> tuple[dict[str, str], bool]:
    """Count one request of `store`: (its rate-limit headers, whether it is past the quota)."""
    window_ms = store.rate_limit_window_ms or 30_000
    now = int(time.time() * 1000)
    window = now // window_ms
    reset_ms = (window + 1) * window_ms - now
    quota = store.rate_limit_quota
    if quota is None:
        return rate_limit_headers(quota=UNMETERED_QUOTA, left=UNMETERED_QUOTA - 1, reset_ms=reset_ms,
                                  window_ms=window_ms), False
    used = sql.fetch_row(_count_sql(connection.vendor), [window, window, store.pk])[0]
    return rate_limit_headers(quota=quota, left=max(0, quota - used), reset_ms=reset_ms,
                              window_ms=window_ms), used > quota


@cache
def _count_sql(vendor: str) -> str:
    # One statement, atomic in either database: the SET expressions read the row as it was. Only quoted
    # names from the model's metadata are interpolated; the window and the id are parameters.
    used, counted = sql.column(FakeStore, "rate_limit_used"), sql.column(FakeStore, "rate_limit_window")
    return (
        f"UPDATE {sql.table(FakeStore)} SET {used} = CASE WHEN {counted} = %s THEN {used} + 1 ELSE 1 END, "  # noqa: S608
        f"{counted} = %s WHERE {sql.column(FakeStore, 'id')} = %s RETURNING {used}"
    )
