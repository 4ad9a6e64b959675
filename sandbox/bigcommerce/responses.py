"""The fake's HTTP edge: fault injection, X-Auth-Token check, rate limits, error shapes, paging.

Every view is wrapped by `endpoint()`, which answers injected faults first (sandbox.faults), then
checks the token the way the real gateway does (401 before anything else), then counts the request
against the store's quota (sandbox.bigcommerce.rate_limits: 429 past it) and adds the rate-limit
headers BigCommerce sends on every response. The faults check, the store and, for the
order endpoints, the order's document come from one query (gateway.lookup).
"""

import json
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from sandbox.faults import consume
from storefront.scopes import scope_satisfied

from .gateway import lookup
from .rate_limits import rate_limit_count

STATUS_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"
MISSING_SCOPE = "You don't have a required scope to access the endpoint"
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
# On answers given before a store's quota is counted (injected faults, a bad token).
RATE_LIMIT_HEADERS = {
    "X-Rate-Limit-Time-Window-Ms": "30000",
    "X-Rate-Limit-Time-Reset-Ms": "15000",
    "X-Rate-Limit-Requests-Quota": "150",
    "X-Rate-Limit-Requests-Left": "149",
}


class BadRequest(Exception):
    """Raised inside a view to answer with an error body."""

    def __init__(self, response: HttpResponse):
        super().__init__(response.status_code)
        self.response = response


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def json_response(body: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body, default=_default), status=status, content_type="application/json")


def no_content() -> HttpResponse:
    return HttpResponse(status=204)


def v3_error(status: int, title: str, errors: dict | None = None) -> HttpResponse:
    body: dict[str, Any] = {"status": status, "title": title, "type": STATUS_TYPE}
    if errors is not None:
        body["errors"] = errors
    return json_response(body, status)


def v2_error(status: int, message: str) -> HttpResponse:
    return json_response([{"status": status, "message": message}], status)


def promotions_error(status: int, title: str) -> HttpResponse:
    """promotions.v3.yml ErrorResponse: {errors: [{status, title}]}."""
    return json_response({"errors": [{"status": status, "title": title, "type": STATUS_TYPE}]}, status)


def read_json(request: HttpRequest, *, version: str = "v3") -> Any:
    try:
        return json.loads(request.body or b"null", parse_float=Decimal)
    except ValueError:
        if version == "v2":
            raise BadRequest(v2_error(400, "The request body is not valid JSON.")) from None
        raise BadRequest(v3_error(400, "Input is invalid.")) from None


def with_rate_limit_headers(response: HttpResponse) -> HttpResponse:
    for name, value in RATE_LIMIT_HEADERS.items():
        if not response.has_header(name):
            response[name] = value
    return response


def _with(response: HttpResponse, headers: dict[str, str]) -> HttpResponse:
    for name, value in headers.items():
        response[name] = value
    return response


def endpoint(
    *,
    version: str,
    methods: tuple[str, ...],
    order_fields: tuple[str, ...] | Callable[[HttpRequest], tuple[str, ...]] = (),
    scope: str | tuple[str, ...] | None = None,
) -> Callable:
    """Wrap a view `fn(request, store, **kwargs)` with faults, auth, scope, method check and headers.

    `scope` is the resource's modify scope (e.g. "store_v2_orders"): a write needs it, a read it or its
    `_read_only` twin, else 403 as BigCommerce answers a token without the scope. A tuple: any one of
    them will do (the spec's "requires at least one of"). None: no scope needed (webhooks).

    With `order_fields` (FakeOrder fields, or a function of the request naming them) the view also gets
    `found`: those fields of the order its `order_id` names, by name, read in the same query as the
    store, or None when the store has no such order.
    """

    def decorator(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, store_hash: str, **kwargs) -> HttpResponse:
            fields = order_fields(request) if callable(order_fields) else order_fields
            found = lookup(
                store_hash=store_hash,
                order_id=kwargs.get("order_id") if fields else None,
                order_fields=fields,
            )
            if found.faults_armed:
                injected = consume(request, service="bigcommerce")
                if injected is not None:
                    return with_rate_limit_headers(injected)
            store = found.store
            token = request.headers.get("X-Auth-Token", "")
            if (
                store is None
                or not store.access_token
                or not constant_time_compare(token, store.access_token)
            ):
                if version == "v2":
                    return with_rate_limit_headers(
                        v2_error(401, "You are not authorized to access this resource.")
                    )
                return with_rate_limit_headers(
                    v3_error(
                        401,
                        "Unauthorized - the v3 Auth client ID or token in the request are not a valid "
                        "combination for this store.",
                    )
                )
            limits, over_quota = rate_limit_count(store)
            if over_quota:
                response = (v2_error if version == "v2" else v3_error)(429, "Too many requests.")
                return with_rate_limit_headers(_with(response, limits))
            if scope is not None and not scope_granted(store, scope, write=request.method in WRITE_METHODS):
                return _with((v2_error if version == "v2" else v3_error)(403, MISSING_SCOPE), limits)
            if request.method not in methods:
                response = (v2_error if version == "v2" else v3_error)(405, "Method not allowed.")
                response["Allow"] = ", ".join(methods)
                return _with(response, limits)
            if fields:
                kwargs["found"] = found.order
            try:
                response = view(request, store, **kwargs)
            except BadRequest as exc:
                response = exc.response
            return _with(response, limits)

        return wrapped

    return decorator


def has_scope(store, needed: str) -> bool:
    """Was the store's token granted `needed` (a modify scope covers its read-only twin)?"""
    return scope_satisfied(needed=needed, granted=frozenset((store.scope or "").split()))


def scope_granted(store, families: str | tuple[str, ...], *, write: bool) -> bool:
    """A write needs one of the modify scopes, a read one of them or its read-only twin."""
    names = (families,) if isinstance(families, str) else families
    return any(has_scope(store, name if write else f"{name}_read_only") for name in names)


def int_param(
    request: HttpRequest, name: str, default: int | None = None, *, version: str = "v3"
) -> int | None:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        if version == "v2":
            raise BadRequest(v2_error(400, f"The field '{name}' is invalid.")) from None
        raise BadRequest(v3_error(422, "The filter(s) are invalid.", {name: "must be an integer"})) from None


def id_list(request: HttpRequest, name: str) -> list[int] | None:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return None
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise BadRequest(v3_error(422, "The filter(s) are invalid.", {name: "must be integers"})) from None


def page_and_limit(request: HttpRequest, *, default_limit: int = 50) -> tuple[int, int]:
    page = int_param(request, "page", 1) or 1
    limit = int_param(request, "limit", default_limit) or default_limit
    if page < 1 or limit < 1 or limit > 250:
        raise BadRequest(v3_error(422, "The filter(s) are invalid.", {"limit": "must be between 1 and 250"}))
    return page, limit


def paginate(items: list, *, page: int, limit: int) -> tuple[list, dict]:
    """One page and the v3 `meta.pagination` object that describes it."""
    total = len(items)
    total_pages = (total + limit - 1) // limit if total else 0
    chunk = items[(page - 1) * limit : page * limit]
    links: dict[str, str] = {"current": f"?page={page}&limit={limit}"}
    if page > 1:
        links["previous"] = f"?page={page - 1}&limit={limit}"
    if page < total_pages:
        links["next"] = f"?page={page + 1}&limit={limit}"
    return chunk, {
        "pagination": {
            "total": total,
            "count": len(chunk),
            "per_page": limit,
            "current_page": page,
            "total_pages": total_pages,
            "links": links,
        }
    }
