"""Production: everything from the environment, the sandbox never mounted, unsafe settings refused."""
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import INSECURE_DEFAULT_SECRET, env

if DEBUG:  # noqa: F405
    raise ImproperlyConfigured("DEBUG must be off in production settings.")
if SECRET_KEY == INSECURE_DEFAULT_SECRET or len(SECRET_KEY) < 50:  # noqa: F405
    raise ImproperlyConfigured("SECRET_KEY must be set to a long random value in production.")
if not FIELD_ENCRYPTION_KEYS:  # noqa: F405
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set in production (Fernet keys).")
if not (BIGCOMMERCE_CLIENT_ID and BIGCOMMERCE_CLIENT_SECRET):  # noqa: F405
    raise ImproperlyConfigured("BIGCOMMERCE_CLIENT_ID and BIGCOMMERCE_CLIENT_SECRET are required.")
if not CELERY_BROKER_URL or CELERY_BROKER_URL.startswith(("memory:", "filesystem:")):  # noqa: F405
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL must name a real broker in production (Redis, e.g. redis://127.0.0.1:6379/0): the"
        " worker and beat take their work from it; the embedded filesystem broker is for the demo only."
    )

SANDBOX_ENABLED = False
HTTP_ADAPTERS = {}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405
