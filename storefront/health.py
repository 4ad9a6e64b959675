"""Health probes: `/healthz` (liveness) and `/readyz` (readiness) for a load balancer, and the checks the
worker runs for its own container check (storefront.worker_health).

- `/healthz`: 200 {"status": "ok"} while the process answers. It touches no dependency, so a database
  or Redis outage never gets every web process restarted by its orchestrator.
- `/readyz`: 200 {"status": "ready", "checks": {...}} when the database answers with every migration
  applied, the cache (Redis, when CACHE_URL is set) answers, and the Celery broker (when
  CELERY_BROKER_URL is set) accepts a connection; else 503 {"status": "unavailable", "checks": {...}}
  naming the check that failed. A failure is named by its exception class only: error texts can carry
  URLs, and URLs can carry passwords.

HealthProbeMiddleware answers both, first in MIDDLEWARE: before SecurityMiddleware's HTTPS redirect and
before anything reads the Host header, because a load balancer probes each instance over plain HTTP by
its address, which SECURE_SSL_REDIRECT would redirect and ALLOWED_HOSTS refuse. That is safe because
neither answer uses the host or scheme, sets a cookie, or says more than which dependency is down.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from celery import current_app
from django.core.cache import caches
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse

OK = "ok"
BROKER_TIMEOUT_SECONDS = 2.0
CACHE_PROBE_KEY = "health:readyz"
PROBE_PATHS = ("/healthz", "/readyz")
_migrations_applied = False  # once seen applied, they stay applied for this process's code


def failure(exc: BaseException) -> str:
    return f"failed: {type(exc).__name__}"


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def check_migrations() -> str:
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if unapplied:
            return f"failed: {len(unapplied)} migration(s) not applied"
        _migrations_applied = True
    return OK


def check_cache() -> str:
    cache = caches["default"]
    ping = getattr(cache, "ping", None)  # storefront.cache.FailSoftRedisCache: the server itself, no fallback
    if ping is not None:
        ping()
        return OK
    cache.set(CACHE_PROBE_KEY, OK, 10)
    return OK if cache.get(CACHE_PROBE_KEY) == OK else "failed: value not kept"


def check_broker() -> str:
    if current_app.conf.task_always_eager or not current_app.conf.broker_url:
        return "skipped: no broker (tasks run in-process)"
    with current_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    return OK


def run_checks(checks: dict[str, Callable[[], str]]) -> dict[str, str]:
    """{name: "ok" | "skipped: …" | "failed: …"}; a check that raises is recorded as failed, never raised."""
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure of a dependency is an answer here, not an error
            results[name] = failure(exc)
    return results


def database_checks() -> dict[str, str]:
    results = run_checks({"database": check_database})
    if results["database"] == OK:
        results.update(run_checks({"migrations": check_migrations}))
    else:
        results["migrations"] = "failed: database unavailable"
    return results


def readiness() -> tuple[bool, dict[str, str]]:
    checks = {**database_checks(), **run_checks({"cache": check_cache, "broker": check_broker})}
    return all(not result.startswith("failed") for result in checks.values()), checks


def _json(status: int, body: dict) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def healthz() -> HttpResponse:
    return _json(200, {"status": "ok"})


def readyz() -> HttpResponse:
    ready, checks = readiness()
    return _json(200 if ready else 503, {"status": "ready" if ready else "unavailable", "checks": checks})


class HealthProbeMiddleware:
    """Answers GET/HEAD /healthz and /readyz before any other middleware (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in PROBE_PATHS:
            if request.method not in ("GET", "HEAD"):
                response = _json(405, {"status": "method not allowed"})
                response["Allow"] = "GET, HEAD"
                return response
            return healthz() if request.path_info == "/healthz" else readyz()
        return self.get_response(request)

