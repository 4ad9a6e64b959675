"""The guided setup in a real (headless Chromium) browser: a store installed fresh (Friendbuy not connected)
opens the app from the control panel, sees five steps with webhooks already active, connects Friendbuy through
the form and sees the tracking step turn done. Screenshots at 1280 and 390 px go to var/screenshots/."""
import os
from pathlib import Path

import pytest
from django.db import connections

from sandbox.bigcommerce.tokens import signed_payload_jwt
from tests.fixtures_install import OWNER_EMAIL, OWNER_ID

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or Path(__file__).resolve().parents[1] / "var" / "screenshots")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is absent (apt-get install chromium)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="python playwright is not installed")


@pytest.fixture
def live(transactional_db, live_server, settings, monkeypatch):
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
            connections.close_all()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_fresh_install_walks_the_setup_steps_and_connects_friendbuy(live, install_app, friendbuy_merchant, width):
    url, browser = live
    assert install_app().status_code == 302
    token = signed_payload_jwt(store_hash="abc123", user_id=OWNER_ID, user_email=OWNER_EMAIL,
                               owner_id=OWNER_ID, owner_email=OWNER_EMAIL)
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{url}/bigcommerce/load?signed_payload_jwt={token}")
    sync_api.expect(page.locator("h1")).to_have_text("Set up referrals")
    sync_api.expect(page.locator("#setup-progress")).to_contain_text("1 of 5 steps done")
    sync_api.expect(page.locator("#step-webhooks .badge").first).to_have_text("Done")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"setup-fresh-{width}.png"), full_page=True)

    page.fill("#id_merchant_id", friendbuy_merchant.merchant_id)
    page.fill("#id_api_key", friendbuy_merchant.api_key)
    page.fill("#id_api_secret", friendbuy_merchant.api_secret)
    page.fill("#id_webhook_secret", friendbuy_merchant.webhook_secret)
    page.click("button:has-text('Connect Friendbuy')")
    sync_api.expect(page.locator(".messages")).to_contain_text("Friendbuy is connected")
    sync_api.expect(page.locator("#step-connect .badge").first).to_have_text("Done")
    sync_api.expect(page.locator("#step-tracking .badge").first).to_have_text("Done")
    sync_api.expect(page.locator("#setup-progress")).to_contain_text("3 of 5 steps done")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SCREENSHOTS / f"setup-connected-{width}.png"), full_page=True)
