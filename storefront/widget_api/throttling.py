"""The widget API's throttles: per client IP and per store, counted in fixed windows in the Django cache."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from ..client_ip import client_ip
from ..rate_windows import rate_window_count
from .stores import public_id_from


class _CacheRateThrottle(SimpleRateThrottle):
    """A fixed-window counter (storefront.rate_windows) instead of DRF's list of timestamps, which is
    re-pickled on every request and grows with the rate (6000/min → 6000 floats).
    Reads its rate at request time, so settings changes (and tests) take effect without a reload."""

    def __init__(self):
        self.rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.wait_seconds = 0.0

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        count, remaining = rate_window_count(
            key=self.get_cache_key(request, view), seconds=self.duration
        )
        if count <= self.num_requests:
            return True
        self.wait_seconds = remaining
        return False

    def wait(self):
        return max(1.0, self.wait_seconds)


class StorefrontIpThrottle(_CacheRateThrottle):
    """Per client IP, across stores (a flood from one address)."""

    scope = "storefront_ip"

    def get_ident(self, request):
        return client_ip(request) or request.META.get("REMOTE_ADDR") or "unknown"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class StorefrontStoreThrottle(_CacheRateThrottle):
    """Per store, across IPs (one store's traffic can't starve the others)."""

    scope = "storefront_store"

    def get_cache_key(self, request, view):
        public_id = public_id_from(request)
        return self.cache_format % {"scope": self.scope, "ident": public_id or "none"}
