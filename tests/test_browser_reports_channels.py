"""The reports split by storefront channel in a real (headless Chromium) browser: a merchant whose store has
a second storefront (read from BigCommerce) opens the reports from the control panel, picks the channel, sees
that channel's figures and downloads its CSV. Screenshots at 1280 and 390 px go to var/screenshots/."""
import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright import sync_api

from referrals.models import OrderSnapshot
from sandbox.bigcommerce import world as bc_world
from sandbox.bigcommerce.tokens import signed_payload_jwt
from storefront.channels import channels_sync
from tests.fixtures_browser import BROWSER, SCREENSHOTS
from tests.fixtures_support import Builder

pytestmark = BROWSER


@pytest.mark.parametrize("width", [1280, 390])
def test_merchant_picks_a_channel_in_the_reports_and_downloads_its_csv(live, support_store, width):
    url, browser = live
    outlet, _ = bc_world.create_channel(support_store.store_hash, name="Outlet", status="active",
                                        site_url="https://outlet.example.com/", notify=False)
    channels_sync(store=support_store)
    build = Builder(support_store)
    main_order = build.order(601, email="a@example.com", at=timezone.now() - timedelta(days=3))
    build.attribution(main_order)
    for number in (602, 603):
        order = build.order(number, email=f"o{number}@example.com", at=timezone.now() - timedelta(days=2))
        OrderSnapshot.objects.filter(pk=order.pk).update(channel_id=outlet["id"])
    build.attribution(OrderSnapshot.objects.get(store=support_store, bc_order_id=602), referral_code="OUT-REF")
    token = signed_payload_jwt(store_hash=support_store.store_hash, user_id=4711, user_email="merchant@example.com",
                               owner_id=4711, owner_email="merchant@example.com")

    page = browser.new_page(accept_downloads=True, viewport={"width": width, "height": 900})
    page.goto(f"{url}/bigcommerce/load?signed_payload_jwt={token}")
    page.click("text=Open the reports")
    sync_api.expect(page.locator(".report-summary dd").first).to_have_text("2 of 3 paid orders")
    page.locator("#channel").select_option(str(outlet["id"]))
    page.click(".report-filters button[type=submit]")
    sync_api.expect(page.locator(".report-summary h2")).to_have_text("Referral results: Outlet")
    sync_api.expect(page.locator(".report-summary dd").first).to_have_text("1 of 2 paid orders")
    sync_api.expect(page.locator(".channel-note")).to_contain_text("not split by channel")
    sync_api.expect(page.locator("svg.chart rect.bar").first).to_be_attached()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"reports-channel-{width}.png"), full_page=True)

    with page.expect_download() as info:
        page.click("a.csv-link")
    download = info.value
    assert download.suggested_filename.endswith(f"-channel{outlet['id']}.csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert sum(int(r["Paid orders"]) for r in rows) == 2 and {r["Channel"] for r in rows} == {str(outlet["id"])}
