"""BigCommerce REST client (v2 and v3) and the OAuth token exchange.

Knows HTTP and the documented API shapes, nothing of this app's domain: it imports no models.
Retries, timeouts and the per-attempt log live in storefront.http.HttpTransport; this module adds
the BigCommerce specifics: the X-Auth-Token header, the store's rate budget shared by every process
(storefront.rate_budget, fed by the X-Rate-Limit-* headers), waiting `X-Rate-Limit-Time-Reset-Ms` on 429,
the three error-body shapes, v2 page/limit paging, v3 page and cursor paging, and v2's decimal
strings and RFC-2822 dates turned into Decimal and aware datetimes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import requests
from django.conf import settings

from .http import HttpError, HttpTransport, Recorder
from .rate_budget import RateBudget
from .redaction import scrub, scrub_data, secrets_remember

SERVICE = "bigcommerce"
V2_MAX_LIMIT = 250
V3_MAX_LIMIT = 250

# Money fields of v2 orders, order products, order coupons, shipping addresses and fees: the API
# sends them as decimal strings ("225.0000"), sometimes as bare numbers (order coupons' amount).
MONEY_KEYS = frozenset(
    {
        # orders
        "subtotal_ex_tax",
        "subtotal_inc_tax",
        "subtotal_tax",
        "base_shipping_cost",
        "shipping_cost_ex_tax",
        "shipping_cost_inc_tax",
        "shipping_cost_tax",
        "base_handling_cost",
        "handling_cost_ex_tax",
        "handling_cost_inc_tax",
        "handling_cost_tax",
        "base_wrapping_cost",
        "wrapping_cost_ex_tax",
        "wrapping_cost_inc_tax",
        "wrapping_cost_tax",
        "total_ex_tax",
        "total_inc_tax",
        "total_tax",
        "discount_amount",
        "coupon_discount",
        "store_credit_amount",
        "gift_certificate_amount",
        "refunded_amount",
        "currency_exchange_rate",
        "store_default_to_transactional_exchange_rate",
        # order products
        "base_price",
        "price_ex_tax",
        "price_inc_tax",
        "price_tax",
        "base_total",
        "discounted_total_inc_tax",
        "base_cost_price",
        "cost_price_inc_tax",
        "cost_price_ex_tax",
        "cost_price_tax",
        "refund_amount",
        "fixed_shipping_cost",
        # order coupons, applied discounts
        "amount",
        "discount",
        # shipping addresses, fees
        "base_cost",
        "cost_ex_tax",
        "cost_inc_tax",
        "cost_tax",
        "cost_exc_tax",
    }
)
DATE_KEYS = frozenset({"date_created", "date_modified", "date_shipped"})
# GET /v2/orders/{id} with its consignments and their line items, in the object structure (orders.v2
# `order_includes`, `consignment_structure`; without the latter BigCommerce answers a legacy structure).
ORDER_WITH_CONSIGNMENTS = {"include": "consignments.line_items", "consignment_structure": "object"}


# --- errors -------------------------------------------------------------------------------------


class BigCommerceError(HttpError):
    """A BigCommerce call that failed; `.title` and `.errors` keep what the API said."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: Any = None,
        retryable: bool = False,
        title: str = "",
        errors: Any = None,
    ):
        super().__init__(message, status=status, body=body, retryable=retryable)
        self.title = scrub(title)
        self.errors = scrub_data(errors) if errors is not None else {}


class BigCommerceAuthError(BigCommerceError):
    """401 (token invalid or revoked) or 403 (scope missing)."""


class BigCommerceNotFound(BigCommerceError):
    """404."""


class BigCommerceConflict(BigCommerceError):
    """409."""


class BigCommerceInvalid(BigCommerceError):
    """400, 405, 413 or 422: the request itself is wrong; retrying won't help."""


class BigCommerceRateLimited(BigCommerceError):
    """429 still answered after every retry."""


class BigCommerceServerError(BigCommerceError):
    """5xx, or no response at all (timeouts, connection errors), after the transport's safe retries
    (a POST that may have arrived is not resent there: the caller's layer retries it)."""


def describe_error_body(body: Any) -> tuple[str, Any]:
    """(title, errors) from any of BigCommerce's error shapes.

    v3: {status, title, type, errors: {field: msg}}; refunds wrap it as {data: [{status, title, type}]};
    promotions answer {errors: [{status, title}]}; v2 answers [{status, message}].
    """
    if isinstance(body, list):
        messages = [
            str(item.get("message") or item.get("title") or item) for item in body if isinstance(item, dict)
        ]
        return "; ".join(messages), body
    if not isinstance(body, dict):
        return (str(body)[:300] if body else ""), {}
    if isinstance(body.get("data"), list) and body["data"] and isinstance(body["data"][0], dict):
        items = body["data"]
        titles = [str(i.get("title") or i.get("error") or i.get("message") or "") for i in items]
        return "; ".join(t for t in titles if t), items
    errors = body.get("errors")
    title = str(body.get("title") or body.get("message") or body.get("error") or "")
    if isinstance(errors, list):
        titles = [
            str(e.get("title") or e.get("message") or e) if isinstance(e, dict) else str(e) for e in errors
        ]
        title = title or "; ".join(titles)
    if body.get("detail"):
        title = f"{title}: {body['detail']}" if title else str(body["detail"])
    return title, errors if errors is not None else {}


def _error_class(status: int) -> type[BigCommerceError]:
    if status in (401, 403):
        return BigCommerceAuthError
    if status == 404:
        return BigCommerceNotFound
    if status == 409:
        return BigCommerceConflict
    if status == 429:
        return BigCommerceRateLimited
    if status >= 500:
        return BigCommerceServerError
    return BigCommerceInvalid


def _raise_for(response: requests.Response, method: str, path: str) -> None:
    if response.status_code < 400:
        return
    body = _parse(response)
    title, errors = describe_error_body(body)
    status = response.status_code
    detail = title
    if isinstance(errors, dict) and errors:
        detail = f"{title} ({', '.join(f'{k}: {v}' for k, v in errors.items())})"
    cls = _error_class(status)
    raise cls(
        f"BigCommerce {method} {path} → {status}: {detail or response.reason or 'error'}",
        status=status,
        body=body,
        retryable=cls in (BigCommerceRateLimited, BigCommerceServerError),
        title=title,
        errors=errors,
    )


# --- parsing helpers ----------------------------------------------------------------------------


def _parse(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        return response.text


def parse_money(value: Any) -> Decimal:
    """A v2 money value ("225.0000", 5, 5.5, None or "") as a Decimal; empty means zero."""
    if value is None or value == "":
        return Decimal("0")
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"Not a money value: {value!r}") from exc


def parse_rfc2822(value: Any) -> datetime | None:
    """A v2 date ("Tue, 05 Mar 2019 21:40:11 +0000") as an aware datetime; empty string means None."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    return parsedate_to_datetime(str(value))


def _convert_v2(value: Any, *, top: bool = True) -> Any:
    """Money fields to Decimal (at any depth), dates to datetimes (on the resource itself)."""
    if isinstance(value, list):
        return [_convert_v2(item, top=top) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key in MONEY_KEYS and isinstance(item, (str, int, float, Decimal)) and not isinstance(item, bool):
            try:
                out[key] = parse_money(item)
            except ValueError:
                out[key] = item
        elif top and key in DATE_KEYS and isinstance(item, str):
            out[key] = parse_rfc2822(item)
        elif isinstance(item, (dict, list)):
            out[key] = _convert_v2(item, top=False)
        else:
            out[key] = item
    return out


def _rate_limit_wait(response: requests.Response) -> float | None:
    """BigCommerce says how long until the quota refills; wait exactly that (in seconds)."""
    reset_ms = response.headers.get("X-Rate-Limit-Time-Reset-Ms")
    try:
        return max(0.0, int(reset_ms) / 1000) if reset_ms is not None else None
    except ValueError:
        return None


def _send(transport: HttpTransport, method: str, path: str, **kwargs) -> requests.Response:
    try:
        response = transport.request(method, path, rate_limit_wait=_rate_limit_wait, **kwargs)
    except BigCommerceError:
        raise
    except HttpError as exc:
        raise BigCommerceServerError(str(exc), retryable=True) from exc
    _raise_for(response, method, path)
    return response


# --- OAuth --------------------------------------------------------------------------------------


def exchange_token(
    *,
    code: str,
    scope: str,
    context: str,
    redirect_uri: str,
    recorder: Recorder | None = None,
    transport: HttpTransport | None = None,
) -> dict:
    """POST /oauth2/token (reference §1.2): the install callback's code for the store's access token.

    The call log and the logs never show client_secret, code or access_token: redacted by key, and
    the code (single-use, but a live credential until exchanged) and the token scrubbed by value.
    """
    secrets_remember((code, settings.BIGCOMMERCE_CLIENT_SECRET))
    store_hash = context.split("/", 1)[1] if context.startswith("stores/") else ""
    transport = transport or HttpTransport(
        service=SERVICE,
        base_url=settings.BIGCOMMERCE_LOGIN_URL,
        recorder=recorder,
        store_hash=store_hash,
        redact_keys=frozenset({"code"}),
        secrets=(code, settings.BIGCOMMERCE_CLIENT_SECRET),
    )
    body = {
        "client_id": settings.BIGCOMMERCE_CLIENT_ID,
        "client_secret": settings.BIGCOMMERCE_CLIENT_SECRET,
        "code": code,
        "context": context,
        "scope": scope,
        "grant_type": "authorization_code",
        "redirect_uri": redirect_uri,
    }
    response = _send(
        transport, "POST", "/oauth2/token", json_body=body, headers={"Accept": "application/json"}
    )
    return _parse(response)


# --- the REST client ----------------------------------------------------------------------------


class BigCommerceClient:
    """One store's REST API. Methods return plain dicts (v3 `data` unwrapped)."""

    def __init__(
        self,
        *,
        store_hash: str,
        access_token: str,
        recorder: Recorder | None = None,
        transport: HttpTransport | None = None,
        secrets: tuple[str, ...] = (),
    ):
        """`secrets`: the store's other secrets its calls may carry (the webhook secret of its hooks),
        scrubbed from the call log with the token."""
        self.store_hash = store_hash
        secrets_remember((access_token, *secrets))
        # BigCommerce's OpenAPI files declare Accept and Content-Type as required headers on every REST
        # operation, GETs included, so both go on every call (a body-less GET is unaffected by them).
        self._headers = {"X-Auth-Token": access_token, "Accept": "application/json",
                         "Content-Type": "application/json"}
        self.transport = transport or HttpTransport(
            service=SERVICE,
            base_url=f"{settings.BIGCOMMERCE_API_URL}/stores/{store_hash}",
            recorder=recorder,
            store_hash=store_hash,
            secrets=(access_token, *secrets),
            # The store's quota is shared by every process of ours (and other apps): one budget for all.
            budget=RateBudget.for_store(store_hash),
        )

    def __repr__(self) -> str:  # never show the token
        return f"<BigCommerceClient store_hash={self.store_hash!r}>"

    # low level

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """`path` starts with /v2/ or /v3/. Raises a typed BigCommerceError on any status ≥ 400.

        `idempotent=False` keeps the transport from resending a PUT after a 5xx or a read timeout (a
        whole-value write such as store credit, where a late resend could overwrite a newer value)."""
        return _send(self.transport, method, path, params=params, json_body=json_body, headers=self._headers,
                     idempotent=idempotent)

    def _v2(self, method: str, path: str, **kwargs) -> Any:
        response = self.request(method, f"/v2{path}", **kwargs)
        if response.status_code == 204:
            return None
        return _convert_v2(_parse(response))

    def _v3(self, method: str, path: str, **kwargs) -> Any:
        response = self.request(method, f"/v3{path}", **kwargs)
        if response.status_code == 204:
            return None
        body = _parse(response)
        return body.get("data") if isinstance(body, dict) and "data" in body else body

    def iter_v2(
        self, path: str, *, params: Mapping[str, Any] | None = None, limit: int = V2_MAX_LIMIT
    ) -> Iterator[dict]:
        """v2 page/limit paging: stop on 204, an empty list or a short page. One page in memory."""
        limit = max(1, min(int(limit), V2_MAX_LIMIT))
        page = 1
        while True:
            items = self._v2("GET", path, params={**(params or {}), "page": page, "limit": limit})
            if not items:
                return
            yield from items
            if len(items) < limit:
                return
            page += 1

    def iter_v3(
        self, path: str, *, params: Mapping[str, Any] | None = None, limit: int = V3_MAX_LIMIT
    ) -> Iterator[dict]:
        """v3 page paging driven by meta.pagination (current_page/total_pages)."""
        page = 1
        while True:
            response = self.request(
                "GET", f"/v3{path}", params={**(params or {}), "page": page, "limit": limit}
            )
            if response.status_code == 204:
                return
            body = _parse(response) or {}
            items = body.get("data") or []
            yield from items
            pagination = (body.get("meta") or {}).get("pagination") or {}
            current = int(pagination.get("current_page") or page)
            total_pages = int(pagination.get("total_pages") or 0)
            if not items or current >= total_pages:
                return
            page = current + 1

    def iter_v3_cursor(
        self, path: str, *, params: Mapping[str, Any] | None = None, limit: int = V3_MAX_LIMIT
    ) -> Iterator[dict]:
        """v3 cursor paging (meta.cursor_pagination): follow `after=end_cursor` while a next link exists."""
        after = None
        while True:
            query = {**(params or {}), "limit": limit}
            if after:
                query["after"] = after
            response = self.request("GET", f"/v3{path}", params=query)
            if response.status_code == 204:
                return
            body = _parse(response) or {}
            items = body.get("data") or []
            yield from items
            cursor = (body.get("meta") or {}).get("cursor_pagination") or {}
            after = cursor.get("end_cursor")
            if not items or not after or not (cursor.get("links") or {}).get("next"):
                return

    # v2 orders

    def get_order(self, order_id: int) -> dict:
        return self._v2("GET", f"/orders/{int(order_id)}")

    def get_order_with_consignments(self, order_id: int) -> dict:
        """The order with `consignments` (pickups, shipping, downloads, email.gift_certificates), each
        consignment's `line_items` the objects /orders/{id}/products answers: one call for three.

        BigCommerce embeds at most 50 line items per consignment (it adds a `__warning__` when it cuts),
        and answers another structure when it ignores the include; checking that the answer is whole is
        the caller's job.
        """
        return self._v2("GET", f"/orders/{int(order_id)}", params=ORDER_WITH_CONSIGNMENTS)

    def iter_order_products(self, order_id: int) -> Iterator[dict]:
        return self.iter_v2(f"/orders/{int(order_id)}/products")

    def get_order_coupons(self, order_id: int) -> list[dict]:
        return list(self.iter_v2(f"/orders/{int(order_id)}/coupons"))

    def get_order_shipping_addresses(self, order_id: int) -> list[dict]:
        return list(self.iter_v2(f"/orders/{int(order_id)}/shipping_addresses"))

    def iter_orders(
        self,
        *,
        min_date_created: str | datetime | None = None,
        min_id: int | None = None,
        status_id: int | None = None,
        limit: int = V2_MAX_LIMIT,
        **filters,
    ) -> Iterator[dict]:
        """All matching orders, oldest id first. Dates may be datetimes (sent as RFC-2822) or strings."""
        # "id" alone: the spec's `sort` enum has no ":asc" form (only its prose mentions one), and
        # ascending is BigCommerce's default direction.
        params: dict[str, Any] = {"sort": "id", **filters}
        if min_date_created is not None:
            params["min_date_created"] = _format_v2_date(min_date_created)
        if min_id is not None:
            params["min_id"] = int(min_id)
        if status_id is not None:
            params["status_id"] = int(status_id)
        return self.iter_v2("/orders", params=params, limit=limit)

    def count_orders(self, **filters) -> int:
        body = self._v2("GET", "/orders/count", params=filters or None)
        return int((body or {}).get("count") or 0)

    def update_order(self, order_id: int, **fields) -> dict:
        return self._v2("PUT", f"/orders/{int(order_id)}", json_body=fields)

    # v3 orders: transactions and refunds

    def get_order_transactions(self, order_id: int) -> list[dict]:
        return self._v3("GET", f"/orders/{int(order_id)}/transactions") or []

    def list_order_refunds(self, order_id: int) -> list[dict]:
        return self._v3("GET", f"/orders/{int(order_id)}/payment_actions/refunds") or []

    def get_refund(self, refund_id: int) -> dict:
        return self._v3("GET", f"/orders/payment_actions/refunds/{int(refund_id)}")

    # customers v3

    def get_customer(self, customer_id: int, *, include: tuple[str, ...] = ()) -> dict | None:
        """One customer; `include` names sub-resources (e.g. "storecredit" for store_credit_amounts)."""
        params: dict[str, Any] = {"id:in": int(customer_id)}
        if include:
            params["include"] = ",".join(include)
        found = self._v3("GET", "/customers", params=params) or []
        return found[0] if found else None

    def get_store_credit(self, customer_id: int) -> list[Decimal] | None:
        """The customer's store_credit_amounts as Decimals (None when there is no such customer)."""
        customer = self.get_customer(customer_id, include=("storecredit",))
        if customer is None:
            return None
        return [parse_money(item.get("amount")) for item in customer.get("store_credit_amounts") or []]

    def set_store_credit(self, customer_id: int, amounts: list[Decimal]) -> dict | None:
        """PUT the customer's whole store_credit_amounts. Never resent by the transport: the caller's
        ledger decides whether a write whose answer was lost landed (see referrals' store credit)."""
        body = [{"id": int(customer_id),
                 "store_credit_amounts": [{"amount": float(Decimal(a).quantize(Decimal("0.01")))} for a in amounts]}]
        found = self._v3("PUT", "/customers", json_body=body, idempotent=False) or []
        return found[0] if found else None

    def iter_customers(self, **filters) -> Iterator[dict]:
        return self.iter_v3("/customers", params=filters)

    def find_customers_by_email(self, email: str) -> list[dict]:
        return self._v3("GET", "/customers", params={"email:in": email}) or []

    def get_customers(self, customer_ids: list[int]) -> list[dict]:
        """Up to V3_MAX_LIMIT customers by id in one call (missing ids are simply absent)."""
        ids = ",".join(str(int(i)) for i in customer_ids[:V3_MAX_LIMIT])
        return self._v3("GET", "/customers", params={"id:in": ids, "limit": V3_MAX_LIMIT}) if ids else []

    def update_customers(self, items: list[dict]) -> list[dict]:
        """Batch PUT /v3/customers (each item names its `id`); BigCommerce takes at most 10 per call."""
        return self._v3("PUT", "/customers", json_body=list(items)) or []

    def set_customer_group(self, customer_id: int, customer_group_id: int) -> dict | None:
        """Move a customer into a customer group (0 = no group)."""
        found = self.update_customers([{"id": int(customer_id), "customer_group_id": int(customer_group_id)}])
        return found[0] if found else None

    def iter_form_field_values(self, *, field_name: str) -> Iterator[dict]:
        """Customer (and address) form-field values of one field: {name, value, customer_id|address_id}."""
        return self.iter_v3("/customers/form-field-values", params={"field_name": field_name})

    def find_customer_attribute(self, name: str) -> dict | None:
        found = self._v3("GET", "/customers/attributes", params={"name": name}) or []
        return found[0] if found else None

    def iter_attribute_values(self, *, attribute_id: int) -> Iterator[dict]:
        return self.iter_v3("/customers/attribute-values", params={"attribute_id:in": int(attribute_id)})

    # customer groups v2, subscribers v3

    def iter_customer_groups(self) -> Iterator[dict]:
        return self.iter_v2("/customer_groups")

    def get_subscriber(self, subscriber_id: int) -> dict | None:
        """A newsletter subscriber, or None when BigCommerce no longer has it (404)."""
        try:
            return self._v3("GET", f"/customers/subscribers/{int(subscriber_id)}")
        except BigCommerceNotFound:
            return None

    # catalog v3 (products_catalog.v3.yml): products and their reviews, for the product_review earning scan

    def list_products_after(self, *, id_min: int, limit: int = V3_MAX_LIMIT) -> list[dict]:
        """One page of products with id ≥ id_min in id order, each only {id, reviews_count} (include_fields),
        so a caller can walk the catalog by id and skip products nobody reviewed."""
        return self._v3("GET", "/catalog/products", params={
            "id:min": int(id_min), "sort": "id", "direction": "asc", "include_fields": "reviews_count",
            "page": 1, "limit": int(limit)}) or []

    def list_approved_reviews(self, product_id: int, *, page: int, limit: int = V3_MAX_LIMIT) -> tuple[list[dict], int]:
        """One page of a product's approved reviews (`status=1`) and the number of pages; ([], 0) when the
        product has no review (204) or no longer exists (404)."""
        try:
            response = self.request("GET", f"/v3/catalog/products/{int(product_id)}/reviews",
                                    params={"status": 1, "page": int(page), "limit": int(limit)})
        except BigCommerceNotFound:
            return [], 0
        if response.status_code == 204:
            return [], 0
        body = _parse(response) or {}
        pagination = (body.get("meta") or {}).get("pagination") or {}
        return list(body.get("data") or []), int(pagination.get("total_pages") or 0)

    # store information v2, channels and sites v3

    def get_store_information(self) -> dict:
        """GET /v2/store: secure_url, domain, default_channel_id, features… (store_information.v2.yml)."""
        return self._v2("GET", "/store")

    def iter_channels(self, *, types: tuple[str, ...] = (), statuses: tuple[str, ...] = ()) -> Iterator[dict]:
        """The store's channels (channel 1 is always there), filtered by `type:in` and `status:in`."""
        params: dict[str, Any] = {}
        if types:
            params["type:in"] = ",".join(types)
        if statuses:
            params["status:in"] = ",".join(statuses)
        return self.iter_v3("/channels", params=params)

    def get_channel(self, channel_id: int) -> dict | None:
        """One channel, or None when the store has no such channel (404)."""
        try:
            return self._v3("GET", f"/channels/{int(channel_id)}")
        except BigCommerceNotFound:
            return None

    def get_channel_site(self, channel_id: int) -> dict | None:
        """The channel's site (url, urls[] by type), or None when it has none (404)."""
        try:
            return self._v3("GET", f"/channels/{int(channel_id)}/site")
        except BigCommerceNotFound:
            return None

    def iter_sites(self, *, channel_ids: list[int] | None = None, limit: int = V3_MAX_LIMIT) -> Iterator[dict]:
        """Sites of the given channels (all when None). /sites pages by meta.pagination offset, limit and
        total_items (sites.v3.yml `Meta`), not by current_page/total_pages like the other v3 lists."""
        params: dict[str, Any] = {"limit": limit}
        if channel_ids is not None:
            if not channel_ids:
                return
            params["channel_id:in"] = ",".join(str(int(i)) for i in channel_ids)
        page = 1
        while True:
            response = self.request("GET", "/v3/sites", params={**params, "page": page})
            if response.status_code == 204:
                return
            body = _parse(response) or {}
            items = body.get("data") or []
            yield from items
            pagination = (body.get("meta") or {}).get("pagination") or {}
            seen = int(pagination.get("offset") or (page - 1) * limit) + len(items)
            if not items or len(items) < limit or seen >= int(pagination.get("total_items") or 0):
                return
            page += 1

    # hooks v3

    def list_hooks(self) -> list[dict]:
        return list(self.iter_v3("/hooks"))

    def create_hook(
        self, *, scope: str, destination: str, headers: Mapping[str, str] | None, is_active: bool = True
    ) -> dict:
        body = {
            "scope": scope,
            "destination": destination,
            "is_active": is_active,
            "headers": dict(headers or {}),
        }
        return self._v3("POST", "/hooks", json_body=body)

    def update_hook(self, hook_id: int, **fields) -> dict:
        return self._v3("PUT", f"/hooks/{int(hook_id)}", json_body=fields)

    def delete_hook(self, hook_id: int) -> dict:
        return self._v3("DELETE", f"/hooks/{int(hook_id)}")

    # scripts v3

    def list_scripts(self) -> list[dict]:
        return list(self.iter_v3("/content/scripts"))

    def create_script(self, **fields) -> dict:
        return self._v3("POST", "/content/scripts", json_body=fields)

    def update_script(self, uuid: str, **fields) -> dict:
        return self._v3("PUT", f"/content/scripts/{uuid}", json_body=fields)

    def delete_script(self, uuid: str) -> None:
        self._v3("DELETE", f"/content/scripts/{uuid}")

    # promotions v3

    def create_promotion(self, body: dict) -> dict:
        return self._v3("POST", "/promotions", json_body=body)

    def get_promotion(self, promotion_id: int) -> dict:
        return self._v3("GET", f"/promotions/{int(promotion_id)}")

    def update_promotion(self, promotion_id: int, body: dict) -> dict:
        return self._v3("PUT", f"/promotions/{int(promotion_id)}", json_body=body)

    def iter_promotions(self, **filters) -> Iterator[dict]:
        return self.iter_v3("/promotions", params=filters)

    def create_coupon_code(
        self, promotion_id: int, *, code: str, max_uses: int = 1, max_uses_per_customer: int = 1
    ) -> dict:
        body = {"code": code, "max_uses": max_uses, "max_uses_per_customer": max_uses_per_customer}
        return self._v3("POST", f"/promotions/{int(promotion_id)}/codes", json_body=body)

    def codegen(
        self,
        promotion_id: int,
        *,
        batch_size: int,
        max_uses: int = 1,
        max_uses_per_customer: int = 1,
        prefix: str | None = None,
        delimiter: str | None = None,
        code_length: int | None = None,
        exclude_characters: list[str] | None = None,
    ) -> dict:
        body: dict[str, Any] = {
            "batch_size": batch_size,
            "max_uses": max_uses,
            "max_uses_per_customer": max_uses_per_customer,
        }
        optional = {
            "prefix": prefix,
            "delimiter": delimiter,
            "code_length": code_length,
            "exclude_characters": exclude_characters,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        return self._v3("POST", f"/promotions/{int(promotion_id)}/codegen", json_body=body)

    def iter_coupon_codes(self, promotion_id: int, *, code: str | None = None) -> Iterator[dict]:
        params = {"code": code} if code else None
        return self.iter_v3_cursor(f"/promotions/{int(promotion_id)}/codes", params=params)

    def find_coupon_code(self, code: str) -> dict | None:
        found = self._v3("GET", "/promotions/codes", params={"code": code}) or []
        # The lookup filters by code; compare case-insensitively, as storefront redemption does.
        return next((c for c in found if str(c.get("code", "")).upper() == code.upper()), None)

    def delete_coupon_code(self, promotion_id: int, code_id: int) -> None:
        self._v3("DELETE", f"/promotions/{int(promotion_id)}/codes/{int(code_id)}")

    # gift certificates v2 (marketing.v2): amounts stay decimal strings converted to Decimal

    def iter_gift_certificates(self, **filters) -> Iterator[dict]:
        return self.iter_v2("/gift_certificates", params=filters)

    def find_gift_certificate(self, code: str) -> dict | None:
        """The certificate with this code (BigCommerce keeps a code's first 20 characters)."""
        found = self._v2("GET", "/gift_certificates", params={"code": code}) or []
        wanted = code[:20].upper()
        return next((c for c in found if str(c.get("code", "")).upper() == wanted), None)

    def get_gift_certificate(self, certificate_id: int) -> dict:
        return self._v2("GET", f"/gift_certificates/{int(certificate_id)}")

    def create_gift_certificate(self, body: dict) -> dict:
        """POST /gift_certificates: to_name, to_email, from_name, from_email and amount are required;
        BigCommerce sends no email for a certificate created through the API."""
        return self._v2("POST", "/gift_certificates", json_body=body)

    def update_gift_certificate(self, certificate_id: int, body: dict) -> dict:
        """PUT /gift_certificates/{id}: the spec requires the same five fields as the POST."""
        return self._v2("PUT", f"/gift_certificates/{int(certificate_id)}", json_body=body)

    def delete_gift_certificate(self, certificate_id: int) -> None:
        self._v2("DELETE", f"/gift_certificates/{int(certificate_id)}")


def _format_v2_date(value: str | datetime) -> str:
    if isinstance(value, datetime):
        return format_datetime(value)
    return value
