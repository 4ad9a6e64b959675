"""HTTP plumbing shared by the fake MAPI views: the documented error body, bearer auth, fault injection."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from sandbox.faults import fault_response

from .models import FakeMerchant, FakeToken


class Problem(Exception):
    """Raised by validation; becomes a MAPI error response."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def iso(value: datetime) -> str:
    """MAPI timestamps: ISO-8601 UTC with milliseconds and Z, e.g. 2020-03-20T22:58:56.588Z."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def error_response(status: int, message: str, *, error: str = "") -> JsonResponse:
    """The documented error body {error, message, code, reference} (reference/friendbuy.md §2.3)."""
    body = {
        "error": error or HTTPStatus(status).phrase,
        "message": message,
        "code": status,
        "reference": "sbx-" + secrets.token_hex(6),
    }
    return JsonResponse(body, status=status)


def merchant_for(request: HttpRequest) -> FakeMerchant | None:
    """The merchant whose unexpired token authorizes the request ("Bearer <t>", or bare as Segment sends)."""
    header = request.headers.get("Authorization", "").strip()
    token = header[7:].strip() if header.lower().startswith("bearer ") else header
    if not token:
        return None
    found = (
        FakeToken.objects.select_related("merchant")
        .filter(token=token, expires_at__gt=timezone.now())
        .first()
    )
    return found.merchant if found else None


def endpoint(*methods: str, authenticated: bool = True) -> Callable:
    """Wrap a fake MAPI view: injected faults first, then method check, bearer auth and Problem handling."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            fault = fault_response(request, service="friendbuy")
            if fault is not None:
                return fault
            if request.method not in methods:
                return error_response(405, f"Method {request.method} not allowed on {request.path}")
            if authenticated:
                merchant = merchant_for(request)
                if merchant is None:
                    return error_response(401, "Unauthorized", error="Unauthorized")
                kwargs["merchant"] = merchant
            try:
                return view(request, *args, **kwargs)
            except Problem as problem:
                return error_response(problem.status, problem.message)

        return wrapper

    return decorator
