"""One retry layer per call: the transport resends only what cannot have been acted on twice.

Against a real threaded HTTP server on 127.0.0.1 (real sockets, real timeouts, real dropped
connections): any method is resent after a refused connection and a 429 (honouring BigCommerce's
X-Rate-Limit-Time-Reset-Ms); idempotent methods (and a POST declared safe) also after 5xx, read
timeouts and connections lost mid-call; a POST that may have arrived never is, so the outbox's
attempts are the only retries of a Friendbuy event.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.db import transaction
from django.utils import timezone
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError, ProtocolError

from referrals.models import OutboxEvent
from referrals.outbox import outbox_dispatch_due, outbox_enqueue
from storefront.bigcommerce import BigCommerceClient, BigCommerceRateLimited, BigCommerceServerError
from storefront.http import HttpError, HttpTransport, RetryPolicy, may_resend, never_sent
from storefront.models import OutboundCall

FAST_AND_FIXED = RetryPolicy(max_attempts=5, base_delay=0.0, max_delay=60.0)


class ScriptedServer(ThreadingHTTPServer):
    """Answers each (method, path) from a script of steps, then 200 with a default body; logs every hit."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: dict[tuple[str, str], list[dict]] = {}
        self.hits: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def plan(self, method: str, path: str, *steps: dict) -> None:
        self.script[(method, path)] = list(steps)

    def count(self, method: str, path: str) -> int:
        with self.lock:
            return self.hits.count((method, path))


DEFAULT_BODIES = {
    "/v1/authorization": {"token": "token-from-the-test-server", "expires": "2099-01-01T00:00:00.000Z"},
    "/v1/event/purchase": {"eventId": "evt-1", "createdOn": "2026-12-01T00:00:00.000Z"},
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep the test output quiet
        pass

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = self.path.split("?", 1)[0]
        server: ScriptedServer = self.server
        with server.lock:
            server.hits.append((self.command, path))
            steps = server.script.get((self.command, path)) or []
            step = steps.pop(0) if steps else {}
        if step.get("drop"):
            # Read the request, answer nothing, hang up: the client cannot know whether it was acted on.
            self.close_connection = True
            return
        if step.get("delay"):
            time.sleep(step["delay"])
        status = step.get("status", 200)
        body = json.dumps(step.get("body", DEFAULT_BODIES.get(path, {"ok": True}))).encode()
        try:
            self.send_response(status)
            for name, value in (step.get("headers") or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a read timeout): what a slow real API would see too

    do_GET = do_POST = do_PUT = do_DELETE = _serve


@pytest.fixture
def server():
    httpd = ScriptedServer()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def waits():
    return []


@pytest.fixture
def transport(server, waits, settings):
    settings.HTTP_TIMEOUT = (1.0, 0.3)
    return HttpTransport(service="bigcommerce", base_url=server.url, retry=FAST_AND_FIXED, sleep=waits.append)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the rule itself ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("idempotent", "status", "sent", "resend"),
    [
        (False, None, False, True),  # refused / DNS / connect timeout: nothing left, resend any method
        (True, None, False, True),
        (False, 429, True, True),  # refused unprocessed by the API
        (True, 429, True, True),
        (True, 503, True, True),  # a GET, PUT or DELETE repeated changes nothing more
        (True, 500, True, True),
        (True, None, True, True),  # read timeout or connection lost mid-call
        (False, 503, True, False),  # a POST that may have been acted on: the caller's layer retries
        (False, 500, True, False),
        (False, None, True, False),
        (True, 404, True, False),  # other 4xx: never
        (False, 422, True, False),
        (True, 401, True, False),
    ],
)
def test_retry_matrix(idempotent, status, sent, resend):
    assert may_resend(idempotent=idempotent, status=status, sent=sent) is resend


def test_only_a_failed_connection_counts_as_never_sent():
    refused = requests.ConnectionError(MaxRetryError(None, "/", NewConnectionError(None, "refused")))
    unresolved = requests.ConnectionError(MaxRetryError(None, "/", NameResolutionError("h", None, "no")))
    dropped = requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))
    assert never_sent(refused) and never_sent(unresolved) and never_sent(requests.ConnectTimeout())
    assert not never_sent(dropped)
    assert not never_sent(requests.ReadTimeout())
    assert not never_sent(requests.exceptions.ChunkedEncodingError())


# --- against a real server ----------------------------------------------------------------------


def test_a_refused_connection_is_resent_even_for_a_post(settings, waits):
    transport = HttpTransport(
        service="friendbuy", base_url=f"http://127.0.0.1:{_closed_port()}", retry=FAST_AND_FIXED,
        sleep=waits.append,
    )
    with pytest.raises(HttpError) as caught:
        transport.request("POST", "/v1/event/purchase", json_body={"orderId": "1"})
    assert caught.value.retryable is True
    assert len(waits) == FAST_AND_FIXED.max_attempts - 1


def test_429_is_resent_for_a_post_after_waiting_x_rate_limit_time_reset_ms(server, transport, waits):
    server.plan("POST", "/v3/promotions/7/codes",
                {"status": 429, "headers": {"X-Rate-Limit-Time-Reset-Ms": "1500"}, "body": {}})
    client = BigCommerceClient(store_hash="abc", access_token="t", transport=transport)

    client.create_coupon_code(7, code="FB-ONCE")

    assert server.count("POST", "/v3/promotions/7/codes") == 2
    assert waits == [1.5]


def test_429_on_every_attempt_gives_up_as_rate_limited(server, transport):
    server.plan("GET", "/v2/orders/1", *[{"status": 429, "body": {}}] * 5)
    client = BigCommerceClient(store_hash="abc", access_token="t", transport=transport)

    with pytest.raises(BigCommerceRateLimited):
        client.get_order(1)
    assert server.count("GET", "/v2/orders/1") == 5


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_5xx_is_resent_for_an_idempotent_method(server, transport, method):
    server.plan(method, "/v3/hooks/5", {"status": 503}, {"status": 500})

    response = transport.request(method, "/v3/hooks/5")

    assert response.status_code == 200
    assert server.count(method, "/v3/hooks/5") == 3


def test_5xx_is_not_resent_for_a_post(server, transport):
    server.plan("POST", "/v3/promotions/7/codes", {"status": 503})
    client = BigCommerceClient(store_hash="abc", access_token="t", transport=transport)

    with pytest.raises(BigCommerceServerError) as caught:
        client.create_coupon_code(7, code="FB-ONCE")

    assert caught.value.retryable is True and caught.value.status == 503
    assert server.count("POST", "/v3/promotions/7/codes") == 1


def test_a_read_timeout_is_resent_for_a_get_but_not_for_a_post(server, transport):
    server.plan("GET", "/v2/orders/1", {"delay": 0.6})
    server.plan("POST", "/v3/hooks", {"delay": 0.6})

    assert transport.request("GET", "/v2/orders/1").status_code == 200
    with pytest.raises(HttpError):
        transport.request("POST", "/v3/hooks", json_body={"scope": "store/order/*"})

    assert server.count("GET", "/v2/orders/1") == 2
    assert server.count("POST", "/v3/hooks") == 1


def test_a_connection_lost_mid_call_is_resent_for_a_get_but_not_for_a_post(server, transport):
    server.plan("GET", "/v2/orders/2", {"drop": True})
    server.plan("POST", "/v3/content/scripts", {"drop": True})

    assert transport.request("GET", "/v2/orders/2").status_code == 200
    with pytest.raises(HttpError):
        transport.request("POST", "/v3/content/scripts", json_body={"name": "x"})

    assert server.count("GET", "/v2/orders/2") == 2
    assert server.count("POST", "/v3/content/scripts") == 1


def test_a_post_declared_safe_to_repeat_is_resent_after_5xx_and_timeouts(server, transport):
    server.plan("POST", "/v1/authorization", {"status": 502}, {"delay": 0.6})

    response = transport.request("POST", "/v1/authorization", json_body={"key": "k"}, idempotent=True)

    assert response.status_code == 200
    assert server.count("POST", "/v1/authorization") == 3


# --- the outbox owns the retry of a Friendbuy event ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_slow_purchase_post_reaches_friendbuy_once_per_outbox_attempt(server, settings, lc_store):
    """Friendbuy answers the purchase too slowly (past the read timeout): it may well have recorded it,
    so the transport does not resend it; the outbox retries on its schedule, one POST per attempt."""
    settings.HTTP_TIMEOUT = (1.0, 0.3)
    settings.HTTP_RETRY = {"max_attempts": 5, "base_delay": 0.0, "max_delay": 0.0}
    settings.FRIENDBUY_API_URL = server.url
    server.plan("POST", "/v1/event/purchase", {"delay": 0.6}, {"delay": 0.6})

    with transaction.atomic():
        event, _ = outbox_enqueue(store=lc_store, kind=OutboxEvent.Kind.PURCHASE, natural_key="order-1",
                                  payload={"orderId": "1", "email": "ann@example.com", "amount": 10,
                                           "currency": "USD"})
    # Sent after commit: one attempt, one POST, back to pending with the outbox's backoff.
    event.refresh_from_db()
    assert server.count("POST", "/v1/event/purchase") == 1
    assert event.state == OutboxEvent.State.PENDING and event.attempts == 1
    assert "ReadTimeout" in event.last_error
    assert event.next_attempt_at > timezone.now() + timedelta(seconds=29)

    for attempt in (2, 3):
        OutboxEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now())
        assert outbox_dispatch_due() == 1
        assert server.count("POST", "/v1/event/purchase") == attempt

    event.refresh_from_db()
    assert event.state == OutboxEvent.State.SENT and event.attempts == 3
    # Every attempt is one row of the call log, each made once.
    logged = OutboundCall.objects.filter(service="friendbuy", path="/event/purchase")
    assert list(logged.values_list("attempt", flat=True)) == [1, 1, 1]
