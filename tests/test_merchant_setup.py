"""The merchant's guided setup: five steps read live from our rows, the repair buttons (owner only, audited),
and /app/ turning into the dashboard once every step is done."""
import pytest
from django.test import Client
from django.utils import timezone

from referrals.friendbuy.services import friendbuy_connect
from referrals.merchant.setup import setup_status
from referrals.models import FriendbuyDelivery, OutboxEvent, StaffAuditLog
from sandbox.bigcommerce.models import FakeHook
from storefront.models import InstalledScript, WebhookSubscription

pytestmark = pytest.mark.django_db(transaction=True)


def _connect(store, merchant):
    return friendbuy_connect(store=store, merchant_id=merchant.merchant_id, api_key=merchant.api_key,
                             api_secret=merchant.api_secret, webhook_secret=merchant.webhook_secret)


def _finish_setup(store):
    FriendbuyDelivery.objects.create(store=store, kind=FriendbuyDelivery.Kind.WEBHOOK, public_id=store.public_id,
                                     valid=True, status=FriendbuyDelivery.Status.PROCESSED)
    OutboxEvent.objects.create(store=store, kind=OutboxEvent.Kind.PURCHASE, natural_key="purchase:100",
                               state=OutboxEvent.State.SENT, sent_at=timezone.now())


def test_a_fresh_install_has_webhooks_active_and_every_other_step_to_do(installed_store):
    status = setup_status(store=installed_store)
    done = {step.key: step.done for step in status.steps}
    assert done == {"connect": False, "tracking": False, "webhooks": True, "friendbuy_urls": False,
                    "purchase": False}
    assert [step.number for step in status.steps] == [1, 2, 3, 4, 5]
    assert status.scripts == [] and not status.complete


def test_connecting_friendbuy_installs_the_scripts_and_the_tracking_step_shows_each_one(installed_store,
                                                                                         friendbuy_merchant):
    _connect(installed_store, friendbuy_merchant)
    status = setup_status(store=installed_store)
    assert status.step("connect").done and status.step("tracking").done
    assert len(status.scripts) == 3 and all(line.installed and line.enabled for line in status.scripts)
    assert {line.consent_category for line in status.scripts} == {"Targeting (advertising)", "Functional"}


def test_a_script_disabled_in_script_manager_leaves_the_tracking_step_to_do(installed_store, friendbuy_merchant):
    _connect(installed_store, friendbuy_merchant)
    InstalledScript.objects.filter(store=installed_store, name="storefront-tracking").update(enabled=False)
    status = setup_status(store=installed_store)
    assert not status.step("tracking").done
    assert status.step("tracking").summary.startswith("2 of 3 scripts")


def test_first_signed_friendbuy_call_and_first_sent_purchase_complete_the_setup(installed_store,
                                                                               friendbuy_merchant):
    _connect(installed_store, friendbuy_merchant)
    FriendbuyDelivery.objects.create(store=installed_store, kind=FriendbuyDelivery.Kind.WEBHOOK,
                                     public_id=installed_store.public_id, valid=False,
                                     status=FriendbuyDelivery.Status.BAD_SIGNATURE)
    assert not setup_status(store=installed_store).step("friendbuy_urls").done  # an unsigned call proves nothing
    _finish_setup(installed_store)
    assert setup_status(store=installed_store).complete


def test_the_setup_page_shows_the_steps_and_copy_buttons_for_the_two_friendbuy_urls(client, installed_store):
    html = client.get("/app/").content.decode()
    assert "Step 1: Connect Friendbuy" in html and "Step 5: First purchase sent to Friendbuy" in html
    assert "1 of 5 steps done" in html
    assert 'data-copy="friendbuy-webhook-url"' in html and 'data-copy="friendbuy-validation-url"' in html
    assert "Sign up with Friendbuy" in html


def test_repair_webhooks_reactivates_a_hook_bigcommerce_deactivated_and_is_audited(client, installed_store):
    FakeHook.objects.filter(store__store_hash=installed_store.store_hash, scope="store/order/created").update(
        is_active=False)
    WebhookSubscription.objects.filter(store=installed_store, scope="store/order/created").update(is_active=False)
    assert not setup_status(store=installed_store).step("webhooks").done

    response = client.post("/app/setup/repair/", {"what": "webhooks"}, follow=True)
    assert response.status_code == 200
    assert "All 11 webhooks are active." in response.content.decode()
    assert setup_status(store=installed_store).step("webhooks").done
    entry = StaffAuditLog.objects.get(action="merchant_repair_webhooks")
    assert entry.store == installed_store and entry.result == StaffAuditLog.Result.OK
    assert entry.username.startswith("store user ")


def test_repair_scripts_reinstalls_a_script_whose_row_was_lost(client, installed_store, friendbuy_merchant):
    _connect(installed_store, friendbuy_merchant)
    InstalledScript.objects.filter(store=installed_store, name="account-widget").delete()
    assert not setup_status(store=installed_store).step("tracking").done
    response = client.post("/app/setup/repair/", {"what": "scripts"}, follow=True)
    assert "All 3 storefront scripts are installed." in response.content.decode()
    assert setup_status(store=installed_store).step("tracking").done


def test_repair_scripts_before_connecting_says_to_connect_first(client, installed_store):
    response = client.post("/app/setup/repair/", {"what": "scripts"}, follow=True)
    assert "Connect Friendbuy first" in response.content.decode()
    assert StaffAuditLog.objects.get(action="merchant_repair_scripts").result == StaffAuditLog.Result.FAILED


def test_a_read_only_store_user_may_not_repair_and_the_refusal_is_audited(client, installed_store, load_app):
    load_app(user_id=999, user_email="clerk@example.com")
    html = client.get("/app/").content.decode()
    assert "Repair webhooks" not in html
    assert client.post("/app/setup/repair/", {"what": "webhooks"}).status_code == 403
    entry = StaffAuditLog.objects.get(action="merchant_repair_webhooks")
    assert entry.result == StaffAuditLog.Result.REFUSED and "clerk@example.com" in entry.username


def test_repair_needs_a_post_with_the_csrf_token(installed_store, load_app):
    browser = Client(enforce_csrf_checks=True)
    load_app(http_client=browser)
    assert browser.get("/app/setup/repair/").status_code == 405
    assert browser.post("/app/setup/repair/", {"what": "webhooks"}).status_code == 403
    assert not StaffAuditLog.objects.exists()
