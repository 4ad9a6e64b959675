"""CORS for the widget API: only a store's own origins may call it from a browser."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.cache import cache

from ..channels import channel_origins
from ..models import Store
from .stores import settings_of

# A preflight is answered per endpoint: its own methods, and only the request headers it reads.
CORS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PREFLIGHT_MAX_AGE = "600"
ORIGINS_CACHE_SECONDS = 60


def origin_of(url: str) -> str:
    parts = urlsplit((url or "").strip())
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def allowed_origins(store: Store) -> frozenset[str]:
    """The store's own origins: its URL and its live storefront channels' site URLs, as read from
    BigCommerce (storefront.channels), and the extra ones in its StorefrontSettings."""
    origins = {origin_of(store.storefront_url), *(origin_of(url) for url in channel_origins(store=store))}
    row = settings_of(store)
    if row is not None:
        origins.update(origin_of(line) for line in row.allowed_origins.splitlines())
    origins.discard("")
    return frozenset(origins)


def any_store_allows(origin: str) -> bool:
    """For a preflight that names no store: is this origin any installed store's?"""
    key = f"storefront:origin-known:{origin}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    known = any(
        origin in allowed_origins(store)
        for store in Store.objects.filter(status=Store.Status.INSTALLED).prefetch_related("channels")
    )
    cache.set(key, known, ORIGINS_CACHE_SECONDS)
    return known


def cors_headers(origin: str, *, methods: tuple[str, ...] = (), headers: tuple[str, ...] = ()) -> dict[str, str]:
    """The CORS headers for an allowed origin: on a preflight (`methods` given) also what the endpoint
    accepts and how long the browser may remember it; on the actual response only the origin.

    No Allow-Credentials: the API authenticates with a bearer JWT, never with storefront cookies.
    """
    found = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    if methods:
        found["Access-Control-Allow-Methods"] = ", ".join(methods)
        if headers:
            found["Access-Control-Allow-Headers"] = ", ".join(headers)
        found["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return found
