"""Health probes: /healthz touches nothing, /readyz names the dependency that failed (and never a secret),
both answer a load balancer's plain-HTTP probe by address, and the worker's container check."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from config.celery import app as celery_app
from storefront import health

BROKEN_CACHE = "storefront.cache.FailSoftRedisCache"


@pytest.fixture
def broken_broker(stopped_redis_url):
    """Celery configured for a broker that is down (its URL carries a password)."""
    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = False, stopped_redis_url
    celery_app._pool = celery_app.amqp._producer_pool = None  # connect to the broker now configured
    try:
        yield stopped_redis_url
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved
        celery_app._pool = celery_app.amqp._producer_pool = None


def test_healthz_answers_without_touching_any_dependency(client, settings, broken_broker):
    """No database access is allowed here (no `db` fixture), and the cache and broker are down."""
    settings.CACHES = {"default": {"BACKEND": BROKEN_CACHE, "LOCATION": broken_broker}}
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_readyz_is_ready_when_database_migrations_and_cache_answer(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ready", "checks": {
        "database": "ok", "migrations": "ok", "cache": "ok",
        "broker": "skipped: no broker (tasks run in-process)"}}


def test_readyz_names_an_unreachable_cache_without_its_password(client, db, settings, stopped_redis_url):
    settings.CACHES = {"default": {"BACKEND": BROKEN_CACHE, "LOCATION": stopped_redis_url}}
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"] == "failed: ConnectionError"
    assert body["checks"]["database"] == "ok"
    assert "s3cret" not in response.content.decode() and "639" not in response.content.decode()


def test_readyz_names_an_unreachable_broker_without_its_password(client, db, broken_broker):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "failed: OperationalError"
    assert "s3cret" not in response.content.decode()


def test_readyz_refuses_traffic_until_every_migration_is_applied(client, db, monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)
    recorder = MigrationRecorder(connection)
    last = max(name for app, name in recorder.applied_migrations() if app == "storefront")
    recorder.record_unapplied("storefront", last)  # rolled back with the test's transaction
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "failed: 1 migration(s) not applied"


def test_probes_answer_a_load_balancer_by_address_over_plain_http(client, db, settings):
    """The probe's Host is the instance's address and its scheme http: neither ALLOWED_HOSTS nor
    SECURE_SSL_REDIRECT may turn it away, while every other URL keeps both rules."""
    settings.ALLOWED_HOSTS = ["app.example.test"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="10.0.3.7:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.3.7:8000").status_code == 200
    assert client.get("/admin/login/", HTTP_HOST="10.0.3.7:8000").status_code == 400
    redirected = client.get("/admin/login/", HTTP_HOST="app.example.test")
    assert redirected.status_code == 301 and redirected["Location"].startswith("https://")


def test_probes_only_answer_reads(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


# --- the worker's container check ----------------------------------------------------------------


@pytest.mark.celery_worker
def test_worker_health_passes_when_the_worker_answers_and_reaches_the_database(celery_worker_process, capsys):
    call_command("worker_health", "--timeout", "10")
    report = json.loads(capsys.readouterr().out)
    assert report["checks"] == {"database": "ok", "migrations": "ok"}
    assert report["worker"].startswith("celery@")


@pytest.mark.celery_worker
def test_worker_health_fails_when_no_such_worker_answers(celery_worker_process):
    with pytest.raises(CommandError, match="no answer within 1 s"):
        call_command("worker_health", "--destination", "celery@no-such-host", "--timeout", "1")


def test_worker_health_fails_when_the_broker_is_unreachable(broken_broker):
    with pytest.raises(CommandError, match="OperationalError") as failed:
        call_command("worker_health", "--timeout", "1")
    assert "s3cret" not in str(failed.value)
