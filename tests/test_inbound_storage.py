"""Inbound storage that can't be flooded: unauthenticated calls keep size, SHA-256 and the first 1 KB,
are limited per client IP (failing open when the cache is down), and authenticated bodies stay whole."""

import hashlib
import json
import logging
import socket

import pytest

from storefront.models import WebhookDelivery
from tests.fixtures_lifecycle import order_webhook

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rate_windows_pinned")]

MIB = 1024 * 1024


def _padded(store, size: int) -> str:
    payload = order_webhook(store, 5)
    payload["padding"] = ""
    base = len(json.dumps(payload))
    payload["padding"] = "x" * (size - base)
    return json.dumps(payload)


def test_twenty_unauthenticated_megabyte_calls_store_one_kilobyte_each(lc_store, post_webhook, settings):
    settings.INBOUND_UNAUTHENTICATED_RATE = "100/min"
    body = _padded(lc_store, MIB)
    for _ in range(20):
        assert post_webhook(lc_store, None, raw=body, secret="wrong").status_code == 401
    rows = list(WebhookDelivery.objects.all())
    assert len(rows) == 20
    for row in rows:
        assert len(row.body.encode()) == 1024 and row.body_truncated and row.body_size == MIB
        assert row.body_sha256 == hashlib.sha256(body.encode()).hexdigest()
        assert sum(len(k) + len(v) for k, v in row.headers.items()) < 24 * (64 + 256)


def test_an_authenticated_body_is_kept_whole(lc_store, post_webhook):
    body = _padded(lc_store, MIB)
    assert post_webhook(lc_store, None, raw=body).status_code == 200
    row = WebhookDelivery.objects.get()
    assert row.authenticated and row.body == body and not row.body_truncated
    assert row.body_sha256 == hashlib.sha256(body.encode()).hexdigest()


def test_an_oversized_body_is_413_with_a_prefix_and_its_declared_size(lc_store, post_webhook):
    body = _padded(lc_store, 3 * MIB)
    assert post_webhook(lc_store, None, raw=body).status_code == 413
    row = WebhookDelivery.objects.get()
    assert not row.authenticated and row.body_truncated and len(row.body) == 1024
    assert row.body_size == len(body) and row.body_sha256 == ""


def test_unauthenticated_calls_over_the_rate_get_429_and_are_not_recorded(
    lc_store, post_webhook, settings, clear_cache
):
    settings.INBOUND_UNAUTHENTICATED_RATE = "3/min"
    payload = order_webhook(lc_store, 5)
    statuses = [post_webhook(lc_store, payload, secret="wrong").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    assert post_webhook(lc_store, payload, public_id="nobody").status_code == 429
    assert WebhookDelivery.objects.count() == 3
    # BigCommerce itself is never limited: authenticated calls are not counted.
    assert post_webhook(lc_store, payload).status_code == 200
    assert WebhookDelivery.objects.filter(authenticated=True).count() == 1


@pytest.fixture
def cache_down(settings):
    """The default cache is a Redis on a port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }


def test_the_limit_fails_open_with_a_warning_when_the_cache_is_down(
    lc_store, post_webhook, settings, cache_down, caplog
):
    settings.INBOUND_UNAUTHENTICATED_RATE = "1/min"
    with caplog.at_level(logging.WARNING, logger="storefront.inbound_limits"):
        statuses = [post_webhook(lc_store, order_webhook(lc_store, 5), secret="wrong").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    assert WebhookDelivery.objects.count() == 3
    assert "cache is unavailable" in caplog.text
