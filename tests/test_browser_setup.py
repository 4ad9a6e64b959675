"""The guided setup in a real (headless Chromium) browser: a store installed fresh (Friendbuy not connected)
opens the app from the control panel, sees five steps with webhooks already active, connects Friendbuy through
the form and sees the tracking step turn done. Screenshots at 1280 and 390 px go to var/screenshots/."""

import pytest
from playwright import sync_api

from referrals.friendbuy.services import friendbuy_connect
from referrals.models import FriendbuyChannelConnection
from sandbox.bigcommerce import world as bc_world
from sandbox.friendbuy import world as fb_world
from storefront.channels import channels_sync
from storefront.models import Store
from tests.fixtures_browser import BROWSER, SCREENSHOTS, owner_app_page

pytestmark = BROWSER




@pytest.mark.parametrize("width", [1280, 390])
def test_a_fresh_install_walks_the_setup_steps_and_connects_friendbuy(live, install_app, friendbuy_merchant, width):
    url, browser = live
    assert install_app().status_code == 302
    page = owner_app_page(browser, url, width=width)
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


@pytest.mark.parametrize("width", [1280, 390])
def test_the_owner_gives_a_second_storefront_its_own_friendbuy_merchant(live, install_app, width):
    url, browser = live
    assert install_app().status_code == 302
    store = Store.objects.get(store_hash="abc123")
    store_merchant, outlet_merchant = fb_world.create_merchant(), fb_world.create_merchant()
    friendbuy_connect(store=store, merchant_id=store_merchant.merchant_id, api_key=store_merchant.api_key,
                      api_secret=store_merchant.api_secret, webhook_secret=store_merchant.webhook_secret)
    outlet, _ = bc_world.create_channel("abc123", name="Outlet", status="active",
                                        site_url="https://outlet.example.com/", notify=False)
    channels_sync(store=store)
    page = owner_app_page(browser, url, width=width, path="/app/setup/")
    section = page.locator("#storefront-connections")
    sync_api.expect(section).to_contain_text("Outlet")
    sync_api.expect(section.locator("tbody tr").first).to_contain_text("The store's")

    section.locator("summary").click()
    section.locator("#sc-channel").select_option(str(outlet["id"]))
    section.locator("#sc-merchant").fill(outlet_merchant.merchant_id)
    section.locator("#sc-key").fill(outlet_merchant.api_key)
    section.locator("#sc-secret").fill(outlet_merchant.api_secret)
    section.locator("#sc-webhook").fill(outlet_merchant.webhook_secret)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"setup-storefront-form-{width}.png"), full_page=True)
    section.locator("button:has-text('Save and check')").click()

    sync_api.expect(page.locator(".messages")).to_contain_text("its own Friendbuy merchant now")
    sync_api.expect(page.locator("#storefront-connections tbody tr").first).to_contain_text(outlet_merchant.merchant_id)
    assert FriendbuyChannelConnection.objects.get(store=store).channel_id == outlet["id"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SCREENSHOTS / f"setup-storefront-connected-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_loyalty_events_page_fits_the_screen(live, install_app, width):
    url, browser = live
    assert install_app().status_code == 302
    page = owner_app_page(browser, url, width=width, path="/app/events/")
    sync_api.expect(page.locator("h2").first).to_have_text("Events sent to Friendbuy")
    sync_api.expect(page.locator("table").first).to_contain_text("Event type")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"loyalty-events-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_loyalty_events_page_switches_product_reviews_on_and_says_why_they_are_off(live, install_app, width):
    url, browser = live
    assert install_app().status_code == 302
    page = owner_app_page(browser, url, width=width, path="/app/events/")
    page.check("input[name=reviews_enabled]")
    page.click("form button[type=submit] >> text=Save")
    sync_api.expect(page.locator("#reviews-status")).to_contain_text("Reviews approved since")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"loyalty-events-reviews-on-{width}.png"), full_page=True)

    # A store installed before the Products scope was requested: reviews stay off and the page says why.
    store = Store.objects.get(store_hash="abc123")
    store.scopes = store.scopes.replace("store_v2_products_read_only", "").strip()
    store.save(update_fields=["scopes"])
    page.goto(f"{url}/app/events/")
    sync_api.expect(page.locator("#reviews-status")).to_contain_text("store_v2_products_read_only")
    sync_api.expect(page.locator("table").first).to_contain_text("product_review")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SCREENSHOTS / f"loyalty-events-reviews-scope-missing-{width}.png"), full_page=True)
