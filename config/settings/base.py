"""Settings shared by every environment, read from the environment (see .env.example)."""
from pathlib import Path

import environ
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# A placeholder that production.py refuses to run with.
INSECURE_DEFAULT_SECRET = "insecure-development-secret-do-not-use-in-production"
SECRET_KEY = env("SECRET_KEY", default=INSECURE_DEFAULT_SECRET)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# Public base URL of this app, used to build webhook destinations and the URLs merchants paste into Friendbuy.
APP_URL = env("APP_URL", default="http://127.0.0.1:8000").rstrip("/")

BIGCOMMERCE_CLIENT_ID = env("BIGCOMMERCE_CLIENT_ID", default="")
BIGCOMMERCE_CLIENT_SECRET = env("BIGCOMMERCE_CLIENT_SECRET", default="")
BIGCOMMERCE_API_URL = env("BIGCOMMERCE_API_URL", default="https://api.bigcommerce.com").rstrip("/")
BIGCOMMERCE_LOGIN_URL = env("BIGCOMMERCE_LOGIN_URL", default="https://login.bigcommerce.com").rstrip("/")
FRIENDBUY_API_URL = env("FRIENDBUY_API_URL", default="https://mapi.fbot.me").rstrip("/")

# Days of paid BigCommerce orders the daily reconciliation compares with the purchases sent.
LIFECYCLE_RECONCILE_DAYS = env.int("LIFECYCLE_RECONCILE_DAYS", default=3)
# First retry delay of an outbox event Friendbuy refused with 429/5xx (doubling per attempt, up to 6 h).
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=60.0)

# Unauthenticated calls (bad or missing signature/secret, unknown store, oversized or unreadable
# bodies) one client IP may have recorded, per window; past it they get 429 and are not stored.
INBOUND_UNAUTHENTICATED_RATE = env("INBOUND_UNAUTHENTICATED_RATE", default="60/min")
# Events per minute one store's API key may send to /api/external/v1/events (referrals.api.external_events).
EXTERNAL_EVENTS_RATE = env.int("EXTERNAL_EVENTS_RATE", default=600)

# Days evidence is kept (storefront.retention; 0 keeps forever), pruned hourly in batches: processed
# deliveries of both inboxes; successful outbound calls; failures (rejected or failed deliveries, failed
# outbound calls); reward validation callbacks; unauthenticated records (calls that proved nothing).
RETENTION_PROCESSED_DAYS = env.int("RETENTION_PROCESSED_DAYS", default=30)
RETENTION_OUTBOUND_CALLS_DAYS = env.int("RETENTION_OUTBOUND_CALLS_DAYS", default=30)
RETENTION_FAILURES_DAYS = env.int("RETENTION_FAILURES_DAYS", default=90)
RETENTION_VALIDATION_CALLBACKS_DAYS = env.int("RETENTION_VALIDATION_CALLBACKS_DAYS", default=90)
RETENTION_UNAUTHENTICATED_DAYS = env.int("RETENTION_UNAUTHENTICATED_DAYS", default=14)

# Comma-separated Fernet keys: the first encrypts, every key decrypts, so keys can rotate.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# The sandbox (fakes of both APIs) is mounted only where a settings module switches it on.
SANDBOX_ENABLED = False
# requests transport adapters mounted on every outbound session, {url prefix: dotted path}.
HTTP_ADAPTERS: dict[str, str] = {}
# Retry policy for outbound calls (both clients).
HTTP_RETRY = {"max_attempts": 5, "base_delay": 0.5, "max_delay": 30.0}
HTTP_TIMEOUT = (3.05, 20.0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "storefront",
    "referrals",
    "coupons",
    "fraud",
]

MIDDLEWARE = [
    # /healthz and /readyz for load balancers: answered before the HTTPS redirect and host validation.
    "storefront.health.HealthProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "storefront.middleware.ControlPanelFrameMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "referrals.merchant.header.app_header",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Webhook views manage their own transactions: the raw delivery must be committed before processing.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# A kept connection is checked before its first use in each request, so a restarted PostgreSQL costs no
# failed request (Celery's worker closes its connections around every task anyway).
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True))
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # An unreachable server fails a request (and /readyz) within seconds instead of hanging it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The demo's web server, worker and beat write to one file at once: take the write lock at BEGIN and
    # wait for it rather than failing with "database is locked"; WAL lets readers go on beside a writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    })

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# The load page lives in the BigCommerce control panel's cross-site iframe: cookies must be
# SameSite=None; Secure or the browser drops them there (and CSRF breaks with them).
SESSION_COOKIE_SAMESITE = "None"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SAMESITE = "None"
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Only the control panel may frame the app's pages.
FRAME_ANCESTORS = env.list(
    "FRAME_ANCESTORS", default=["https://*.bigcommerce.com", "https://*.mybigcommerce.com"]
)

# Celery: a worker and beat run everywhere but in the tests. The broker is per environment: production
# requires CELERY_BROKER_URL (Redis); the demo, without it, uses an embedded one (dev.py); the tests run
# tasks in-process (test.py).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Fair queues (storefront/bulk.py): live work (webhooks, rewards, validation, outbox) on the default queue,
# bulk work on its own, so it never waits behind a backfill. A worker started without -Q takes both (the
# demo); production runs one per queue (README, "Production"). Each store's bulk tasks run BULK_PER_STORE at
# a time across every worker; one over the cap is queued again BULK_REQUEUE_SECONDS later.
CELERY_TASK_DEFAULT_QUEUE = "celery"
BULK_QUEUE = "bulk"
CELERY_TASK_QUEUES = tuple(Queue(name, routing_key=name) for name in (CELERY_TASK_DEFAULT_QUEUE, BULK_QUEUE))
CELERY_TASK_ROUTES = {
    name: {"queue": BULK_QUEUE}
    for name in (
        "referrals.orders_backfill_window",
        "referrals.reconcile_orders",
        "referrals.reconcile_store",
        "referrals.analytics_sync_all",
        "coupons.refill_pools",
        "coupons.refill_pool",
        "storefront.retention_prune",
        "fraud.daily_summary",
    )
}
BULK_PER_STORE = env.int("BULK_PER_STORE", default=1)
BULK_REQUEUE_SECONDS = env.float("BULK_REQUEUE_SECONDS", default=5.0)
BULK_LEASE_SECONDS = env.int("BULK_LEASE_SECONDS", default=900)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict = {}
# Reward codes wait in pools (coupons/reward_pools.py): a pool per template, amount and currency is generated to
# COUPON_REWARD_POOL_SIZE codes and refilled once fewer than COUPON_REWARD_POOL_LOW are left.
COUPON_REWARD_POOL_SIZE = env.int("COUPON_REWARD_POOL_SIZE", default=100)
COUPON_REWARD_POOL_LOW = env.int("COUPON_REWARD_POOL_LOW", default=25)
# Rewards and coupons (referrals.tasks.rewards, coupons.tasks).
CELERY_BEAT_SCHEDULE.update({
    "coupons-reconcile-minting": {"task": "coupons.reconcile_minting", "schedule": 300.0},
    # Counts only, unless a pool fell below its threshold (then /codegen back up to its size).
    "coupons-refill-pools": {"task": "coupons.refill_pools", "schedule": 300.0},
    "rewards-expire-due": {"task": "referrals.rewards_expire_due", "schedule": 3600.0},
    "rewards-issue-pending": {"task": "referrals.rewards_issue_pending", "schedule": 900.0},
    # A refund's reversal whose task was lost (broker restart, retries used up) is done by this sweep.
    "rewards-reverse-missed": {"task": "referrals.rewards_reverse_missed", "schedule": 900.0},
    "rewards-loyalty-events-retry": {"task": "referrals.loyalty_events_retry", "schedule": 900.0},
    # Friendbuy deliveries whose processing failed, when due on their backoff, and those never queued.
    "referrals-friendbuy-deliveries-retry": {"task": "referrals.friendbuy_deliveries_retry", "schedule": 60.0},
})

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    # One JSON error shape for every API error: {"error": {"code", "message", "fields"}}.
    "EXCEPTION_HANDLER": "storefront.widget_api.errors.storefront_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Widget API throttles (storefront.widget_api.throttling), counted in the default cache.
    "DEFAULT_THROTTLE_RATES": {
        "storefront_ip": env("STOREFRONT_API_RATE_PER_IP", default="120/min"),
        "storefront_store": env("STOREFRONT_API_RATE_PER_STORE", default="6000/min"),
    },
    # Proxies in front of the app that append to X-Forwarded-For (storefront.client_ip): 0 = the TCP peer
    # is the client and the header is ignored; a caller can't choose its own IP either way.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

# Error reports cleanse secret-named settings, headers (incl. Authorization) and local variables.
DEFAULT_EXCEPTION_REPORTER_FILTER = "storefront.error_reports.SecretSafeExceptionReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "storefront.redaction.RedactingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # runserver's request lines go through the redacting handler too (Django's own handler would print
    # /bigcommerce/load?signed_payload_jwt=… as is); gunicorn's access log format is in gunicorn.conf.py.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# The widget API's OpenAPI schema (/api/schema/) and docs (/api/docs/, offline through the sidecar).
SPECTACULAR_SETTINGS = {
    "TITLE": "BigCommerce-Friendbuy storefront widget API",
    "DESCRIPTION": "Called by the scripts this app installs on a BigCommerce storefront.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["storefront.widget_api.schema.only_storefront_api"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Cache: throttle counters, cached referral links, CORS origins. Shared across processes when
# REDIS_URL/CACHE_URL is set (Django's Redis backend, degraded while Redis is down), else per-process memory.
_CACHE_URL = env("CACHE_URL", default="") or env("REDIS_URL", default="")
CACHES = {
    "default": (
        {
            # Redis down: widget calls still answer (storefront.cache); each call waits at most this long.
            "BACKEND": "storefront.cache.FailSoftRedisCache",
            "LOCATION": _CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
        if _CACHE_URL.startswith(("redis://", "rediss://", "unix://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"}
    ),
}

# BigCommerce's quota is per store and shared by every process (storefront.rate_budget): one budget per store in
# Redis (RATE_BUDGET_URL, default the cache's Redis), else in each process. `reserve`: the part of the quota
# left for other apps and calls in flight; below `pace_below` of it the rest is spread over the window;
# `max_wait`: the longest a call waits for its turn (then it goes, and a 429 is waited out as the API says).
BIGCOMMERCE_RATE_BUDGET = {
    "url": env("RATE_BUDGET_URL", default=_CACHE_URL),
    "reserve": env.float("BIGCOMMERCE_RATE_RESERVE", default=0.05),
    "pace_below": env.float("BIGCOMMERCE_RATE_PACE_BELOW", default=0.5),
    "max_wait": env.float("BIGCOMMERCE_RATE_MAX_WAIT", default=60.0),
}

# Storefront scripts are re-checked (missing re-created, drift repaired) every 6 hours.
CELERY_BEAT_SCHEDULE["storefront-scripts-check"] = {
    "task": "storefront.scripts_check_all",
    "schedule": 6 * 60 * 60,
}
# A script BigCommerce refused (or a failed call) is tried again on its own backoff (5 min doubling to 6 h).
CELERY_BEAT_SCHEDULE["storefront-scripts-retry"] = {
    "task": "storefront.scripts_retry_due",
    "schedule": 5 * 60,
}
# Order/customer lifecycle: repair hooks, send due outbox events, reconcile recent paid orders.
CELERY_BEAT_SCHEDULE["storefront-webhooks-repair"] = {
    "task": "storefront.webhooks_repair_all",
    "schedule": 6 * 60 * 60,
}
# Evidence past its retention (storefront.retention), deleted in bounded batches.
CELERY_BEAT_SCHEDULE["storefront-retention-prune"] = {
    "task": "storefront.retention_prune",
    "schedule": 60 * 60,
}
# Webhook deliveries stored and acknowledged but never queued (broker down, process killed) get queued.
CELERY_BEAT_SCHEDULE["storefront-webhook-deliveries-sweep"] = {
    "task": "storefront.webhook_deliveries_sweep",
    "schedule": 5 * 60,
}
# Webhook deliveries whose processing failed (e.g. BigCommerce 5xx on the re-fetch), when due on their backoff.
CELERY_BEAT_SCHEDULE["storefront-webhook-deliveries-retry"] = {
    "task": "storefront.webhook_deliveries_retry",
    "schedule": 60,
}
# Seconds between sweeps for due outbox events (retries after a Friendbuy outage); shorter in a test.
CELERY_BEAT_SCHEDULE["referrals-outbox-dispatch-due"] = {
    "task": "referrals.outbox_dispatch_due",
    "schedule": env.float("OUTBOX_DISPATCH_SECONDS", default=60.0),
}
CELERY_BEAT_SCHEDULE["referrals-reconcile-orders"] = {
    "task": "referrals.reconcile_orders",
    "schedule": 24 * 60 * 60,
}
# Fraud: decide long-held items as each store chose (hourly), and build yesterday's summary (daily).
CELERY_BEAT_SCHEDULE["fraud_auto_decide"] = {"task": "fraud.auto_decide", "schedule": 60 * 60}
CELERY_BEAT_SCHEDULE["fraud-daily-summary"] = {"task": "fraud.daily_summary", "schedule": 24 * 60 * 60}
# Friendbuy analytics (shares, clicks, sign-ups, purchases, advocate rewards) for the reports, nightly.
# Loyalty: customers whose birthday is today earn `birthday` (referrals.earning.birthdays), daily.
CELERY_BEAT_SCHEDULE["referrals-birthdays"] = {"task": "referrals.birthdays_send_all", "schedule": 24 * 60 * 60}
# Loyalty: approved product reviews earn `product_review` (referrals.earning.reviews): hourly, each store's scan
# queued as its own task, each run at most REVIEW_SCAN_CALLS BigCommerce calls (the next run resumes there).
CELERY_BEAT_SCHEDULE["referrals-review-scans"] = {"task": "referrals.review_scans_queue", "schedule": 60 * 60}
REVIEW_SCAN_CALLS = env.int("REVIEW_SCAN_CALLS", default=100)
CELERY_BEAT_SCHEDULE["referrals-analytics-sync"] = {"task": "referrals.analytics_sync_all", "schedule": 24 * 60 * 60}
