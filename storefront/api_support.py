"""Shared DRF pieces for the storefront widget API: one JSON error shape, throttles, CORS, body limit.

The widget API is called from storefront pages on the merchant's own domain. Its trust boundary:
- the store is named by its opaque `public_id` (`X-Store-Id` header, or `?store=` so CORS preflights,
  which carry no custom header values, can be answered per store);
- browsers may call it only from the store's own origins (Store.storefront_url and its storefront
  channels' site URLs, both read from BigCommerce by storefront.channels, and
  StorefrontSettings.allowed_origins). Other origins get no CORS headers, and their writes a 403. A
  preflight (OPTIONS) is answered before and without authentication, with the endpoint's own methods
  and request headers (StorefrontAPIView.cors_methods / cors_request_headers), Max-Age and Vary: Origin;
- bodies are capped (MAX_BODY_BYTES) and their nesting depth checked before parsing (BoundedJSONParser,
  through storefront.bounded_json); a body refused there is a 4xx recorded as a RejectedCall (bounded,
  limited per IP); every request is throttled per client IP and per store through the Django cache (in
  this process while that cache is down).
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from django.core.cache import cache
from django.http import Http404, HttpRequest
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView, exception_handler

from .bounded_json import Body, BodyTooLarge, BoundedJSONError, json_parse
from .channels import channel_origins
from .client_ip import client_ip
from .models import Store, StorefrontSettings
from .rate_windows import rate_window_count
from .rejections import rejected_call_record

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 8 * 1024
# A preflight is answered per endpoint: its own methods, and only the request headers it reads.
CORS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PREFLIGHT_MAX_AGE = "600"
ORIGINS_CACHE_SECONDS = 60
STORE_HEADER = "HTTP_X_STORE_ID"
STORE_MEMO_SECONDS = 10.0
STORE_MEMO_MAX = 10_000
_STORE_MEMO: dict[str, tuple[float, Store | None]] = {}


# --- errors -------------------------------------------------------------------------------------


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = f"Request body is larger than {MAX_BODY_BYTES} bytes."
    default_code = "payload_too_large"


class OriginNotAllowed(exceptions.PermissionDenied):
    default_detail = "This origin may not call the widget API for this store."
    default_code = "origin_not_allowed"


class StoreNotFound(exceptions.NotFound):
    default_detail = "Unknown or uninstalled store."
    default_code = "store_not_found"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The store is not set up for this request."
    default_code = "not_configured"


class UpstreamUnavailable(exceptions.APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = "Friendbuy did not answer; try again later."
    default_code = "upstream_unavailable"


def _first_code(codes) -> str:
    while isinstance(codes, (list, dict)):
        if not codes:
            return "invalid"
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return str(codes)


def _messages(detail) -> dict | list | str:
    if isinstance(detail, dict):
        return {key: _messages(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_messages(item) for item in detail]
    return str(detail)


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    """The one error shape of the API: {"error": {"code", "message", "fields"}}."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def storefront_exception_handler(exc, context):
    """DRF's handler (status, Retry-After, WWW-Authenticate) with every body reshaped to error_body()."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None:
        # Not an API error: a bug. Log it (the traceback stays server-side) and answer in the same shape.
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        return Response(
            error_body("server_error", "Something went wrong on our side."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("invalid", "The request is not valid.", _messages(detail))
    elif isinstance(exc, exceptions.APIException):
        code = _first_code(exc.get_codes())
        response.data = error_body(
            code,
            str(exc.detail)
            if not isinstance(exc.detail, (list, dict))
            else "; ".join(str(v) for v in _flatten(exc.detail)),
        )
    return response


def _flatten(detail):
    if isinstance(detail, dict):
        for value in detail.values():
            yield from _flatten(value)
    elif isinstance(detail, list):
        for value in detail:
            yield from _flatten(value)
    else:
        yield detail


# --- stores and origins -------------------------------------------------------------------------


def public_id_from(request: HttpRequest) -> str:
    # No NUL: PostgreSQL can neither look it up nor store it.
    return (request.META.get(STORE_HEADER) or request.GET.get("store") or "").replace("\x00", "").strip()[:64]


def store_for_public_id(public_id: str) -> Store | None:
    """The installed store with this public id (and its StorefrontSettings), or None.

    Remembered per process for STORE_MEMO_SECONDS: building the ORM query costs more than the rest of a
    cached widget call. So an uninstall or a settings edit reaches the widget API within that time.
    """
    if not public_id:
        return None
    now = time.monotonic()
    memo = _STORE_MEMO.get(public_id)
    if memo is not None and memo[0] > now:
        return memo[1]
    # Secrets are never needed here; deferring them skips two decryptions.
    store = (Store.objects.filter(public_id=public_id, status=Store.Status.INSTALLED)
             .select_related("storefront_settings").prefetch_related("channels")
             .defer("access_token", "webhook_secret").first())
    if len(_STORE_MEMO) >= STORE_MEMO_MAX:
        _STORE_MEMO.clear()
    _STORE_MEMO[public_id] = (now + STORE_MEMO_SECONDS, store)
    return store


def forget_stores() -> None:
    """Drop the per-process memo (tests; after changing a store in the same process)."""
    _STORE_MEMO.clear()


def settings_of(store: Store) -> StorefrontSettings | None:
    try:
        return store.storefront_settings
    except StorefrontSettings.DoesNotExist:
        return None


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


# --- throttles ----------------------------------------------------------------------------------


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


# --- parsing ------------------------------------------------------------------------------------


class BoundedJSONParser(BaseParser):
    """DRF's JSON parser, through storefront.bounded_json: size and nesting depth checked before parsing
    (DRF's own parser lets a deeply nested body raise RecursionError, a 500)."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        try:
            return json_parse(data, max_bytes=MAX_BODY_BYTES)
        except BodyTooLarge as exc:
            raise PayloadTooLarge() from exc
        except BoundedJSONError as exc:
            raise exceptions.ParseError(str(exc)) from exc


# --- the base view ------------------------------------------------------------------------------


class StorefrontAPIView(APIView):
    """Base of every widget API view: CORS for the store's origins, body cap, throttles, error shape.

    Views set `store_required` (resolve `request.store` from the public id or 404) and read it there.
    """

    throttle_classes = [StorefrontIpThrottle, StorefrontStoreThrottle]
    parser_classes = [BoundedJSONParser]
    authentication_classes: list = []
    permission_classes: list = []
    store_required = True
    write_methods = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def initialize_request(self, request, *args, **kwargs):
        request = super().initialize_request(request, *args, **kwargs)
        request.store = None
        return request

    def initial(self, request, *args, **kwargs):
        # The cap comes before anything reads the body (DRF parses lazily, on first access to .data).
        if request.method in self.write_methods:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > MAX_BODY_BYTES:
                self._refuse_body(request, PayloadTooLarge(), Body(request._request.read(1024), declared, True))
            raw = request._request.body
            if len(raw) > MAX_BODY_BYTES:
                self._refuse_body(request, PayloadTooLarge(), Body(raw, len(raw), True))
        self.check_throttles(request)
        if request.method in self.write_methods:
            try:
                request.data  # noqa: B018  (parse now, within the limits, so a refusal is recorded)
            except (exceptions.ParseError, exceptions.UnsupportedMediaType) as exc:
                raw = request._request.body
                self._refuse_body(request, exc, Body(raw, len(raw), False))
        if self.store_required:
            request.store = store_for_public_id(public_id_from(request))
            origin = request.META.get("HTTP_ORIGIN", "")
            foreign = bool(origin) and request.store is not None and (
                origin_of(origin) not in allowed_origins(request.store))
            if foreign and request.method in self.write_methods:
                raise OriginNotAllowed()
        super().initial(request, *args, **kwargs)

    def _refuse_body(self, request, exc: exceptions.APIException, body: Body):
        """Record a body we will not parse (bounded, rate limited per IP), then refuse it with `exc`."""
        rejected_call_record(request=request._request, public_id=public_id_from(request), status=exc.status_code,
                             reason=str(exc.detail), body=body)
        raise exc

    def perform_authentication(self, request):
        # A CORS preflight carries no credentials (Fetch standard: no Authorization header), so it is
        # answered before, and without, authentication; the actual request is authenticated as usual.
        if request.method != "OPTIONS":
            super().perform_authentication(request)

    def check_permissions(self, request):
        if request.method != "OPTIONS":
            super().check_permissions(request)

    def cors_methods(self) -> tuple[str, ...]:
        """The methods this endpoint answers (what its preflight allows)."""
        return tuple(method for method in CORS_METHODS if hasattr(self, method.lower()))

    def cors_request_headers(self) -> tuple[str, ...]:
        """The request headers this endpoint reads: the shopper's JWT (Authorization) when it authenticates,
        Content-Type when it takes a JSON body, and X-Store-Id always."""
        names = ["Authorization"] if self.authentication_classes else []
        if any(method in self.write_methods for method in self.cors_methods()):
            names.append("Content-Type")
        return (*names, "X-Store-Id")

    def check_throttles(self, request):
        # Throttle once, before authentication (a flood of forged JWTs is throttled too); DRF's own call
        # from initial() is then a no-op.
        if getattr(request, "_storefront_throttled", False):
            return
        request._storefront_throttled = True
        super().check_throttles(request)

    def options(self, request, *args, **kwargs):
        origin = origin_of(request.META.get("HTTP_ORIGIN", ""))
        store = store_for_public_id(public_id_from(request))
        allowed = bool(origin) and (origin in allowed_origins(store) if store else any_store_allows(origin))
        if not allowed:
            return Response(
                error_body("origin_not_allowed", "This origin may not call the widget API."),
                status=status.HTTP_403_FORBIDDEN,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_authenticate_header(self, request):
        # A bad customer JWT in a capture body is an authentication failure too: 401, never DRF's 403.
        return super().get_authenticate_header(request) or 'Bearer realm="storefront"'

    def get_store(self, request) -> Store:
        if request.store is None:
            raise StoreNotFound()
        return request.store

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = origin_of(request.META.get("HTTP_ORIGIN", ""))
        if origin:
            store = getattr(request, "store", None) or store_for_public_id(public_id_from(request))
            preflight = request.method == "OPTIONS" and response.status_code == 204
            if (store is not None and origin in allowed_origins(store)) or (store is None and preflight):
                extra = {"methods": self.cors_methods(), "headers": self.cors_request_headers()} if preflight else {}
                for header, value in cors_headers(origin, **extra).items():
                    response[header] = value
        return response


def only_storefront_api(endpoints):
    """drf-spectacular preprocessing hook: the published schema covers the widget API and the merchant's
    external-events API only."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(("/api/storefront/", "/api/external/"))]
