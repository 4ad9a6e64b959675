"""The shared cache backend: Django's Redis cache, degraded instead of failing while Redis is unreachable.

Everything this app keeps in the cache can be recomputed (cached referral links, shopper rewards, fraud
settings, known CORS origins) or counted another way (the widget API's throttles), so a Redis outage
must not turn widget calls into 500s. While Redis refuses or times out, every operation answers as a
miss: reads return the default, writes and deletes report nothing stored, and incr() raises
CacheUnavailable, a ValueError as for a missing key, which the widget throttles catch to count in this
process instead (storefront.widget_api.throttling). After a failure the backend leaves Redis alone for
RETRY_AFTER_SECONDS (no connection attempt per call during an outage) and logs a warning at most every
WARN_EVERY_SECONDS. `ping()` reaches Redis itself, for /readyz.
"""

from __future__ import annotations

import logging
import math
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_AFTER_SECONDS = 2.0
WARN_EVERY_SECONDS = 30.0


class CacheUnavailable(ValueError):
    """incr() while Redis is unreachable: the key is missing to the caller, who may count elsewhere."""


class FailSoftRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0
        self._warned_at = -math.inf

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _went_down(self, exc: BaseException) -> None:
        now = time.monotonic()
        self._down_until = now + RETRY_AFTER_SECONDS
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            # The class only: the message names the server, and a URL may carry a password.
            logger.warning(
                "Cache (Redis) unavailable (%s): running without it (throttles count per process, "
                "cached values are recomputed); retrying every %.0f s.", type(exc).__name__, RETRY_AFTER_SECONDS,
            )

    def _try(self, operation, miss, *args, **kwargs):
        if self._available():
            try:
                return operation(*args, **kwargs)
            except UNAVAILABLE as exc:
                self._went_down(exc)
        return miss

    def ping(self) -> bool:
        return self._cache.get_client(write=True).ping()

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(super().add, False, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._try(super().get, default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(super().set, None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(super().touch, False, key, timeout, version)

    def delete(self, key, version=None):
        return self._try(super().delete, False, key, version)

    def get_many(self, keys, version=None):
        return self._try(super().get_many, {}, keys, version)

    def has_key(self, key, version=None):
        return self._try(super().has_key, False, key, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(super().set_many, list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._try(super().delete_many, None, keys, version)

    def clear(self):
        return self._try(super().clear, False)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._try(super().incr, missing, key, delta, version)
        if value is missing:
            raise CacheUnavailable(f"Cache unavailable; {key!r} not counted.")
        return value
