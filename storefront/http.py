"""One HTTP session per integration: timeouts, no redirects, safe retries with backoff, every attempt recorded.

Knows HTTP and nothing of the domain: the caller passes a `recorder` that persists each attempt
(storefront.call_log.outbound_call_record writes the OutboundCall row).

One retry layer per call: this transport resends only what cannot have been acted on twice.
* Any method: a connection that was never made (refused, DNS, connect timeout: nothing was sent)
  and 429 (the API refused the request unprocessed), honouring the API's wait when it gives one.
* Idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE), or a POST the caller declares safe to repeat
  (`idempotent=True`, e.g. Friendbuy's token call): also 5xx and read timeouts or broken connections.
* A POST that may have arrived (read timeout, 5xx, connection lost mid-call) is never resent here:
  the caller's layer owns that retry with its own schedule and records (the outbox for Friendbuy
  events; the minting reconciliation, which finds a code BigCommerce created before re-creating it).
* Never any other 4xx.

A transport may also carry a `budget` (storefront.rate_budget.RateBudget: the API's rate limit shared by
every process): each attempt first takes its turn from it, and each answer's headers feed it back.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.module_loading import import_string
from urllib3.exceptions import ConnectTimeoutError

from .backoff import Backoff
from .redaction import header_secrets, redact_data, redact_headers, scrub, scrub_data, scrubbed_here

USER_AGENT = "bc-friendbuy-connector/0.1 (+https://github.com/)"
MAX_STORED_BODY = 64 * 1024
# RFC 9110 §9.2.2 (TRACE left out: never sent): repeating one of these has the effect of sending it once.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class CallRecord:
    """One attempt of one outbound call, already redacted (secrets by key and by value, storefront.redaction)."""

    service: str
    method: str
    url: str
    path: str
    attempt: int
    status: int | None
    duration_ms: int
    error: str
    request_headers: dict[str, str]
    request_body: Any
    response_body: Any
    store_hash: str = ""


Recorder = Callable[[CallRecord], None]


class Budget(Protocol):
    """A rate budget the transport takes each attempt's turn from and feeds each answer's headers to."""

    def acquire(self, *, sleep: Callable[[float], None]) -> float: ...

    def observe(self, headers: Mapping[str, str]) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        return cls(**settings.HTTP_RETRY)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after the `attempt`-th failed attempt (storefront.backoff's schedule)."""
        return Backoff(base=self.base_delay, cap=self.max_delay).wait(attempt)


class HttpError(Exception):
    """An outbound call that ended without a usable response. Subclassed by each client's typed errors.

    Message and body are scrubbed of known secrets here, so no error text stored or logged carries one
    (an API may quote a rejected credential back)."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None, retryable: bool = False):
        super().__init__(scrub(message))
        self.status = status
        self.body = scrub_data(body)
        self.retryable = retryable


# Raised by requests when no usable answer came back: the request was maybe sent, maybe not.
_NO_ANSWER = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


def never_sent(exc: BaseException) -> bool:
    """True when the request provably never left: the connection itself failed (refused, DNS, connect
    timeout). A read timeout or a connection lost after connecting may have delivered it."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    # requests wraps urllib3's MaxRetryError, whose `reason` is what failed; NewConnectionError and
    # NameResolutionError are ConnectTimeoutError subclasses in urllib3 2.
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ConnectTimeoutError)


def may_resend(*, idempotent: bool, status: int | None, sent: bool) -> bool:
    """The transport's retry rule for one failed attempt (see the module docstring).

    `status` None: no answer; `sent` False: the request provably never left.
    """
    if status is None:
        return idempotent or not sent
    if status == 429:
        return True
    return status >= 500 and idempotent


def build_session() -> requests.Session:
    # Redirects are refused per request (allow_redirects=False): requests raises on any 3xx when
    # max_redirects is 0, even with redirects off, so that knob is left alone.
    session = requests.Session()
    # With trust_env, requests re-reads every proxy variable and ~/.netrc on each call (a few ms of
    # CPU per order on the hot path). The APIs authenticate by header, so .netrc has no say here;
    # the proxy variables are honoured through `environment_proxies`, read once per host.
    session.trust_env = False
    session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
    for prefix, dotted in settings.HTTP_ADAPTERS.items():
        session.mount(prefix, import_string(dotted)())
    return session


@functools.lru_cache(maxsize=64)
def environment_proxies(scheme_and_host: str) -> dict[str, str]:
    """HTTP(S)_PROXY / NO_PROXY as they apply to one origin, read once (the environment is fixed at start)."""
    return requests.utils.get_environ_proxies(scheme_and_host)


_local = threading.local()


def shared_session(service: str) -> requests.Session:
    """This thread's session for one integration, reused by every client of it so connections stay
    open (keep-alive) across calls instead of a new TCP connection per client built.

    Shared by clients of different tenants, so it keeps no cookies: the APIs authenticate with
    per-request headers only. Keyed on the mounted adapters so a settings change gets a new session.
    """
    key = (service, tuple(sorted(settings.HTTP_ADAPTERS.items())))
    sessions = getattr(_local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = {}
    session = sessions.get(key)
    if session is None:
        session = build_session()
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        sessions[key] = session
    return session


def _decode(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text[:MAX_STORED_BODY]


def _stored(body: Any, extra_keys: frozenset[str], secrets: list[str]) -> Any:
    body = redact_data(body, extra_keys, secrets)
    if body is not None and len(json.dumps(body, default=str)) > MAX_STORED_BODY:
        return {"truncated": True, "preview": json.dumps(body, default=str)[:MAX_STORED_BODY]}
    return body


@dataclass
class HttpTransport:
    """Sends requests with the retry rules of DESIGN.md §3.5 and records every attempt."""

    service: str
    base_url: str
    recorder: Recorder | None = None
    store_hash: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    retry: RetryPolicy = field(default_factory=RetryPolicy.from_settings)
    timeout: tuple[float, float] = field(default_factory=lambda: tuple(settings.HTTP_TIMEOUT))
    # None: this thread's shared session of the service (see shared_session).
    session: requests.Session | None = None
    sleep: Callable[[float], None] = time.sleep
    # Keys secret only for this integration's calls (e.g. the one-time OAuth `code`).
    redact_keys: frozenset[str] = frozenset()
    # Values scrubbed from every recorded attempt wherever they appear (the tenant's credentials and
    # secrets its calls may carry, e.g. the webhook secret in a hook's headers), besides the values of
    # the secret headers each call sends.
    secrets: tuple[str, ...] = ()
    # None: no shared budget (every call goes at once; a 429 is waited out as the API says).
    budget: Budget | None = None

    def __post_init__(self) -> None:
        if self.session is None:
            self.session = shared_session(self.service)
        parts = urlsplit(self.base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}/"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        rate_limit_wait: Callable[[requests.Response], float | None] = lambda response: None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Return the final response (any status) or raise HttpError after the last failed attempt.

        Resends by the rules of the module docstring (`may_resend`), waiting what `rate_limit_wait`
        reads from a 429, else the backoff. `idempotent`: True for a POST that is safe to repeat;
        by default, whether the method is idempotent.
        """
        url = self.base_url + path
        all_headers = {**self.headers, **(headers or {})}
        if json_body is not None:
            all_headers["Content-Type"] = "application/json"
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        attempts = self.retry.max_attempts
        for attempt in range(1, attempts + 1):
            if self.budget is not None:
                self.budget.acquire(sleep=self.sleep)
            started = time.monotonic()  # after the budget's turn: the call's duration, not the wait
            response, error, sent = None, "", True
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    headers=all_headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                    proxies=environment_proxies(self._origin),
                )
            except _NO_ANSWER as exc:
                error = f"{type(exc).__name__}: {exc}"
                sent = not never_sent(exc)
            duration_ms = int((time.monotonic() - started) * 1000)
            status = response.status_code if response is not None else None
            if response is not None and self.budget is not None:
                self.budget.observe(response.headers)
            self._record(
                method,
                url,
                path,
                params,
                attempt,
                status,
                duration_ms,
                error,
                all_headers,
                json_body,
                _decode(response) if response is not None else None,
            )
            if response is not None and status < 400:
                return response
            if not may_resend(idempotent=idempotent, status=status, sent=sent) or attempt == attempts:
                break
            wait = rate_limit_wait(response) if response is not None and status == 429 else None
            self.sleep(min(wait, self.retry.max_delay) if wait is not None else self.retry.backoff(attempt))
        if response is not None:
            return response
        raise HttpError(f"{self.service} {method} {path}: {error}", retryable=True)

    def _record(
        self, method, url, path, params, attempt, status, duration_ms, error, headers, body, response_body
    ):
        if self.recorder is None:
            return
        shown_path = (
            path if not params else f"{path}?{requests.models.RequestEncodingMixin._encode_params(params)}"
        )
        secrets = [*self.secrets, *header_secrets(dict(headers)), *scrubbed_here()]
        self.recorder(
            CallRecord(
                service=self.service,
                method=method,
                url=url,
                path=scrub(shown_path, secrets),
                attempt=attempt,
                status=status,
                duration_ms=duration_ms,
                error=scrub(error, secrets),
                request_headers=redact_headers(dict(headers), secrets),
                request_body=_stored(body, self.redact_keys, secrets),
                response_body=_stored(response_body, self.redact_keys, secrets),
                store_hash=self.store_hash,
            )
        )
