"""Shared set-up for the benchmarks: a fresh PostgreSQL database, migrated, with one installed store
whose sandbox twin accepts its token, and (optionally) a connected fake Friendbuy merchant."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_lifecycle"


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)


def recreate_database() -> None:
    """Drop and create the bench database (never the test or dev database)."""
    import psycopg

    parts = urlsplit(database_url())
    name = parts.path.lstrip("/")
    if not name.startswith("bench"):
        raise SystemExit(f"Refusing to recreate {name!r}: bench databases must be named bench*.")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


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


def make_store(*, connected: bool = True, store_hash: str = "benchstore"):
    from referrals.models import FriendbuyConnection
    from sandbox.bigcommerce import world as bc_world
    from sandbox.friendbuy import world as fb_world
    from storefront.models import Store

    store = Store.objects.create(store_hash=store_hash, access_token=f"token-{store_hash}-0123456789abcdef")
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


def start_server(port: int, *, workers: int = 2, threads: int = 1, extra_env: dict | None = None):
    """gunicorn serving bench.settings on 127.0.0.1:port, once it answers: sync workers, or gthread
    workers (which keep connections alive between requests) when `threads` > 1."""
    import subprocess
    import time

    import requests

    env = {k: v for k, v in os.environ.items() if k != "BENCH_SANDBOX_URL"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
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
            "DJANGO_SETTINGS_MODULE=bench.settings",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/bench/bare/x", timeout=10)
            return server
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not start")
