"""What still works while a dependency is down, each taken down for real: the cache (a stopped
redis-server), PostgreSQL (a TCP proxy in front of it, cut as a restart would cut it; the real server is
never touched) and the broker (the test's own redis-server, stopped and started again)."""

import logging
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from referrals.models import FriendbuyDelivery, OrderSnapshot, Reward
from referrals.tasks.rewards import friendbuy_deliveries_retry_task
from sandbox.bigcommerce import world as bc_world
from storefront.models import OutboundCall, WebhookDelivery
from storefront.tasks.webhooks import webhook_deliveries_sweep
from tests.fixtures_celery import wait_for
from tests.fixtures_health import ROOT, celery_worker_on, database_url_of_tests
from tests.fixtures_storefront import STOREFRONT_ORIGIN

API = "/api/storefront/v1"
FERNET_KEY = "o6Yv3pp4Yk2fV1o0ykkq4OZbQhC6oEYPCVBQs4u5GH8="


# --- the cache down ------------------------------------------------------------------------------


def test_widget_api_answers_with_the_cache_down_and_throttles_count_per_process(
        client, storefront_world, settings, stopped_redis_url, caplog):
    settings.CACHES = {"default": {"BACKEND": "storefront.cache.FailSoftRedisCache", "LOCATION": stopped_redis_url}}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"storefront_ip": "4/min", "storefront_store": "1000/min"}}
    headers = {**storefront_world.headers(storefront_world.jwt(customer_id=7, email="ada@example.com")),
               "REMOTE_ADDR": "203.0.113.44"}
    caplog.set_level(logging.WARNING, logger="storefront.cache")

    answers = [client.get(f"{API}/me/referral-link", **headers) for _ in range(2)]
    answers.append(client.get(f"{API}/me/rewards", **headers))
    answers.append(client.options(f"{API}/capture", HTTP_ORIGIN=STOREFRONT_ORIGIN, REMOTE_ADDR="203.0.113.45"))
    assert [answer.status_code for answer in answers] == [200, 200, 200, 204], answers[0].content
    assert answers[0].json() == answers[1].json() and answers[0].json()["link"].startswith("https://")
    # Nothing was cached: both link requests asked Friendbuy.
    assert OutboundCall.objects.filter(service="friendbuy", path__contains="personal-referral-link").count() == 2
    # The per-IP limit still holds, counted in this process.
    assert client.get(f"{API}/me/rewards", **headers).status_code == 200
    throttled = client.get(f"{API}/me/rewards", **headers)
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    warnings = [record for record in caplog.records if record.name == "storefront.cache"]
    assert len(warnings) == 1 and "ConnectionError" in warnings[0].getMessage()
    assert "s3cret" not in warnings[0].getMessage()


# --- PostgreSQL restarted ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def production_web(pg_proxy, own_redis, tmp_path):
    """gunicorn with the production settings, on the test database through the proxy."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "health-test-" + "k" * 60,
        "FIELD_ENCRYPTION_KEYS": FERNET_KEY,
        "BIGCOMMERCE_CLIENT_ID": "health-client",
        "BIGCOMMERCE_CLIENT_SECRET": "health-client-secret-0123456789abcdef",
        "APP_URL": "https://app.example.test",
        "ALLOWED_HOSTS": "app.example.test",
        "DATABASE_URL": database_url_of_tests(port=pg_proxy.port),
        "CACHE_URL": own_redis.url(1),
        "CELERY_BROKER_URL": own_redis.url(0),
    }
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", "1",
             "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(f"{base}/healthz", timeout=5)
                    break
                except (requests.ConnectionError, requests.Timeout):
                    if server.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"gunicorn did not start:\n{log_path.read_text()}")
                    time.sleep(0.1)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=10)


def _probe(base: str, path: str) -> requests.Response:
    # As a load balancer probes: plain HTTP, the instance's address as Host.
    return requests.get(f"{base}{path}", headers={"Host": "10.0.3.7:8000"}, timeout=10, allow_redirects=False)


@pytest.mark.postgres
def test_web_reconnects_after_postgresql_restarts_without_a_failed_request(production_web, pg_proxy):
    ready = _probe(production_web, "/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "cache": "ok", "broker": "ok"}
    connections = pg_proxy.connections_accepted

    pg_proxy.cut()  # the restart: the kept connection (CONN_MAX_AGE) dies with the old server
    pg_proxy.restore()
    after_restart = _probe(production_web, "/readyz")
    assert after_restart.status_code == 200, after_restart.text  # the health check replaced the dead connection
    assert pg_proxy.connections_accepted == connections + 1

    pg_proxy.cut()  # and while it is down: not ready, but alive
    down = _probe(production_web, "/readyz")
    assert down.status_code == 503
    assert down.json()["checks"]["database"] == "failed: OperationalError"
    assert _probe(production_web, "/healthz").status_code == 200
    pg_proxy.restore()
    assert _probe(production_web, "/readyz").status_code == 200


@pytest.mark.celery_worker
def test_worker_reconnects_after_postgresql_restarts(pg_proxy, own_redis, lc_store, purchases, tmp_path):
    database_url = database_url_of_tests(port=pg_proxy.port, query="conn_max_age=60")
    with celery_worker_on(broker=own_redis.url(), database_url=database_url, log_path=tmp_path / "worker.log"):
        first = bc_world.create_order(lc_store.store_hash, email="before@example.com", status_id=11)
        bc_world.fire_order_event(lc_store.store_hash, first["id"])
        wait_for(lambda: OrderSnapshot.objects.filter(store=lc_store, bc_order_id=first["id"]).exists())
        wait_for(lambda: not WebhookDelivery.objects.filter(store=lc_store,
                                                            status=WebhookDelivery.Status.RECEIVED).exists())

        pg_proxy.cut()
        pg_proxy.restore()
        second = bc_world.create_order(lc_store.store_hash, email="after@example.com", status_id=11)
        bc_world.fire_order_event(lc_store.store_hash, second["id"])
        delivery = wait_for(lambda: WebhookDelivery.objects.filter(
            store=lc_store, resource_id=str(second["id"]), status=WebhookDelivery.Status.PROCESSED).first())
    assert delivery.attempts == 1  # the first task after the restart succeeded
    assert sorted(event["orderId"] for event in purchases()) == sorted([str(first["id"]), str(second["id"])])


# --- the broker down -----------------------------------------------------------------------------


@pytest.mark.celery_worker
def test_webhooks_are_acknowledged_while_the_broker_is_down_and_processed_by_the_sweep(
        transactional_db, own_redis, lc_store, purchases, tmp_path):
    with celery_worker_on(broker=own_redis.url(), database_url=database_url_of_tests(),
                          log_path=tmp_path / "worker.log"):
        own_redis.stop()
        order = bc_world.create_order(lc_store.store_hash, email="outage@example.com", status_id=11)
        started = time.monotonic()
        [response] = bc_world.fire_order_event(lc_store.store_hash, order["id"])
        assert response.status_code == 200
        assert time.monotonic() - started < 1.0  # publishing is off the request path
        delivery = WebhookDelivery.objects.get(store=lc_store, resource_id=str(order["id"]))
        time.sleep(2)  # the queue's publish has failed by now (Celery gives up after ~0.6 s)
        delivery.refresh_from_db()
        assert delivery.status == WebhookDelivery.Status.RECEIVED

        own_redis.start()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(received_at=timezone.now() - timedelta(minutes=6))
        assert webhook_deliveries_sweep() == 1
        wait_for(lambda: WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.Status.PROCESSED).exists(), timeout=60)
    assert [event["orderId"] for event in purchases()] == [str(order["id"])]


@pytest.mark.celery_worker
def test_a_friendbuy_reward_stored_while_the_broker_is_down_is_issued_by_the_retry_sweep(
        own_redis, friendbuy, reward_store, tmp_path):
    """Its processing task never reached the broker; nothing but the sweep would ever process it."""
    with celery_worker_on(broker=own_redis.url(), database_url=database_url_of_tests(),
                          log_path=tmp_path / "worker.log"):
        own_redis.stop()
        item, response = friendbuy.reward(email="ada@example.com", customer_id="101", amount="10.00")
        assert response.status_code == 200  # stored and acknowledged: the sweep owns it now
        delivery = FriendbuyDelivery.objects.get(store=reward_store)
        assert delivery.status == FriendbuyDelivery.Status.RECEIVED
        assert not Reward.objects.filter(friendbuy_reward_id=item["rewardId"]).exists()

        own_redis.start()
        FriendbuyDelivery.objects.filter(pk=delivery.pk).update(received_at=timezone.now() - timedelta(minutes=6))
        assert friendbuy_deliveries_retry_task() == 1
        reward = wait_for(lambda: Reward.objects.filter(
            friendbuy_reward_id=item["rewardId"]).exclude(coupon=None).first(), timeout=60)
    assert reward.coupon.code
    assert friendbuy_deliveries_retry_task() == 0  # processed: not swept again
