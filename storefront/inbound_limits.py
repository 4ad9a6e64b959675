"""How many unauthenticated calls one client IP may have recorded: a fixed window in the Django cache.

Shared by both webhook inboxes, the validation callback and the widget API's refused bodies. Only
calls that failed authentication (or were too large to authenticate) count, so BigCommerce and
Friendbuy are never limited by this; a caller over the limit gets 429 and is not recorded (one
warning per window says so). The counting is storefront.rate_windows' (per process while the shared cache
is degraded); if a cache backend fails outright the limit fails open with a logged warning: losing the
limit for a while is better than refusing evidence, and the rows stay bounded.
"""

from __future__ import annotations

import logging

from django.conf import settings

from .rate_windows import rate_window_count

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'60/min' → (60, 60): requests per window of seconds."""
    count, _, unit = rate.partition("/")
    return int(count), _UNITS[unit.strip().lower()]


def unauthenticated_call_allowed(*, ip: str | None) -> bool:
    """Count one unauthenticated call from `ip`; False once it is over INBOUND_UNAUTHENTICATED_RATE."""
    limit, window_seconds = parse_rate(settings.INBOUND_UNAUTHENTICATED_RATE)
    try:
        count, _ = rate_window_count(
            key=f"inbound:unauth:{ip or 'unknown'}", seconds=window_seconds
        )
    except Exception:
        logger.warning("Unauthenticated-call limit not applied: the cache is unavailable", exc_info=True)
        return True
    if count == limit + 1:
        logger.warning("Unauthenticated calls from %s over %s: not recorded until the window ends", ip,
                       settings.INBOUND_UNAUTHENTICATED_RATE)
    return count <= limit
