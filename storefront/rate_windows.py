"""Fixed-window request counters in the shared cache, for every rate limit the app applies (the widget API's
throttles, unauthenticated inbound calls).

A window is `int(now // seconds)`; its counter is `add` + `incr` (O(1), atomic on Redis). A window may let up
to twice the rate through across its boundary, which is fine for abuse protection. While the shared cache
is down (storefront.cache raises CacheUnavailable), counting moves into this process: each process then
enforces the limit alone, looser but never a 500 and never no limit at all.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

from .cache import CacheUnavailable

_PROCESS_COUNTERS = LocMemCache("storefront-rate-windows", {"OPTIONS": {"MAX_ENTRIES": 20_000}})


def rate_window_now() -> float:
    """The counters' clock (tests pin it mid-window)."""
    return time.time()


def rate_window_count(*, key: str, seconds: int) -> tuple[int, float]:
    """Count one more request for `key` in the current window: (count so far, seconds until it ends)."""
    now = rate_window_now()
    window = int(now // seconds)
    return _count(cache, f"{key}:{window}", seconds + 1), (window + 1) * seconds - now


def _count(counters, key: str, timeout: int) -> int:
    counters.add(key, 0, timeout)
    try:
        return counters.incr(key)
    except CacheUnavailable:
        return _count(_PROCESS_COUNTERS, key, timeout)
    except ValueError:  # expired between add and incr
        counters.set(key, 1, timeout)
        return 1
