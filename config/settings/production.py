"""Production: everything from the environment, the sandbox never mounted, unsafe settings refused at start.

Each refusal raises ImproperlyConfigured naming the variable (never its value), so a weak secret, an open
host list or a malformed encryption key stops the process before it serves anything rather than at first use.
"""
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import INSECURE_DEFAULT_SECRET, env

# Django's own bar for a secret key (django.core.checks.security.base: W009).
SECRET_KEY_MIN_LENGTH, SECRET_KEY_MIN_UNIQUE_CHARACTERS = 50, 5
# Browsers' HSTS preload list needs at least a year.
HSTS_MIN_SECONDS = 31536000

SANDBOX_ENABLED = False
HTTP_ADAPTERS = {}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=HSTS_MIN_SECONDS)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405


def _fernet_keys_valid(keys: list[str]) -> bool:
    try:
        for key in keys:
            Fernet(key.strip().encode())
    except ValueError:
        return False
    return True


_REFUSALS = [
    (DEBUG, "DEBUG must be off in production settings."),  # noqa: F405
    (
        SECRET_KEY == INSECURE_DEFAULT_SECRET  # noqa: F405
        or SECRET_KEY.startswith("django-insecure-")  # noqa: F405
        or len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH  # noqa: F405
        or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS,  # noqa: F405
        f"SECRET_KEY must be a random value of at least {SECRET_KEY_MIN_LENGTH} characters with at least "
        f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones.",
    ),
    (
        not ALLOWED_HOSTS or any("*" in host or not host.strip() for host in ALLOWED_HOSTS),  # noqa: F405
        "ALLOWED_HOSTS must list the app's host names explicitly (no '*').",
    ),
    (not FIELD_ENCRYPTION_KEYS, "FIELD_ENCRYPTION_KEYS must be set in production (Fernet keys)."),  # noqa: F405
    (
        not _fernet_keys_valid(FIELD_ENCRYPTION_KEYS),  # noqa: F405
        "FIELD_ENCRYPTION_KEYS must be comma-separated url-safe base64 Fernet keys (32 bytes each); "
        "one of them is not.",
    ),
    (
        not (BIGCOMMERCE_CLIENT_ID and BIGCOMMERCE_CLIENT_SECRET),  # noqa: F405
        "BIGCOMMERCE_CLIENT_ID and BIGCOMMERCE_CLIENT_SECRET are required.",
    ),
    (
        not CELERY_BROKER_URL or CELERY_BROKER_URL.startswith(("memory:", "filesystem:")),  # noqa: F405
        "CELERY_BROKER_URL must name a real broker in production (Redis, e.g. redis://127.0.0.1:6379/0): the"
        " worker and beat take their work from it; the embedded filesystem broker is for the demo only.",
    ),
    (
        SECURE_HSTS_SECONDS < HSTS_MIN_SECONDS,
        f"SECURE_HSTS_SECONDS must be at least {HSTS_MIN_SECONDS} (one year; HSTS preload is on).",
    ),
]
for _refused, _message in _REFUSALS:
    if _refused:
        raise ImproperlyConfigured(_message)
