"""How many unauthenticated calls one client IP may have recorded: a fixed window in the Django cache.

Shared by both webhook inboxes, the validation callback and the widget API's refused bodies. Only
calls that failed authentication (or were too large to authenticate) count, so BigCommerce and
Friendbuy are never limited by this; a caller over the limit gets 429 and is not recorded (one
warning per window says so). If the cache is down the limit fails open with a logged warning:
losing the limit for a while is better than refusing evidence, and the rows stay bounded.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'60/min' → (60, 60): requests per window of seconds."""
    count, _, unit = rate.partition("/")
    return int(count), _UNITS[unit.strip().lower()]


def unauthenticated_call_allowed(*, ip: str | None) -> bool:
    """Count one unauthenticated call from `ip`; False once it is over INBOUND_UNAUTHENTICATED_RATE."""
    limit, window_seconds = parse_rate(settings.INBOUND_UNAUTHENTICATED_RATE)
    window = int(time.time() // window_seconds)
    key = f"inbound:unauth:{ip or 'unknown'}:{window}"
    try:
        cache.add(key, 0, window_seconds + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window_seconds + 1)
            count = 1
    except Exception:
        logger.warning("Unauthenticated-call limit not applied: the cache is unavailable", exc_info=True)
        return True
    if count == limit + 1:
        logger.warning("Unauthenticated calls from %s over %s: not recorded until the window ends", ip,
                       settings.INBOUND_UNAUTHENTICATED_RATE)
    return count <= limit
