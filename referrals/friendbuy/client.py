"""Friendbuy Merchant API (MAPI) v1 client: bearer-token auth, typed errors, retries, pagination.

Knows HTTP and the MAPI contract (reference/friendbuy.md §2) and nothing of the domain: it imports
no models. The token cache is injected (`TokenCache`), so the DB-backed cache lives in
`referrals.friendbuy.clients` and every process shares one token per connection.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, Protocol

import requests
from django.conf import settings
from django.utils import timezone

from storefront.http import HttpError, HttpTransport, Recorder
from storefront.redaction import scrub, secret_remember, secrets_remember

logger = logging.getLogger(__name__)

SERVICE = "friendbuy"
# Refresh this long before `expires` so a token never dies in flight (reference §9.2).
TOKEN_REFRESH_MARGIN = timedelta(seconds=60)
ANALYTICS_KINDS = frozenset(
    {
        "widget-views",
        "shares",
        "clicks",
        "account-sign-ups",
        "purchases",
        "distributed-advocate-rewards",
        "distributed-friend-incentives",
        "email-captures",
    }
)


class FriendbuyError(HttpError):
    """A MAPI call that failed; carries Friendbuy's error name, message and support `reference`."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: Any = None,
        retryable: bool = False,
        error: str = "",
        detail: str = "",
        reference: str = "",
    ):
        super().__init__(message, status=status, body=body, retryable=retryable)
        self.error = scrub(error)
        self.detail = scrub(detail)
        self.reference = reference


class FriendbuyAuthError(FriendbuyError):
    """401/403: the Merchant API key/secret (or the token made from them) is not accepted."""


class FriendbuyInvalid(FriendbuyError):
    """400/422: Friendbuy refused the payload; retrying the same request cannot help."""


class FriendbuyNotFound(FriendbuyError):
    """404: unknown resource (e.g. an inactive campaign for a referral link)."""


class FriendbuyConflict(FriendbuyError):
    """409 Conflict."""


class FriendbuyRateLimited(FriendbuyError):
    """429 that outlasted every retry."""


class FriendbuyServerError(FriendbuyError):
    """5xx, or no response at all (timeouts, connection errors), after the transport's safe retries
    (a POST that may have arrived is not resent there: the caller's layer retries it)."""


_ERRORS_BY_STATUS: dict[int, type[FriendbuyError]] = {
    400: FriendbuyInvalid,
    401: FriendbuyAuthError,
    403: FriendbuyAuthError,
    404: FriendbuyNotFound,
    409: FriendbuyConflict,
    422: FriendbuyInvalid,
    429: FriendbuyRateLimited,
}


class TokenCache(Protocol):
    """Where the bearer token from /v1/authorization is kept between calls."""

    def get(self) -> tuple[str, datetime] | None: ...

    def set(self, token: str, expires_at: datetime) -> None: ...

    def clear(self) -> None: ...


class MemoryTokenCache:
    """A per-instance token cache for scripts and tests (production: clients.ConnectionTokenCache)."""

    def __init__(self) -> None:
        self._value: tuple[str, datetime] | None = None

    def get(self) -> tuple[str, datetime] | None:
        return self._value

    def set(self, token: str, expires_at: datetime) -> None:
        self._value = (token, expires_at)

    def clear(self) -> None:
        self._value = None

    def __repr__(self) -> str:
        # Never show the token itself.
        return f"MemoryTokenCache(cached={self._value is not None})"


def parse_expires(value: str) -> datetime:
    """Parse MAPI's `expires` ("2020-03-20T22:58:56.588Z") into an aware UTC datetime."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_datetime(value: datetime) -> str:
    """ISO-8601 UTC with milliseconds and Z, e.g. 2021-02-23T01:20:14.000Z (naive values are taken as UTC).

    Milliseconds are kept so a window ending "now" does not drop the current second.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_json(value: Any) -> Any:
    """A copy of a payload that json.dumps accepts: Decimal → number, datetime → ISO string.

    requests serialises `json=` with the stdlib encoder, which refuses Decimal; MAPI wants numbers,
    not strings, and float's shortest repr round-trips 2-decimal amounts exactly ("19.99" → 19.99).
    """
    if isinstance(value, Decimal):
        return (
            int(value)
            if isinstance(value.as_tuple().exponent, int) and value.as_tuple().exponent >= 0
            else float(value)
        )
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def retry_after_seconds(response: requests.Response) -> float | None:
    """Friendbuy documents no rate-limit header; honour a standard Retry-After if one ever appears."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - timezone.now()).total_seconds())


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _is_success(response: requests.Response) -> bool:
    return 200 <= response.status_code < 300


def _body(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text[:2000]


def _error_parts(body: Any) -> tuple[str, str, str]:
    """(error, message, reference) from the documented error body {error, message, code, reference}."""
    if isinstance(body, dict):
        return str(body.get("error") or ""), str(body.get("message") or ""), str(body.get("reference") or "")
    return "", (body if isinstance(body, str) else ""), ""


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


class FriendbuyClient:
    """One Friendbuy merchant's Merchant API, over one HTTP session."""

    def __init__(
        self,
        *,
        api_key: str,
        api_secret: str,
        store_hash: str = "",
        recorder: Recorder | None = None,
        token_cache: TokenCache | None = None,
        base_url: str | None = None,
        transport: HttpTransport | None = None,
        secrets: tuple[str, ...] = (),
    ):
        """`secrets`: the merchant's other secrets (the webhook secret), scrubbed from the call log with
        the key and secret; bearer tokens are scrubbed as the Authorization header sends them."""
        self._api_key = api_key
        self._api_secret = api_secret
        secrets_remember((api_key, api_secret, *secrets))
        self._tokens: TokenCache = token_cache if token_cache is not None else MemoryTokenCache()
        root = (base_url or settings.FRIENDBUY_API_URL).rstrip("/")
        self._transport = transport or HttpTransport(
            service=SERVICE,
            base_url=root if root.endswith("/v1") else f"{root}/v1",
            recorder=recorder,
            store_hash=store_hash,
            secrets=(api_key, api_secret, *secrets),
        )

    def __repr__(self) -> str:
        return f"FriendbuyClient(base_url={self._transport.base_url!r})"

    # -- authentication -------------------------------------------------------------------------

    def authorize(self) -> str:
        """A bearer token: the cached one while it has more than a minute left, else a fresh one."""
        cached = self._tokens.get()
        if cached is not None:
            token, expires_at = cached
            if token and timezone.now() < expires_at - TOKEN_REFRESH_MARGIN:
                return token
        return self._fetch_token()

    def check_credentials(self) -> None:
        """Exchange the key and secret for a token now; raise FriendbuyAuthError if Friendbuy refuses them."""
        self._fetch_token()

    def _fetch_token(self) -> str:
        # A token call changes nothing at Friendbuy, so the transport may repeat it like a GET.
        response = self._send(
            "POST",
            "/authorization",
            json_body={"key": self._api_key, "secret": self._api_secret},
            idempotent=True,
        )
        body = _body(response)
        if response.status_code in (400, 401, 403, 422):
            # Every refusal of /authorization is a credentials problem from the merchant's point of view.
            error, message, reference = _error_parts(body)
            status_text = _status_text(response.status_code)
            redundant = (error, status_text.split(" ", 1)[-1])
            detail = f": {message}" if message and message not in redundant else ""
            raise FriendbuyAuthError(
                f"Friendbuy rejected the Merchant API key and secret "
                f"({status_text}{detail}, reference {reference or 'none'}).",
                status=response.status_code,
                body=body,
                error=error,
                detail=message,
                reference=reference,
            )
        if not _is_success(response):
            raise self._error(response, "POST", "/authorization")
        if not isinstance(body, dict) or not body.get("token") or not body.get("expires"):
            raise FriendbuyServerError(
                "Friendbuy's authorization answer had no token or expiry.",
                status=response.status_code,
                retryable=True,
            )
        try:
            expires_at = parse_expires(str(body["expires"]))
        except ValueError as exc:
            raise FriendbuyServerError(
                "Friendbuy's authorization answer had an unreadable expiry.",
                status=response.status_code,
                retryable=True,
            ) from exc
        secret_remember(str(body["token"]))
        self._tokens.set(str(body["token"]), expires_at)
        logger.info("Friendbuy bearer token obtained; it expires at %s.", expires_at.isoformat())
        return str(body["token"])

    # -- transport ------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        token: str | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        try:
            return self._transport.request(
                method,
                path,
                params=params,
                json_body=to_json(json_body) if json_body is not None else None,
                headers=headers,
                rate_limit_wait=retry_after_seconds,
                idempotent=idempotent,
            )
        except HttpError as exc:
            raise FriendbuyServerError(
                f"Friendbuy {method} {path} got no response: {exc}", retryable=True
            ) from exc

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        none_on_404: bool = False,
        idempotent: bool | None = None,
    ) -> Any:
        """An authenticated call: on 401 the token is dropped, re-fetched once and the call retried once
        (a 401 is refused before anything is done, so any method may be sent again)."""
        send = {"params": params, "json_body": json_body, "idempotent": idempotent}
        response = self._send(method, path, token=self.authorize(), **send)
        if response.status_code == 401:
            logger.warning("Friendbuy answered 401 to %s %s; re-authorizing once and retrying.", method, path)
            self._tokens.clear()
            response = self._send(method, path, token=self._fetch_token(), **send)
        if _is_success(response):
            body = _body(response)
            return body if body is not None else {}
        if none_on_404 and response.status_code == 404:
            return None
        raise self._error(response, method, path)

    def _error(self, response: requests.Response, method: str, path: str) -> FriendbuyError:
        status = response.status_code
        body = _body(response)
        error, message, reference = _error_parts(body)
        cls = FriendbuyServerError if status >= 500 else _ERRORS_BY_STATUS.get(status, FriendbuyError)
        summary = f"Friendbuy {method} {path} failed with {_status_text(status)}"
        explanation = f"{error}: {message}" if error and message and error != message else (message or error)
        summary += f": {explanation}" if explanation else ""
        summary += f" (reference {reference})" if reference else ""
        return cls(
            summary,
            status=status,
            body=body,
            retryable=status == 429 or status >= 500,
            error=error,
            detail=message,
            reference=reference,
        )

    # -- events and profiles (reference §2.5) ----------------------------------------------------

    def track_purchase(self, payload: dict) -> dict:
        """POST /event/purchase → {eventId, createdOn}."""
        return self._call("POST", "/event/purchase", json_body=payload)

    def track_sign_up(self, payload: dict) -> dict:
        """POST /event/account-sign-up → {eventId, createdOn}."""
        return self._call("POST", "/event/account-sign-up", json_body=payload)

    def track_custom_event(self, payload: dict) -> dict:
        """POST /event/custom → {eventId, createdOn}."""
        return self._call("POST", "/event/custom", json_body=payload)

    def upsert_customer(self, payload: dict) -> dict:
        """POST /customer (201 created, 200 updated) → {eventId, createdOn}."""
        return self._call("POST", "/customer", json_body=payload)

    def create_referral_link(self, payload: dict) -> dict:
        """POST /personal-referral-link (create-or-return-existing) → {link, referralCode, createdOn}.

        Create-or-return-existing means a repeat answers the same link, so the transport may resend it.
        """
        return self._call("POST", "/personal-referral-link", json_body=payload, idempotent=True)

    # -- analytics (reference §2.7) --------------------------------------------------------------

    def iter_analytics(
        self, kind: str, *, from_date: datetime, to_date: datetime, page_size: int = 200, **filters: Any
    ) -> Iterator[dict]:
        """Every result of GET /analytics/<kind> in the window, following `nextPageToken` page by page.

        Filters may be given in snake_case (campaign_id) or as MAPI names (campaignId).
        """
        if kind not in ANALYTICS_KINDS:
            raise ValueError(
                f"Unknown Friendbuy analytics kind {kind!r}; expected one of {sorted(ANALYTICS_KINDS)}."
            )
        path = f"/analytics/{kind}"
        params: dict[str, Any] = {
            "fromDate": format_datetime(from_date),
            "toDate": format_datetime(to_date),
            "pageSize": page_size,
            **{_camel(name): value for name, value in filters.items() if value is not None},
        }
        while True:
            body = self._call("GET", path, params=params)
            yield from (body.get("results") or []) if isinstance(body, dict) else []
            next_token = body.get("nextPageToken") if isinstance(body, dict) else None
            if not next_token:
                return
            # Dates, page size and filters are locked inside the token (reference §2.3).
            params = {"pageToken": next_token}

    # -- GDPR and loyalty (reference §2.8, §2.9) -------------------------------------------------

    def get_user_data(self, *, email: str | None = None, customer_id: str | None = None) -> dict:
        """GET /user-data?email=…&customerId=… (GDPR/CCPA access)."""
        return self._call("GET", "/user-data", params=self._subject(email, customer_id))

    def delete_user_data(self, *, email: str | None = None, customer_id: str | None = None) -> dict:
        """DELETE /user-data (asynchronous, irreversible erasure); any 2xx; the body (job id) or {}."""
        body = self._call("DELETE", "/user-data", params=self._subject(email, customer_id))
        return body if isinstance(body, dict) else {}

    def get_ledger_balance(self, *, customer_id: str, currency: str = "USD") -> dict | None:
        """GET /ledger-balance → {total, currency, …}, or None when the customer has no ledger (404)."""
        return self._call(
            "GET",
            "/ledger-balance",
            params={"customerId": customer_id, "currency": currency},
            none_on_404=True,
        )

    @staticmethod
    def _subject(email: str | None, customer_id: str | None) -> dict[str, str]:
        params = {k: v for k, v in (("email", email), ("customerId", customer_id)) if v}
        if not params:
            raise ValueError("Give an email or a customer_id.")
        return params
