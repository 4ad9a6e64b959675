"""HTTP plumbing shared by the fake MAPI views: the documented error body, bearer auth, fault injection.

An authenticated call reads whether a fault is armed and which merchant its bearer token belongs to
in one query (nothing cached: an expired or new token, or an injected fault, shows on the next call).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache, wraps
from http import HTTPStatus

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from sandbox import sql
from sandbox.faults import armed_sql, consume, fault_response

from .models import FakeMerchant, FakeToken

# The merchant columns views read without another query; created_at loads on access (deferred).
MERCHANT_FIELDS = ("id", "merchant_id", "api_key", "api_secret", "webhook_secret")


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


def bearer_token(request: HttpRequest) -> str:
    """The token of "Authorization: Bearer <t>", or of a bare "<t>" as Segment sends it."""
    header = request.headers.get("Authorization", "").strip()
    return header[7:].strip() if header.lower().startswith("bearer ") else header


def faults_and_merchant(request: HttpRequest) -> tuple[bool, FakeMerchant | None]:
    """Is a Friendbuy fault armed, and whose unexpired token authorizes the request (one query)."""
    token = bearer_token(request)
    now = FakeToken._meta.get_field("expires_at").get_db_prep_value(timezone.now(), connection)
    row = sql.fetch_row(_gateway_sql(connection.vendor), ["friendbuy", token, now])
    if not token or row[1] is None:
        return bool(row[0]), None
    return bool(row[0]), sql.instance(FakeMerchant, MERCHANT_FIELDS, row[1:])


@cache
def _gateway_sql(vendor: str) -> str:
    # `vendor` is only part of the cache key (quoting is per backend).
    # FROM a one-row derived table so the faults flag comes back even when no token matches. Only quoted
    # names from the models' metadata are interpolated; the token and the time are parameters.
    token, merchant = sql.table(FakeToken), sql.table(FakeMerchant)
    columns = ", ".join(f"m.{sql.column(FakeMerchant, name)}" for name in MERCHANT_FIELDS)
    return (
        f"SELECT {armed_sql()}, {columns} FROM (SELECT 1 AS one) AS one"  # noqa: S608
        f" LEFT JOIN {token} t ON t.{sql.column(FakeToken, 'token')} = %s"
        f" AND t.{sql.column(FakeToken, 'expires_at')} > %s"
        f" LEFT JOIN {merchant} m ON m.{sql.column(FakeMerchant, 'id')} = t.{sql.column(FakeToken, 'merchant')}"
    )


def endpoint(*methods: str, authenticated: bool = True) -> Callable:
    """Wrap a fake MAPI view: injected faults first, then method check, bearer auth and Problem handling."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if authenticated:
                armed, merchant = faults_and_merchant(request)
                fault = consume(request, service="friendbuy") if armed else None
            else:
                fault = fault_response(request, service="friendbuy")
            if fault is not None:
                return fault
            if request.method not in methods:
                return error_response(405, f"Method {request.method} not allowed on {request.path}")
            if authenticated:
                if merchant is None:
                    return error_response(401, "Unauthorized", error="Unauthorized")
                kwargs["merchant"] = merchant
            try:
                return view(request, *args, **kwargs)
            except Problem as problem:
                return error_response(problem.status, problem.message)

        return wrapper

    return decorator
