"""The reports in a real (headless Chromium) browser, read as a merchant would: a store with months of referred
orders opens the reports from the app; the visible chart has labelled y values and gridlines and its last month's
label inside the drawing, money is written "$12,345.68", months by name, the page fits 390 px without scrolling
sideways; a reversed date range is an error above the filters (fixed in place), and dates with no orders say
what to do. Screenshots at 1280 and 390 px go to var/screenshots/."""
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright import sync_api

from sandbox.bigcommerce.tokens import signed_payload_jwt
from tests.fixtures_browser import BROWSER, SCREENSHOTS
from tests.fixtures_support import Builder

pytestmark = BROWSER
DOLLARS = {"currency": "USD", "currency_symbol": "$", "currency_symbol_location": "left",
           "decimal_separator": ".", "thousands_separator": ",", "decimal_places": 2}

# The label that ends furthest right in the visible chart, and the right edge of the drawing, in page pixels.
LAST_LABEL_INSIDE = """() => {
  const svg = [...document.querySelectorAll('svg.chart')].find(s => s.getBoundingClientRect().width > 0);
  const labels = [...svg.querySelectorAll('.x-label')].map(l => l.getBoundingClientRect());
  return {right: Math.max(...labels.map(r => r.right)), edge: svg.getBoundingClientRect().right,
          fontPx: labels[0].height};
}"""


def _shot(page, name: str, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_merchant_reads_the_reports_at_a_glance_on_a_desktop_and_a_phone(live, support_store, width):
    url, browser = live
    support_store.money_format = DOLLARS
    support_store.save(update_fields=["money_format"])
    build, now = Builder(support_store), timezone.now()
    for number, days in enumerate((5, 35, 70, 100, 160, 250, 320), start=1):
        order = build.order(700 + number, email=f"friend{number}@example.com", subtotal=f"{number * 4321}.678",
                            at=now - timedelta(days=days))
        build.attribution(order)
    build.order(799, email="regular@example.com", at=now - timedelta(days=5))
    token = signed_payload_jwt(store_hash=support_store.store_hash, user_id=4711, user_email="merchant@example.com",
                               owner_id=4711, owner_email="merchant@example.com")
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{url}/bigcommerce/load?signed_payload_jwt={token}")
    page.click("text=Open the reports")

    sync_api.expect(page.locator("h1")).to_have_text("Referral reports")
    sync_api.expect(page.locator(".report-summary dd").first).to_have_text("7 of 8 paid orders")
    sync_api.expect(page.locator(".report-summary dd").nth(1)).to_have_text("$120,992.75")
    chart = page.locator(".charts-narrow" if width == 390 else ".charts-wide")
    sync_api.expect(chart.locator("svg.chart").first).to_be_visible()
    revenue = chart.locator("svg.chart").first
    sync_api.expect(revenue.locator(".y-label").first).to_have_text("$0.00")
    sync_api.expect(revenue.locator(".y-label").last).to_have_text("$40,000.00")
    assert revenue.locator(".grid").count() == 5
    edges = page.evaluate(LAST_LABEL_INSIDE)
    assert edges["right"] <= edges["edge"] + 0.5, edges
    assert edges["fontPx"] >= 10, edges  # legible, not a 720 px drawing shrunk onto a phone
    month = f"{now - timedelta(days=5):%b %Y}"  # the latest order's month
    sync_api.expect(page.locator("#report-periods tbody tr").last.locator("td").first).to_have_text(month)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    _shot(page, "reports-at-a-glance", width)

    page.fill("#start", f"{now:%Y-%m-%d}")
    page.fill("#end", f"{now - timedelta(days=30):%Y-%m-%d}")
    page.click(".report-filters button[type=submit]")
    sync_api.expect(page.locator("#report-error")).to_contain_text("start must not be after end")
    sync_api.expect(page.locator(".report-summary")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    _shot(page, "reports-reversed-dates", width)

    page.fill("#start", f"{now - timedelta(days=3):%Y-%m-%d}")
    page.fill("#end", f"{now:%Y-%m-%d}")
    page.click(".report-filters button[type=submit]")
    sync_api.expect(page.locator("#report-empty")).to_contain_text("Pick a wider date range")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    _shot(page, "reports-empty", width)
