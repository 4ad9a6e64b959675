"""`./scripts/demo` runs production's topology on the embedded default: the web server, a Celery worker and
beat on a SQLite file and a filesystem broker, with nothing else installed. A purchase whose send failed
during a Friendbuy outage is delivered by beat's retry after recovery, exactly once, and stopping the
script leaves no process behind.

The script runs as a user would start it, on a temporary database and broker folder and a free port, with
the retry schedule shortened through its environment variables (OUTBOX_DISPATCH_SECONDS,
OUTBOX_RETRY_BASE_SECONDS). The outage is armed and lifted through the sandbox's fault table from another
process, as `sandbox.faults` is meant to be used; the order is placed over HTTP on the demo storefront, so
its webhooks go through the app's real inbox and the broker to the worker.
"""
import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from referrals.models import OutboxEvent
from sandbox.friendbuy.models import FakeEvent

ROOT = Path(__file__).resolve().parent.parent
DISPATCH_SECONDS = 2.0
RETRY_BASE_SECONDS = 2.0
# Startup (migrate, the demo stories, three processes) on a busy 2-core machine.
STARTUP_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _session_processes(session_id: int) -> list[str]:
    """Command lines of the live processes in a session (the script's and everything it started)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, IndexError):
            continue
        # After the command name: state, ppid, pgrp, session. Zombies are already gone for our purpose.
        if int(fields[3]) == session_id and fields[0] != "Z":
            found.append(cmdline)
    return found


class EmbeddedDemo:
    def __init__(self, tmp_path: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db_path = tmp_path / "demo.sqlite3"
        self.log_path = tmp_path / "demo.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.db_path}",
            "CELERY_FILESYSTEM_DIR": str(tmp_path / "broker"),
            "CELERY_BROKER_URL": "",
            "APP_URL": "",
            "CACHE_URL": "",
            "REDIS_URL": "",
            "DEMO_ADDR": f"127.0.0.1:{self.port}",
            "OUTBOX_DISPATCH_SECONDS": str(DISPATCH_SECONDS),
            "OUTBOX_RETRY_BASE_SECONDS": str(RETRY_BASE_SECONDS),
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            ["bash", "scripts/demo"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"./scripts/demo exited with {self.process.returncode}:\n{self.log()}")
            log_text = self.log()
            if "Demo ready." in log_text and " ready." in log_text.split("Demo ready.", 1)[1]:
                try:
                    if requests.get(f"{self.base}/admin/login/", timeout=5).status_code == 200:
                        return
                except requests.ConnectionError:
                    pass
            time.sleep(0.5)
        pytest.fail(f"the demo did not come up within {STARTUP_SECONDS} s:\n{self.log()}")

    def stop(self) -> list[str]:
        """SIGTERM the script as a service manager would; returns what is still running in its session."""
        if self.process is None or self.process.poll() is not None:
            return _session_processes(self.process.pid) if self.process else []
        self.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=60)
        left = _session_processes(self.process.pid)
        if left:
            os.killpg(self.process.pid, signal.SIGKILL)
        return left

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def django(self, code: str) -> str:
        """Run code in another process on the demo's settings and database (a `manage.py shell`)."""
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code], cwd=ROOT,
            env={**self.env, "DJANGO_SETTINGS_MODULE": "config.settings.dev"},
            capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=20) as db:
            return db.execute(sql, params).fetchall()

    def place_order(self, *, email: str) -> int:
        """Check out on the demo storefront over HTTP, as a shopper's browser would."""
        cart = f"{self.base}/sandbox/storefront/demostore/cart/"
        browser = requests.Session()
        page = browser.get(cart, timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = browser.post(cart, data={"csrfmiddlewaretoken": token, "email": email}, allow_redirects=False,
                              timeout=30)
        assert answer.status_code == 302, answer.text[:500]
        return int(re.search(r"/order-confirmation/(\d+)/", answer.headers["Location"]).group(1))

    def purchase_event(self, order_id: int) -> tuple | None:
        rows = self.query(
            f"SELECT state, attempts, last_status FROM {OutboxEvent._meta.db_table}"
            " WHERE kind = ? AND natural_key = ?", (OutboxEvent.Kind.PURCHASE, f"purchase:{order_id}"),
        )
        assert len(rows) <= 1
        return rows[0] if rows else None

    def purchases_received(self, order_id: int) -> int:
        """Purchases for this order that the Friendbuy sandbox accepted."""
        return self.query(
            f"SELECT COUNT(*) FROM {FakeEvent._meta.db_table}"
            " WHERE kind = ? AND json_extract(payload, '$.orderId') = ?",
            (FakeEvent.Kind.PURCHASE, str(order_id)),
        )[0][0]


def _wait(predicate, *, timeout: float, what: str, demo: EmbeddedDemo):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"{what} not seen within {timeout} s:\n{demo.log()[-6000:]}")


@pytest.fixture
def embedded_demo(tmp_path):
    demo = EmbeddedDemo(tmp_path)
    try:
        demo.start()
        yield demo
    finally:
        demo.stop()


def test_a_purchase_failed_in_a_friendbuy_outage_is_sent_once_by_beat_after_recovery(embedded_demo):
    demo = embedded_demo
    demo.django("from sandbox import faults; faults.inject(service='friendbuy', status=503, times=100000,"
                " path_contains='/event/purchase')")

    order_id = demo.place_order(email="outage.shopper@example.com")
    # The worker took the order from the broker and tried Friendbuy, which answered 503 (its transport's
    # own retries included): the event waits for a later attempt.
    _wait(lambda: (demo.purchase_event(order_id) or ("",))[0] == "pending"
          and demo.purchase_event(order_id)[2] == 503, timeout=60, what="the failed purchase", demo=demo)
    assert demo.purchases_received(order_id) == 0

    demo.django("from sandbox import faults; faults.clear()")
    recovered = time.monotonic()
    _wait(lambda: demo.purchase_event(order_id)[0] == "sent", timeout=60, what="the purchase sent", demo=demo)
    delivered_after = time.monotonic() - recovered
    _, attempts, _ = demo.purchase_event(order_id)
    failures = attempts - 1
    # Delivered by a retry the schedule made (nobody replayed it), within the last failure's backoff, one
    # beat interval, and slack for the polling of this test and of the worker on a busy machine.
    assert failures >= 1
    assert delivered_after <= RETRY_BASE_SECONDS * 2 ** (failures - 1) + DISPATCH_SECONDS + 10, (
        delivered_after, attempts)
    assert demo.purchases_received(order_id) == 1
    # Later ticks of the schedule find nothing to send again.
    time.sleep(2 * DISPATCH_SECONDS)
    assert demo.purchase_event(order_id)[0] == "sent"
    assert demo.purchases_received(order_id) == 1
    print(f"purchase delivered {delivered_after:.1f} s after recovery, after {failures} failed attempt(s)")

    assert demo.stop() == []
    assert demo.process.returncode is not None
