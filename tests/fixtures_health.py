"""Dependencies a test can take down: its own redis-server, and a cuttable TCP proxy in front of PostgreSQL."""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app as celery_app
from tests.pg_proxy import TcpProxy
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def own_redis(tmp_path):
    """A running redis-server of this test's own (see tests/redis_server.py), stopped at the end."""
    server = RedisServer(tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def stopped_redis_url(tmp_path):
    """The URL of a Redis port nobody listens on (a redis-server started, then stopped), with a password."""
    server = RedisServer(tmp_path).start()
    server.stop()
    return server.url(password="s3cret-cache-password")


@pytest.fixture
def pg_proxy(transactional_db):
    """A TCP proxy in front of the test's PostgreSQL that the test can cut and restore."""
    if connection.vendor != "postgresql":
        pytest.skip("the proxy stands in front of PostgreSQL")
    proxy = TcpProxy(target=(connection.settings_dict["HOST"] or "127.0.0.1",
                             int(connection.settings_dict["PORT"] or 5432)))
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.close()


@contextlib.contextmanager
def celery_worker_on(*, broker: str, database_url: str, log_path: Path, settings: str = "config.settings.test"):
    """A `celery worker` process on `broker` and `database_url`, with this process's .delay() routed to it
    (as tests.fixtures_celery does for the shared broker); stopped at the end."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker process must share the test database, which needs PostgreSQL")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings, "DATABASE_URL": database_url,
           "TEST_CELERY_BROKER_URL": broker, "CELERY_BROKER_URL": broker}
    log = log_path.open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1",
         "--loglevel=INFO", "--without-heartbeat", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = False, broker
    celery_app._pool = celery_app.amqp._producer_pool = None
    try:
        deadline = time.monotonic() + 60
        while not _pinged():
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"celery worker did not answer:\n{log_path.read_text()}")
        yield worker
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved
        celery_app._pool = celery_app.amqp._producer_pool = None
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def _pinged() -> bool:
    try:
        return bool(celery_app.control.ping(timeout=1.0))
    except Exception:  # a connection kept from an earlier server on the same port: the next try reconnects
        celery_app._pool = celery_app.amqp._producer_pool = None
        return False


def database_url_of_tests(*, port: int | None = None, query: str = "") -> str:
    """The test database's URL (optionally through another port, e.g. the proxy's)."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{port or db['PORT']}/{db['NAME']}"
    return f"{url}?{query}" if query else url
