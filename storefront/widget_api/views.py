"""StorefrontAPIView: the base of every widget API view (CORS, body cap, throttles, store, error shape)."""

from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from ..bounded_json import Body
from ..models import Store
from ..rejections import rejected_call_record
from .cors import CORS_METHODS, allowed_origins, any_store_allows, cors_headers, origin_of
from .errors import OriginNotAllowed, StoreNotFound, error_body
from .parsing import MAX_BODY_BYTES, BoundedJSONParser, PayloadTooLarge
from .stores import public_id_from, store_for_public_id
from .throttling import StorefrontIpThrottle, StorefrontStoreThrottle


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
