"""Issue 17's "Done when", in a real (headless Chromium) browser: a merchant who installs fresh connects
Friendbuy in the app's form, Friendbuy's first signed call and a paid BigCommerce order arrive (through the
sandbox, as they would in production), the app's home turns into "All set" and the live dashboard, and the
merchant follows the in-app link to Settings and changes the reward code rules. Nothing is set up behind the
browser's back: every step turns done from what the app received. Screenshots at 1280 and 390 px."""
from decimal import Decimal

import pytest
from playwright import sync_api

from coupons.services import coupon_template_default
from referrals.merchant.setup import setup_status
from sandbox.bigcommerce import world as bc_world
from sandbox.friendbuy import world as fb_world
from storefront.models import Store
from storefront.selectors import store_public_urls
from tests.fixtures_browser import BROWSER, SCREENSHOTS, owner_app_page

pytestmark = BROWSER


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _shot(page, name: str, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_fresh_install_reaches_all_set_and_the_dashboard_then_changes_the_reward_code_rules(
        live, install_app, friendbuy_merchant, width):
    url, browser = live
    assert install_app().status_code == 302
    store = Store.objects.get(store_hash="abc123")
    page = owner_app_page(browser, url, width=width)
    sync_api.expect(page.locator("h1")).to_have_text("Set up referrals")

    # Step 1 (and 2, the scripts it installs): the merchant connects Friendbuy in the form.
    page.fill("#id_merchant_id", friendbuy_merchant.merchant_id)
    page.fill("#id_api_key", friendbuy_merchant.api_key)
    page.fill("#id_api_secret", friendbuy_merchant.api_secret)
    page.fill("#id_webhook_secret", friendbuy_merchant.webhook_secret)
    page.click("button:has-text('Connect Friendbuy')")
    sync_api.expect(page.locator(".messages")).to_contain_text("Friendbuy is connected")
    sync_api.expect(page.locator("#setup-progress")).to_contain_text("3 of 5 steps done")

    # Step 4: the merchant pasted the URLs into Friendbuy, which makes its first signed call.
    urls = store_public_urls(store=store)
    response = fb_world.send_webhook(
        url=urls["friendbuy_webhook_url"], secret=friendbuy_merchant.webhook_secret, type="emailCapture",
        data=[fb_world.email_capture_payload(email="first.friend@example.com", name="First Friend",
                                             advocate_email="ada@example.com", referral_code="adaref")])
    assert response.status_code < 300, response.text
    page.reload()
    sync_api.expect(page.locator("#step-friendbuy-urls .badge").first).to_have_text("Done")
    sync_api.expect(page.locator("#setup-progress")).to_contain_text("4 of 5 steps done")

    # Step 5: a paid order arrives through BigCommerce's webhook and its purchase goes to Friendbuy.
    order = bc_world.create_order("abc123", email="first.buyer@example.com", status_id=11,
                                  products=[{"name": "Espresso Cup", "price": "24.00", "quantity": 2}])
    assert all(r.status_code < 300 for r in bc_world.fire_order_event("abc123", order["id"]))
    assert setup_status(store=store).complete

    page.goto(f"{url}/app/")
    sync_api.expect(page.locator("h1")).to_have_text("Dashboard")
    sync_api.expect(page.locator("body")).not_to_contain_text("Set up referrals")
    _fits(page, width)
    _shot(page, "journey-dashboard", width)
    page.click(".dashboard-links a:has-text('Setup steps')")
    sync_api.expect(page.locator("h1")).to_have_text("All set")
    sync_api.expect(page.locator("#setup-progress")).to_contain_text("5 of 5 steps done")
    _fits(page, width)
    _shot(page, "journey-all-set", width)

    # "Can change the reward code rules from the app": the in-app link to Settings, prefix and minimum spend.
    page.goto(f"{url}/app/")
    page.click(".dashboard-links a:has-text('Settings')")
    sync_api.expect(page.locator("#reward_codes-title")).to_have_text("Reward codes")
    codes = page.locator("#reward_codes form")
    codes.locator("#id_prefix").fill("FRIEND")
    codes.locator("#id_min_spend").fill("30")
    codes.locator("button[type=submit]").click()
    sync_api.expect(page.locator(".messages")).to_contain_text("Reward codes saved.")
    template = coupon_template_default(store=store)
    assert (template.prefix, template.min_spend) == ("FRIEND", Decimal("30"))
    _fits(page, width)
    _shot(page, "journey-settings-saved", width)
