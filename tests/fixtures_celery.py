"""A real Celery worker process on Redis, sharing the test database (PostgreSQL only)."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """Start `celery worker` against TEST_CELERY_BROKER_URL and route .delay() to it for this test."""
    broker = os.environ.get("TEST_CELERY_BROKER_URL")
    if not broker:
        pytest.skip("TEST_CELERY_BROKER_URL is not set (CI sets it to Redis)")
    if connection.vendor != "postgresql":
        pytest.skip("the worker process must share the test database, which needs PostgreSQL")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "TEST_CELERY_BROKER_URL": broker,
    }
    log_path = tmp_path / "celery-worker.log"
    log = log_path.open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1",
         "--loglevel=INFO", "--without-heartbeat", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    worker.log_path = log_path
    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = broker
    _forget_connections()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if celery_app.control.ping(timeout=1.0):
                break
            if worker.poll() is not None:
                pytest.fail(f"celery worker exited early:\n{log_path.read_text()}")
        else:
            pytest.fail("celery worker did not answer a ping within 60 s")
        yield worker
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved
        _forget_connections()
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def _forget_connections():
    """Forget the app's pools so the next publish connects to the broker now configured. (Closing them
    would close kombu's process-wide pool for that URL, which the app would then be handed back.)"""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2):
    """Poll until predicate() is truthy; return its value or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")
