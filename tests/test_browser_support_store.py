"""The store's own support pages in a real (headless Chromium) browser: the store owner opens the app from
the control panel (/bigcommerce/load, no second login), follows "Support" in the merchant nav to the lookup,
searches the friend's email and reads the diagnosis first, then opens the review queue and the rewards; approves
a held order, picks the advocate of a manual referral from the store's suggestions, and gives a colleague the
view role on the team page. A store user the owner gave nothing gets the clear message. Screenshots at 1280
and 390 px go to var/screenshots/."""
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright import sync_api

from referrals.models import SupportGrant
from sandbox.bigcommerce.tokens import signed_payload_jwt
from tests.factories import StoreUserFactory
from tests.fixtures_browser import BROWSER, SCREENSHOTS
from tests.fixtures_support import Builder

pytestmark = BROWSER

OWNER = 4711


def _open_app(page, url: str, store, *, user_id: int = OWNER, email: str = "merchant@example.com") -> None:
    token = signed_payload_jwt(store_hash=store.store_hash, user_id=user_id, user_email=email,
                               owner_id=OWNER, owner_email="merchant@example.com")
    page.goto(f"{url}/bigcommerce/load?signed_payload_jwt={token}")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_owner_goes_from_the_merchant_page_to_the_store_lookup_and_reads_the_diagnosis(live, support_store,
                                                                                          width):
    url, browser = live
    build = Builder(support_store)
    order = build.order(4242, email="Friend.Person@gmail.com", at=timezone.now() - timedelta(days=2))
    build.assessment(order, decision="hold")
    build.reward("fb-store-1", state="issued", code="STORE10", order=order)

    page = browser.new_page(viewport={"width": width, "height": 900})
    _open_app(page, url, support_store)
    page.locator("nav.app-nav a", has_text="Support").click()
    sync_api.expect(page.locator("h1")).to_have_text("Where's my reward?")
    sync_api.expect(page.locator("nav.app-nav a[aria-current=page]")).to_have_text("Support")
    page.fill("#support-q", "friendperson+ref@gmail.com")
    page.locator("form.support-search button", has_text="Look up").click()

    diagnosis = page.locator(".diagnosis")
    sync_api.expect(diagnosis).to_contain_text("order 4242")
    sync_api.expect(diagnosis.locator("a.finding-action").first).to_be_visible()
    assert page.locator(".diagnosis").bounding_box()["y"] < page.locator("h2", has_text="Orders and").bounding_box()["y"]
    assert "/admin/" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"store-support-lookup-{width}.png"), full_page=True)

    page.locator("nav.support-tabs a", has_text="Review queue").click()
    sync_api.expect(page.locator(".review-item").first).to_contain_text("4242")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SCREENSHOTS / f"store-support-reviews-{width}.png"), full_page=True)

    page.locator("nav.support-tabs a", has_text="Rewards").click()
    sync_api.expect(page.locator("table.rewards")).to_contain_text("STORE10")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SCREENSHOTS / f"store-support-rewards-{width}.png"), full_page=True)


def test_a_store_user_without_a_support_role_reads_the_clear_message(live, support_store):
    url, browser = live
    page = browser.new_page(viewport={"width": 390, "height": 900})
    _open_app(page, url, support_store, user_id=5001, email="clerk@example.com")
    page.locator("nav.app-nav a", has_text="Support").click()
    sync_api.expect(page.locator("main")).to_contain_text("ask the owner to give you view or act")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "store-support-no-role-390.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_owner_approves_a_held_order_and_picks_an_advocate_for_a_manual_referral(live, support_store, width):
    url, browser = live
    build = Builder(support_store)
    held = build.order(4243, email="held.friend@example.com", at=timezone.now() - timedelta(days=1))
    assessment = build.assessment(held, decision="hold")
    unreferred = build.order(4244, email="lost.friend@example.com", at=timezone.now() - timedelta(days=1))
    build.reward("fb-ada-1", state="issued", customer_id="900", email="ada@example.com")

    page = browser.new_page(viewport={"width": width, "height": 900})
    _open_app(page, url, support_store)
    page.goto(f"{url}/app/support/reviews/")
    item = page.locator(f"#assessment-{assessment.pk}")
    item.locator("textarea").fill("Same household, checked with the customer")
    item.locator("button", has_text="Approve").click()
    sync_api.expect(page.locator(".messages")).to_contain_text("order) 4243: approved")
    sync_api.expect(page.locator(f"#assessment-{assessment.pk}")).to_have_count(0)
    assessment.refresh_from_db()
    assert assessment.decision == "approve"

    page.goto(f"{url}/app/support/?q=lost.friend@example.com")
    page.locator("a", has_text="Link to a referral").click()
    sync_api.expect(page.locator("h1")).to_contain_text("Link the order to a referral")
    sync_api.expect(page.locator("main")).to_contain_text(f"Order {unreferred.bc_order_id}")
    page.fill("#id_advocate", "900")
    sync_api.expect(page.locator("#advocate-options option")).to_have_count(1)
    assert page.locator("#advocate-options option").first.get_attribute("value") == "ada@example.com"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"store-support-link-order-{width}.png"), full_page=True)

    clerk = StoreUserFactory(store=support_store, email="clerk@example.com")
    page.goto(f"{url}/app/support/team/")
    sync_api.expect(page.locator("table.team")).to_contain_text("merchant@example.com")
    page.select_option(f"#role-{clerk.pk}", "view")
    page.locator("table.team tr", has_text="clerk@example.com").locator("button", has_text="Save").click()
    sync_api.expect(page.locator(".messages")).to_contain_text("clerk@example.com: View.")
    assert SupportGrant.objects.get(store_user=clerk).role == "view"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SCREENSHOTS / f"store-support-team-{width}.png"), full_page=True)
