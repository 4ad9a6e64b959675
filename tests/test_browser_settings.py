"""The merchant's settings in a real (headless Chromium) browser: the owner opens the app from the control
panel, changes each form (reward codes, fraud checks, the amount sent to Friendbuy, the program switch), sees
each saved and in the history, and a wrong value refused with its message. Screenshots at 1280 and 390 px."""
from decimal import Decimal

import pytest
from playwright import sync_api

from coupons.services import coupon_template_default
from fraud.selectors import fraud_settings
from referrals.friendbuy.services import friendbuy_connect
from referrals.models import SettingsChange, StoreSettings
from storefront.models import Store, StorefrontSettings
from tests.fixtures_browser import BROWSER, SCREENSHOTS, owner_app_page

pytestmark = BROWSER


def _saved(page, text):
    sync_api.expect(page.locator(".messages")).to_contain_text(text)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_owner_changes_each_setting_in_the_app_and_sees_it_saved(live, install_app, friendbuy_merchant, width):
    url, browser = live
    assert install_app().status_code == 302
    store = Store.objects.get(store_hash="abc123")
    friendbuy_connect(store=store, merchant_id=friendbuy_merchant.merchant_id, api_key=friendbuy_merchant.api_key,
                      api_secret=friendbuy_merchant.api_secret, webhook_secret=friendbuy_merchant.webhook_secret)
    page = owner_app_page(browser, url, width=width, path="/app/settings/")
    sync_api.expect(page.locator("#reward_codes-title")).to_have_text("Reward codes")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"settings-{width}.png"), full_page=True)

    codes = page.locator("#reward_codes form")
    codes.locator("#id_prefix").fill("RE F!")
    codes.locator("button[type=submit]").click()
    sync_api.expect(page.locator("#reward_codes")).to_contain_text("Use only letters, digits, - or _ in the prefix")
    page.screenshot(path=str(SCREENSHOTS / f"settings-error-{width}.png"), full_page=True)
    codes = page.locator("#reward_codes form")
    codes.locator("#id_prefix").fill("ref")
    codes.locator("#id_min_spend").fill("25")
    codes.locator("button[type=submit]").click()
    _saved(page, "Reward codes saved.")
    sync_api.expect(page.locator("body")).to_contain_text("Minimum spend: 0.00 → 25.00")
    template = coupon_template_default(store=store)
    assert (template.prefix, template.min_spend) == ("REF", Decimal("25"))

    fraud = page.locator("#fraud form")
    fraud.locator("#id_hold_score").fill("45")
    fraud.locator("button[type=submit]").click()
    _saved(page, "Fraud checks saved.")
    assert fraud_settings(store_id=store.pk).hold_score == 45

    page.locator("#purchase_amount form input[value=total_inc_tax]").check()
    page.locator("#purchase_amount form button[type=submit]").click()
    _saved(page, "Amount sent to Friendbuy saved.")
    assert StoreSettings.objects.get(store=store).purchase_amount_field == "total_inc_tax"

    page.locator("#program form input[value=off]").check()
    page.locator("#program form button[type=submit]").click()
    _saved(page, "The referral program is off")
    assert StorefrontSettings.objects.get(store=store).program_enabled is False
    assert set(SettingsChange.objects.filter(store=store).values_list("section", flat=True)) == {
        "reward_codes", "fraud", "purchase_amount", "program"}
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SCREENSHOTS / f"settings-saved-{width}.png"), full_page=True)
