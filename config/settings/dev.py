"""Demo and local development: SQLite by default, an embedded Celery broker, the sandbox mounted."""
from pathlib import Path

from .base import *  # noqa: F403
from .base import APP_URL, BASE_DIR, CELERY_BROKER_URL, env

DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
BIGCOMMERCE_CLIENT_ID = env("BIGCOMMERCE_CLIENT_ID", default="demo-client-id")
BIGCOMMERCE_CLIENT_SECRET = env("BIGCOMMERCE_CLIENT_SECRET", default="demo-client-secret-0123456789abcdef")
# The demo talks to its own sandbox, served under its own address (APP_URL), unless told otherwise.
BIGCOMMERCE_API_URL = env("BIGCOMMERCE_API_URL", default=f"{APP_URL}/sandbox/bigcommerce")
BIGCOMMERCE_LOGIN_URL = env("BIGCOMMERCE_LOGIN_URL", default=f"{APP_URL}/sandbox/bigcommerce-login")
FRIENDBUY_API_URL = env("FRIENDBUY_API_URL", default=f"{APP_URL}/sandbox/friendbuy")
SANDBOX_ENABLED = True
INSTALLED_APPS = [*INSTALLED_APPS, "sandbox", "sandbox.bigcommerce", "sandbox.friendbuy"]  # noqa: F405
# The sandbox answers in-process: no second server and no network needed.
HTTP_ADAPTERS = {f"{APP_URL}/": "sandbox.transport.InProcessAdapter"}
# Plain http on localhost: Secure cookies would never be sent back.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SESSION_COOKIE_SAMESITE = "Lax" if not SESSION_COOKIE_SECURE else "None"
CSRF_COOKIE_SAMESITE = "Lax" if not CSRF_COOKIE_SECURE else "None"

# The same topology as production (web, worker, beat) with no service to install: unless CELERY_BROKER_URL
# is set, messages are files under var/celery/ (kombu's filesystem transport, written atomically by
# config.embedded_broker), read by the one worker ./scripts/demo starts. kombu does not create the folders.
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT = "config.embedded_broker:Transport"
    _broker_dir = Path(env("CELERY_FILESYSTEM_DIR", default=str(BASE_DIR / "var" / "celery")))
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "polling_interval": 0.5,
    }
