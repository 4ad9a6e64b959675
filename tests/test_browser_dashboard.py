"""The dashboard in a real (headless Chromium) browser: a store whose setup is done opens the app from the control
panel and lands on the dashboard (figures, something needing attention, recent referrals and rewards), which
fits a 390 px screen without scrolling sideways. Screenshots at 1280 and 390 px go to var/screenshots/."""
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright import sync_api

from referrals.friendbuy.services import friendbuy_connect
from referrals.models import FriendbuyDelivery, OutboxEvent
from referrals.orders.identity import identity_upsert
from sandbox.bigcommerce import world as bc_world
from storefront.channels import channels_sync
from storefront.models import Store
from tests.fixtures_browser import BROWSER, SCREENSHOTS, owner_app_page
from tests.fixtures_support import Builder

pytestmark = BROWSER


def _a_store_with_a_month_of_referrals(merchant) -> Store:
    bc_world.set_store_information("abc123", notify=False, name="Northwind Outfitters")
    store = Store.objects.get(store_hash="abc123")
    channels_sync(store=store)
    friendbuy_connect(store=store, merchant_id=merchant.merchant_id, api_key=merchant.api_key,
                      api_secret=merchant.api_secret, webhook_secret=merchant.webhook_secret)
    FriendbuyDelivery.objects.create(store=store, kind=FriendbuyDelivery.Kind.WEBHOOK, public_id=store.public_id,
                                     valid=True, status=FriendbuyDelivery.Status.PROCESSED)
    OutboxEvent.objects.create(store=store, kind=OutboxEvent.Kind.PURCHASE, natural_key="purchase:9000",
                               state=OutboxEvent.State.SENT, sent_at=timezone.now())
    build, now = Builder(store), timezone.now()
    identity_upsert(store=store, bc_customer_id=900, email="ada.lovelace.longname@example.com",
                    first_name="Ada", last_name="Lovelace")
    for number, days in ((1, 2), (2, 6), (3, 12), (4, 41)):
        order = build.order(number, email=f"friend{number}.with.a.long.address@example.com",
                            subtotal=f"{1200 + number * 37}.50", at=now - timedelta(days=days))
        build.attribution(order, advocate="900")
        build.purchase_event(order, is_new=number % 2 == 1)
        build.reward(f"RW-{number}", order=order, customer_id="900", email="ada.lovelace.longname@example.com",
                     amount="15", code=f"ADA{number}OFF")
    build.assessment(build.order(5, email="suspicious@example.com", at=now - timedelta(days=1)), decision="hold")
    return store


@pytest.mark.parametrize("width", [1280, 390])
def test_a_store_with_setup_done_lands_on_the_dashboard_that_fits_the_screen(live, install_app, friendbuy_merchant,
                                                                             width):
    url, browser = live
    assert install_app().status_code == 302
    _a_store_with_a_month_of_referrals(friendbuy_merchant)
    page = owner_app_page(browser, url, width=width)
    sync_api.expect(page.locator("h1")).to_have_text("Dashboard")
    sync_api.expect(page.locator("header .who")).to_contain_text("Northwind Outfitters")
    sync_api.expect(page.locator("#figure-referred_orders .value")).to_have_text("3")
    sync_api.expect(page.locator("#figure-referred_revenue .value")).to_have_text("$3,823.50")
    sync_api.expect(page.locator("#figure-referred_orders .compare")).to_contain_text("+200%")
    sync_api.expect(page.locator("#attention-reviews")).to_contain_text("1 referral waits for a fraud review")
    sync_api.expect(page.locator("#recent-referrals tbody tr")).to_have_count(4)
    sync_api.expect(page.locator("#recent-referrals tbody tr").first).to_contain_text("Ada Lovelace")
    sync_api.expect(page.locator("#recent-rewards tbody tr").first).to_contain_text("ADA1OFF")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{width}.png"), full_page=True)

    page.click("a:has-text('Setup steps')")
    sync_api.expect(page.locator("h1")).to_have_text("All set")
