"""Shared set-up for the benchmarks: a fresh PostgreSQL database, migrated, with one installed store
whose sandbox twin accepts its token, and (optionally) a connected fake Friendbuy merchant; a gunicorn
on a free loopback port; a bounded concurrent request loop and the timing/percentile helpers."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_lifecycle"


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)


def _database_name_and_admin_url() -> tuple[str, str]:
    """The bench database's name, and a URL to the same server's `postgres` database to manage it from."""
    parts = urlsplit(database_url())
    return parts.path.lstrip("/"), parts._replace(path="/postgres").geturl()


def recreate_database() -> None:
    """Drop and create the bench database (never the test or dev database)."""
    import psycopg

    name, admin_url = _database_name_and_admin_url()
    if not name.startswith("bench"):
        raise SystemExit(f"Refusing to recreate {name!r}: bench databases must be named bench*.")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database() -> str:
    """Close Django's connections and drop the bench database; returns its name."""
    import psycopg
    from django.db import connections

    connections.close_all()
    name, admin_url = _database_name_and_admin_url()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return name


def setup_django(*, fresh: bool = True) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("BENCH_DATABASE_URL", database_url())
    if fresh:
        recreate_database()
    import django

    django.setup()
    if fresh:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def make_store(*, connected: bool = True, store_hash: str = "benchstore", **store_fields):
    from referrals.models import FriendbuyConnection
    from sandbox.bigcommerce import world as bc_world
    from sandbox.friendbuy import world as fb_world
    from storefront.models import Store

    store = Store.objects.create(
        store_hash=store_hash, access_token=f"token-{store_hash}-0123456789abcdef", **store_fields
    )
    bc_world.create_store(store.store_hash, access_token=store.access_token)
    merchant = None
    if connected:
        merchant = fb_world.create_merchant()
        FriendbuyConnection.objects.create(
            store=store,
            merchant_id=merchant.merchant_id,
            api_key=merchant.api_key,
            api_secret=merchant.api_secret,
            webhook_secret=merchant.webhook_secret,
        )
    return store, merchant


def rss_mb() -> float:
    """Current resident set size of this process, in MB (Linux /proc)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    port: int,
    *,
    workers: int = 2,
    threads: int = 1,
    extra_env: dict | None = None,
    settings: str = "bench.settings",
    ready_path: str = "/bench/bare/x",
    output=None,
):
    """gunicorn serving `settings` on 127.0.0.1:port, once `ready_path` answers: sync workers, or
    gthread workers (which keep connections alive between requests) when `threads` > 1. Its output goes
    to `output` (a file), else to this process's."""
    import subprocess

    import requests

    env = {k: v for k, v in os.environ.items() if k != "BENCH_SANDBOX_URL"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": settings,
            "BENCH_DATABASE_URL": database_url(),
            **(extra_env or {}),
        }
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--workers",
            str(workers),
            "--worker-class",
            "sync" if threads == 1 else "gthread",
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--env",
            f"DJANGO_SETTINGS_MODULE={settings}",
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=output,
    )
    for _ in range(100):  # bounded wait for gunicorn to listen
        try:
            requests.get(f"http://127.0.0.1:{port}{ready_path}", timeout=10)
            return server
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    stop_server(server)
    raise SystemExit("gunicorn did not start")


def stop_server(server) -> None:
    server.terminate()
    server.wait(timeout=10)


@contextlib.contextmanager
def serving(port: int, **options) -> Iterator:
    """`start_server(port, **options)` for the duration of the block, stopped however it ends."""
    server = start_server(port, **options)
    try:
        yield server
    finally:
        stop_server(server)


@dataclass
class LoadRun:
    """One bounded load: how many requests, over how many seconds, each one's latency (ms) and the
    status of every non-200 answer."""

    requests: int
    seconds: float
    latencies: list[float]
    failures: list[int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def load(send: Callable[[int, object], int], items: list, concurrency: int) -> LoadRun:
    """Run `send(client, item)` (returning an HTTP status) once per item, `concurrency` clients in
    parallel, client n taking items[n::concurrency]: bounded by the item list, never by time."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()

    def client(worker: int) -> None:
        for item in items[worker::concurrency]:
            started = time.perf_counter()
            status = send(worker, item)
            ms = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(ms)
                if status != 200:
                    failures.append(status)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(client, range(concurrency)))  # list(): re-raises a client's exception here
    return LoadRun(len(latencies), time.perf_counter() - started, latencies, failures)


def rank_percentile(values: Iterable[float], fraction: float) -> float:
    """The value at rank int(n * fraction) of the sorted values (the benchmarks' p95/p99)."""
    ordered = sorted(values)
    return ordered[int(len(ordered) * fraction) - 1]


def time_each(call: Callable[[object], object], items: Iterable, *, scale: float = 1000.0) -> list[float]:
    """Wall time of `call(item)` for each item, in seconds times `scale` (ms by default)."""
    timings = []
    for item in items:
        started = time.perf_counter()
        call(item)
        timings.append((time.perf_counter() - started) * scale)
    return timings
