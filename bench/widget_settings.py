"""Settings for bench/widget_api.py: the demo settings, production-like (DEBUG off), on a throwaway
SQLite file (BENCH_WIDGET_DB), with the bench-only URLconf and throttles high enough not to trip."""

import os

from config.settings.dev import *  # noqa: F403
from config.settings.dev import REST_FRAMEWORK

DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.widget_urls"
FIELD_ENCRYPTION_KEYS = ["o6Yv3pp4Yk2fV1o0ykkq4OZbQhC6oEYPCVBQs4u5GH8="]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["BENCH_WIDGET_DB"],
        "ATOMIC_REQUESTS": False,
        "CONN_MAX_AGE": 60,
    }
}
# Throttles stay on (their cost is part of what is measured) but never answer 429 here.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"storefront_ip": "1000000/min", "storefront_store": "1000000/min"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR", "handlers": []}}
