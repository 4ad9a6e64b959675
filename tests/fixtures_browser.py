"""Browser tests: Debian's chromium (headless) driven by Playwright against Django's live server.

`pytestmark = BROWSER` marks a module (skipped where chromium is absent); the `live` fixture gives
(url, browser); screenshots go to SCREENSHOTS (var/screenshots/, or $SCREENSHOT_DIR).
"""
import os
from pathlib import Path

import pytest
from django.db import connections
from playwright import sync_api

from sandbox.bigcommerce.tokens import signed_payload_jwt
from tests.fixtures_install import OWNER_EMAIL, OWNER_ID, STORE_HASH

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or Path(__file__).resolve().parents[1] / "var" / "screenshots")
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is absent (apt-get install chromium)"),
]


@pytest.fixture
def live(transactional_db, live_server, settings, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test only touches the ORM between steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.APP_URL = live_server.url
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield live_server.url, browser
        finally:
            browser.close()
            # ORM calls made while Playwright's loop ran used a connection of that context: close it
            # here, or it outlives the test and blocks dropping the test database.
            connections.close_all()


def owner_app_page(browser, url: str, *, width: int, path: str = "", store_hash: str = STORE_HASH):
    """A page holding the app session the control panel's /load starts for the store owner, at `path`."""
    token = signed_payload_jwt(store_hash=store_hash, user_id=OWNER_ID, user_email=OWNER_EMAIL,
                               owner_id=OWNER_ID, owner_email=OWNER_EMAIL)
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{url}/bigcommerce/load?signed_payload_jwt={token}")
    if path:
        page.goto(f"{url}{path}")
    return page
