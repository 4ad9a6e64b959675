"""The one retry schedule of the app: exponential backoff with jitter, capped.

Every layer that retries uses it with its own base and cap: the HTTP transport between the attempts
of one call (seconds), the outbox, the webhook inboxes' retries and the Celery tasks (minutes to
hours). After n failed attempts the ceiling is base·2^(n-1), capped; the delay is half the ceiling
fixed and half random ("equal jitter"), so many rows failing together (an outage) spread out again,
yet every row waits at least half its ceiling and a schedule stays predictable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

# 2^62 times any sane base is far past any cap; the bound only keeps the float arithmetic finite.
_MAX_EXPONENT = 62


@dataclass(frozen=True)
class Backoff:
    """A schedule: `base` seconds after the first failure, doubling, never more than `cap` seconds."""

    base: float
    cap: float

    def ceiling(self, failures: int) -> float:
        """The longest wait after `failures` failed attempts (1 = the first attempt failed)."""
        exponent = min(_MAX_EXPONENT, max(0, failures - 1))
        return max(0.0, min(self.cap, self.base * 2**exponent))

    def wait(self, failures: int) -> float:
        """Seconds to wait after `failures` failed attempts: between half the ceiling and the ceiling."""
        ceiling = self.ceiling(failures)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def next_attempt_at(self, failures: int, *, now: datetime) -> datetime:
        """When the next attempt is due, `now` being when the last one failed."""
        return now + timedelta(seconds=self.wait(failures))


# Webhook deliveries of both inboxes whose processing failed: 1 min doubling to 6 h, 12 attempts, about a
# day in all, inside the time either sender keeps retrying a call we had refused (BigCommerce ~48 h,
# Friendbuy 24 h), so an outage of hours on our side loses nothing.
DELIVERY_MAX_ATTEMPTS = 12
DELIVERY_RETRY_SCHEDULE = Backoff(base=60, cap=6 * 60 * 60)
