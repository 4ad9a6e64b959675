"""Demo and local development: SQLite by default, tasks in-process, the sandbox mounted."""
from .base import *  # noqa: F403
from .base import APP_URL, env

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
