"""The advocate's side of "where's my reward?" in a real (headless Chromium) browser: after the demo's
referral story, a support person searches Ada's email and reads one line per friend she referred."""
import pytest
from django.contrib.auth.models import Group
from playwright import sync_api

from referrals.support.roles import SUPPORT_GROUP, roles_setup
from sandbox.demo.rewards import play_demo_rewards
from tests.fixtures_browser import BROWSER, SCREENSHOTS

pytestmark = BROWSER


@pytest.mark.parametrize("width", [1280, 390])
def test_support_person_answers_ada_for_each_friend_from_her_email(live, support_store, django_user_model, width):
    url, browser = live
    story = play_demo_rewards(store=support_store)
    roles_setup()
    user = django_user_model.objects.create_user(username="sam", password="pw-for-browser-1", is_staff=True)
    user.groups.add(Group.objects.get(name=SUPPORT_GROUP))

    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{url}/admin/login/?next=/admin/referrals/supportlookup/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", "pw-for-browser-1")
    page.click("input[type=submit]")
    page.fill("input[name=q]", "ada@example.com")
    page.click("input[type=submit][value='Look up']")
    diagnosis = page.locator(".diagnosis")
    orders = story["friend_orders"]
    sync_api.expect(diagnosis).to_contain_text(f"redeemed on order {story['redeemed_order_id']}")
    sync_api.expect(diagnosis).to_contain_text(f"because order {orders['flo']} was refunded")
    sync_api.expect(diagnosis).to_contain_text(
        f"Order {orders['finn']} was sent to Friendbuy as referred by referral code ada-shares")
    sync_api.expect(diagnosis).to_contain_text("Friendbuy has not rewarded the advocate yet")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"support-advocate-ada-{width}.png"), full_page=True)
