"""Tests: DATABASE_URL if set (PostgreSQL in CI), else SQLite; the sandbox answers in-process."""
from .dev import *  # noqa: F403
from .dev import env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"
FIELD_ENCRYPTION_KEYS = ["o6Yv3pp4Yk2fV1o0ykkq4OZbQhC6oEYPCVBQs4u5GH8="]
APP_URL = "https://app.example.test"
ALLOWED_HOSTS = ["*"]
BIGCOMMERCE_CLIENT_ID = "test-client-id"
BIGCOMMERCE_CLIENT_SECRET = "test-client-secret-0123456789abcdef"
BIGCOMMERCE_API_URL = "http://sandbox.test/sandbox/bigcommerce"
BIGCOMMERCE_LOGIN_URL = "http://sandbox.test/sandbox/bigcommerce-login"
FRIENDBUY_API_URL = "http://sandbox.test/sandbox/friendbuy"
HTTP_ADAPTERS = {
    "http://sandbox.test/": "sandbox.transport.InProcessAdapter",
    "https://app.example.test/": "sandbox.transport.InProcessAdapter",
}
# Retries keep their rules but not their waiting.
HTTP_RETRY = {"max_attempts": 5, "base_delay": 0.0, "max_delay": 0.0}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks run in-process; a test that wants a real worker starts one on TEST_CELERY_BROKER_URL.
CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", default="")
CELERY_BROKER_TRANSPORT = None
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
CELERY_TASK_ALWAYS_EAGER = True
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///:memory:")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Many tests make unauthenticated calls from 127.0.0.1; the tests of the limit set their own rate.
INBOUND_UNAUTHENTICATED_RATE = "100000/min"

# The real worker the worker tests start (tests/fixtures_celery.py) runs these settings with
# TEST_CELERY_WORKER set: tasks go through the broker, and beat fires every entry every
# TEST_CELERY_BEAT_SECONDS instead of minutes to days, so scheduled journeys finish within a test.
if env.bool("TEST_CELERY_WORKER", default=False):
    CELERY_TASK_ALWAYS_EAGER = False
    _BEAT_SECONDS = env.float("TEST_CELERY_BEAT_SECONDS", default=2.0)
    CELERY_BEAT_SCHEDULE = {
        key: {**entry, "schedule": _BEAT_SECONDS} for key, entry in CELERY_BEAT_SCHEDULE.items()  # noqa: F405
    }
