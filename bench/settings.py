"""Settings for the benchmarks: the demo settings on PostgreSQL (BENCH_DATABASE_URL), production-like
(DEBUG off), the sandbox mounted in-process, and the bench-only URLconf.

BENCH_CELERY_BROKER (memory:// or a Redis URL, with no worker) makes .delay() enqueue without running
the task (the ack benchmark queues on Redis and measures the inbox alone); unset, tasks run eagerly
in-process as in the demo.
"""

import os

from config.settings.dev import *  # noqa: F403
from config.settings.dev import env

DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.urls"
FIELD_ENCRYPTION_KEYS = ["o6Yv3pp4Yk2fV1o0ykkq4OZbQhC6oEYPCVBQs4u5GH8="]
DATABASES = {
    "default": env.db("BENCH_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/bench_lifecycle")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = 60
# Retries without waiting, unless BENCH_REAL_RETRIES (bench/load.py: a 429 is waited out as in production).
HTTP_RETRY = (
    {"max_attempts": 5, "base_delay": 0.5, "max_delay": 30.0}
    if os.environ.get("BENCH_REAL_RETRIES")
    else {"max_attempts": 5, "base_delay": 0.0, "max_delay": 0.0}
)
CELERY_BROKER_URL = os.environ.get("BENCH_CELERY_BROKER", "")
# Not the demo's embedded filesystem broker (config.settings.dev): BENCH_CELERY_BROKER's own transport.
CELERY_BROKER_TRANSPORT = None
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR", "handlers": []}}

# With BENCH_SANDBOX_URL the sandbox is called over real HTTP (a separate gunicorn), so a benchmark
# measures this process alone and not the in-process test-client transport.
SANDBOX_URL = os.environ.get("BENCH_SANDBOX_URL", "").rstrip("/")
if SANDBOX_URL:
    BIGCOMMERCE_API_URL = f"{SANDBOX_URL}/sandbox/bigcommerce"
    BIGCOMMERCE_LOGIN_URL = f"{SANDBOX_URL}/sandbox/bigcommerce-login"
    FRIENDBUY_API_URL = f"{SANDBOX_URL}/sandbox/friendbuy"
    HTTP_ADAPTERS = {}

# BENCH_BEAT_SECONDS (bench/faults.py) runs every periodic job due at most every 15 minutes that often
# instead, so a fault run drains in minutes; the daily ones keep their schedule.
BEAT_SECONDS = float(os.environ.get("BENCH_BEAT_SECONDS", "0") or 0)
if BEAT_SECONDS:
    CELERY_BEAT_SCHEDULE = {
        name: {**entry, "schedule": min(entry["schedule"], BEAT_SECONDS)} if entry["schedule"] <= 900 else entry
        for name, entry in CELERY_BEAT_SCHEDULE.items()  # noqa: F405
    }
