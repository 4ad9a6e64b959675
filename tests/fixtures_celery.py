"""A real `celery -A config worker -B` (prefork worker, beat inside on django-celery-beat's
DatabaseScheduler) on Redis, sharing the test database (PostgreSQL only), one per test module.

The worker runs the test settings with TEST_CELERY_WORKER set: not eager, and every beat entry due every
TEST_CELERY_BEAT_SECONDS. While a worker test runs, this process publishes its tasks to the same broker
instead of running them eagerly, so a journey crosses processes as deployed.
"""
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
BEAT_SECONDS = 2.0


class WorkerProcess:
    """The running worker, and its log from the start of the current test."""

    QUEUES = ("celery", "bulk")  # live and bulk work (config/settings/base.py: CELERY_TASK_QUEUES)

    def __init__(self, popen: subprocess.Popen, log_path: Path):
        self.popen, self.log_path, self._test_offset = popen, log_path, 0

    def log(self) -> str:
        """What the worker and its beat logged since the current test started."""
        with self.log_path.open("rb") as log:
            log.seek(self._test_offset)
            return log.read().decode(errors="replace")

    def resume(self) -> None:
        """Start a test: drop what earlier tests left queued, then consume again."""
        self._test_offset = self.log_path.stat().st_size
        celery_app.control.purge()
        for queue in self.QUEUES:
            celery_app.control.add_consumer(queue, reply=True, timeout=5.0, limit=1)

    def pause(self, *, timeout: float = 30.0) -> None:
        """End a test: stop taking messages and wait for the tasks at hand, so the database can be flushed
        (a task mid-transaction while the flush truncates would deadlock with it)."""
        for queue in self.QUEUES:
            celery_app.control.cancel_consumer(queue, reply=True, timeout=5.0, limit=1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            inspect = celery_app.control.inspect(timeout=1.0, limit=1)
            active, reserved = inspect.active(), inspect.reserved()
            if active is not None and reserved is not None and not any(active.values()) \
                    and not any(reserved.values()):
                return
            time.sleep(0.2)
        pytest.fail("the celery worker did not finish its tasks within 30 s of the test's end")


def _requirements() -> str:
    broker = os.environ.get("TEST_CELERY_BROKER_URL")
    if not broker:
        pytest.skip("TEST_CELERY_BROKER_URL is not set (CI sets it to Redis)")
    if connection.vendor != "postgresql":
        pytest.skip("the worker process must share the test database, which needs PostgreSQL")
    return broker


@pytest.fixture(scope="module")
def celery_worker_beat(django_db_setup, django_db_blocker, tmp_path_factory):
    """One worker with beat for the module; this process publishes to its broker meanwhile."""
    broker = _requirements()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "TEST_CELERY_BROKER_URL": broker,
        "TEST_CELERY_WORKER": "1",
        "TEST_CELERY_BEAT_SECONDS": str(BEAT_SECONDS),
    }
    log_path = tmp_path_factory.mktemp("celery") / "celery-worker.log"
    log = log_path.open("w")
    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = broker
    _forget_connections()
    celery_app.control.purge()  # nothing left over from an earlier module or run
    popen = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--pool=prefork", "--concurrency=2",
         "--loglevel=INFO", "--without-heartbeat", "--without-mingle", "--without-gossip",
         "--schedule", str(log_path.parent / "beat-schedule")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own process group: the pool children and beat go with it
    )
    worker = WorkerProcess(popen, log_path)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if celery_app.control.ping(timeout=1.0) and "beat: Starting" in log_path.read_text():
                break
            if popen.poll() is not None:
                pytest.fail(f"celery worker exited early:\n{log_path.read_text()}")
        else:
            pytest.fail(f"celery worker did not start within 90 s:\n{log_path.read_text()}")
        yield worker
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved
        _forget_connections()
        _stop(popen)
        log.close()


@pytest.fixture
def celery_worker_process(celery_worker_beat, transactional_db):
    """The module's worker, for a test on the shared (transactional) database; idle again before the
    database is flushed after the test (this fixture's teardown runs before transactional_db's)."""
    if celery_worker_beat.popen.poll() is not None:
        pytest.fail(f"celery worker died:\n{celery_worker_beat.log_path.read_text()}")
    celery_worker_beat.resume()
    yield celery_worker_beat
    celery_worker_beat.pause()
    failures = re.findall(r"Task \S+ raised unexpected: .*", celery_worker_beat.log())
    assert failures == [], "tasks failed in the worker during the test (full log: celery_worker_beat.log_path)"


def _stop(popen: subprocess.Popen) -> None:
    """Warm shutdown (finish the task at hand), then kill what is left of the worker's process group."""
    os.killpg(popen.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        popen.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, signal.SIGKILL)
    popen.wait()


def _forget_connections():
    """Forget the app's pools so the next publish connects to the broker now configured. (Closing them
    would close kombu's process-wide pool for that URL, which the app would then be handed back.)"""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def wait_for(predicate, *, timeout: float = 45.0, interval: float = 0.2):
    """Poll until predicate() is truthy; return its value or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


@contextlib.contextmanager
def celery_workers(count: int, *, log_dir: Path, extra_env: dict | None = None, args: tuple = ()):
    """`count` separate `celery -A config worker` processes (no beat) on the test broker and database, for
    tests about several processes at once (a shared rate budget, fair queues); this process publishes to the
    same broker meanwhile. Yields the log paths; every worker is stopped however the block ends."""
    broker = _requirements()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "TEST_CELERY_BROKER_URL": broker,
        "TEST_CELERY_WORKER": "1",
        **(extra_env or {}),
    }
    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = broker
    _forget_connections()
    celery_app.control.purge()
    popens, logs = [], []
    try:
        for n in range(count):
            log_path = log_dir / f"worker{n}.log"
            with log_path.open("w") as log:
                popens.append(subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "config", "worker", "-n", f"w{n}@%h", "--loglevel=INFO",
                     "--without-heartbeat", "--without-mingle", "--without-gossip", *args],
                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                ))
            logs.append(log_path)
        deadline = time.monotonic() + 120
        while len(celery_app.control.ping(timeout=1.0) or []) < count:
            for popen, log_path in zip(popens, logs, strict=True):
                if popen.poll() is not None:
                    pytest.fail(f"celery worker exited early:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail("celery workers did not all start within 120 s")
        yield logs
    finally:
        celery_app.control.purge()
        for popen in popens:
            _stop(popen)
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved
        _forget_connections()
