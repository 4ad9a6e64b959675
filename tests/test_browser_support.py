"""Support and reports in a real (headless Chromium) browser against the live app: a support person
logs into the admin, looks up the friend by email and reads the diagnosis; a merchant opens the app
from the control panel (/bigcommerce/load), sees the reports with a rendered chart and downloads the CSV."""
from datetime import timedelta
from pathlib import Path

from django.contrib.auth.models import Group
from django.utils import timezone
from playwright import sync_api

from referrals.support.roles import SUPPORT_GROUP, roles_setup
from sandbox.bigcommerce.tokens import signed_payload_jwt
from tests.fixtures_browser import BROWSER
from tests.fixtures_support import Builder

pytestmark = BROWSER




def test_support_person_reads_the_diagnosis_for_a_friend_email(live, support_store, django_user_model):
    url, browser = live
    roles_setup()
    user = django_user_model.objects.create_user(username="sam", password="pw-for-browser-1", is_staff=True)
    user.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    Builder(support_store).order(4242, email="Friend.Person@gmail.com", at=timezone.now() - timedelta(days=2))

    page = browser.new_page()
    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", "pw-for-browser-1")
    page.click("input[type=submit]")
    page.click("a[href='/admin/referrals/supportlookup/']")
    page.fill("input[name=q]", "friendperson+ref@gmail.com")
    page.click("input[type=submit][value='Look up']")
    diagnosis = page.locator(".diagnosis")
    sync_api.expect(diagnosis).to_contain_text("The friend never visited a referral link: order 4242")
    sync_api.expect(diagnosis.locator("a.finding-action")).to_have_text("Link the order to a referral (manual referral)…")
    sync_api.expect(page.locator("a", has_text="Link to a referral")).to_be_visible()


def test_merchant_sees_the_reports_chart_and_downloads_the_csv(live, support_store):
    url, browser = live
    build = Builder(support_store)
    order = build.order(501, email="a@example.com", at=timezone.now() - timedelta(days=40))
    build.attribution(order)
    build.order(502, email="b@example.com", at=timezone.now() - timedelta(days=10))
    token = signed_payload_jwt(store_hash=support_store.store_hash, user_id=4711, user_email="merchant@example.com",
                               owner_id=4711, owner_email="merchant@example.com")

    page = browser.new_page(accept_downloads=True)
    page.goto(f"{url}/bigcommerce/load?signed_payload_jwt={token}")
    page.click("text=Open the reports")
    sync_api.expect(page.locator("svg.chart rect.bar").first).to_be_attached()
    assert page.locator("svg.chart rect.bar").count() >= 2
    with page.expect_download() as info:
        page.click("a.csv-link")
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    content = Path(download.path()).read_text(encoding="utf-8")
    assert content.splitlines()[0].startswith("Period start,Paid orders,Revenue,Referred orders")
