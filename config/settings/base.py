"""Settings shared by every environment, read from the environment (see .env.example)."""
from pathlib import Path

import environ

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
    "django_celery_beat",
    "storefront",
    "referrals",
    "coupons",
    "fraud",
]

MIDDLEWARE = [
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
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Webhook views manage their own transactions: the raw delivery must be committed before processing.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))

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

# Celery: with no broker configured, tasks run in-process (the demo and the tests).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict = {}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "storefront.redaction.RedactingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
