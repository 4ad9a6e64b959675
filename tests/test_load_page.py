"""The merchant's page in the control panel's iframe: framing headers, cross-site cookies, CSRF, and the
Connect Friendbuy form checked live against the fake Friendbuy."""
import re
import uuid

import pytest
from django.test import Client

from referrals.models import FriendbuyConnection
from sandbox.faults import inject
from sandbox.friendbuy import world as friendbuy_world
from storefront.models import OutboundCall
from tests.factories import FriendbuyConnectionFactory

pytestmark = pytest.mark.django_db


def _csrf_token(html: bytes) -> str:
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1).decode()


def _connect(client, merchant, **overrides):
    data = {"action": "connect", "merchant_id": merchant.merchant_id, "api_key": merchant.api_key,
            "api_secret": merchant.api_secret, "webhook_secret": merchant.webhook_secret, **overrides}
    return client.post("/app/", data, follow=True)


def test_merchant_page_may_be_framed_only_by_the_control_panel(client, installed_store):
    response = client.get("/app/")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    csp = response["Content-Security-Policy"]
    assert csp.startswith("frame-ancestors 'self'") and "https://*.bigcommerce.com" in csp


def test_other_pages_keep_x_frame_options(client, db):
    response = client.get("/admin/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" not in response


def test_page_without_a_session_tells_the_merchant_to_open_it_from_bigcommerce(db):
    response = Client().get("/app/")
    assert response.status_code == 401
    assert b"BigCommerce control panel" in response.content
    assert "frame-ancestors" in response["Content-Security-Policy"]


def test_session_cookie_is_cross_site_under_production_cookie_settings(settings, installed_store, load_app):
    settings.SESSION_COOKIE_SECURE = True
    settings.SESSION_COOKIE_SAMESITE = "None"
    settings.CSRF_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SAMESITE = "None"
    browser = Client()

    response = load_app(http_client=browser)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["samesite"] == "None" and cookie["secure"] is True and cookie["httponly"] is True
    page = browser.get("/app/")
    csrf_cookie = page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf_cookie["samesite"] == "None" and csrf_cookie["secure"] is True


def test_page_shows_the_store_and_the_urls_to_paste_into_friendbuy(client, installed_store):
    html = client.get("/app/").content.decode()
    assert f"https://app.example.test/friendbuy/webhooks/{installed_store.public_id}" in html
    assert f"https://app.example.test/friendbuy/validation/{installed_store.public_id}" in html
    assert "Not connected" in html


def test_connect_form_post_needs_the_csrf_token_and_works_with_it(installed_store, load_app):
    browser = Client(enforce_csrf_checks=True)
    load_app(http_client=browser)
    merchant = friendbuy_world.create_merchant()
    data = {"action": "connect", "merchant_id": merchant.merchant_id, "api_key": merchant.api_key,
            "api_secret": merchant.api_secret, "webhook_secret": merchant.webhook_secret}

    assert browser.post("/app/", data).status_code == 403
    assert not FriendbuyConnection.objects.exists()

    token = _csrf_token(browser.get("/app/").content)
    response = browser.post("/app/", {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/app/"
    assert FriendbuyConnection.objects.get(store=installed_store).health == FriendbuyConnection.Health.HEALTHY


def test_good_credentials_connect_and_show_healthy(client, installed_store, friendbuy_merchant):
    response = _connect(client, friendbuy_merchant)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Friendbuy is connected" in html and "Healthy" in html
    connection = FriendbuyConnection.objects.get(store=installed_store)
    assert connection.merchant_id == friendbuy_merchant.merchant_id
    assert connection.api_secret == friendbuy_merchant.api_secret
    assert connection.health == FriendbuyConnection.Health.HEALTHY and connection.last_checked_at
    assert connection.access_token  # the token from the check is kept for the next call
    merchant = friendbuy_merchant
    for secret in (merchant.api_key, merchant.api_secret, merchant.webhook_secret):
        assert secret not in html
    assert connection.api_secret_redacted in html


def test_wrong_secret_says_friendbuy_rejected_them_and_saves_nothing(client, installed_store,
                                                                    friendbuy_merchant):
    response = _connect(client, friendbuy_merchant, api_secret="not-the-secret")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Friendbuy rejected the Merchant API key and secret" in html
    assert "reference sbx-" in html
    assert not FriendbuyConnection.objects.exists()
    assert "not-the-secret" not in html


def test_merchant_id_that_is_not_a_uuid_is_a_form_error_without_calling_friendbuy(client, installed_store,
                                                                                 friendbuy_merchant):
    response = _connect(client, friendbuy_merchant, merchant_id="my-shop")

    assert "must be a UUID" in response.content.decode()
    assert not FriendbuyConnection.objects.exists()
    assert not OutboundCall.objects.filter(service="friendbuy").exists()


def test_friendbuy_unreachable_is_said_plainly_and_saves_nothing(client, installed_store, friendbuy_merchant):
    inject(service="friendbuy", status=503, times=10, path_contains="/authorization")
    response = _connect(client, friendbuy_merchant)
    assert "could not be reached" in response.content.decode()
    assert not FriendbuyConnection.objects.exists()


def test_missing_secrets_on_first_connect_are_form_errors(client, installed_store, friendbuy_merchant):
    response = _connect(client, friendbuy_merchant, api_secret="", webhook_secret="")
    assert response.content.decode().count("This field is required.") == 2
    assert not FriendbuyConnection.objects.exists()


def test_blank_secrets_on_resubmit_keep_the_stored_ones(client, installed_store, friendbuy_merchant):
    _connect(client, friendbuy_merchant)
    new_merchant_id = str(uuid.uuid4())
    response = _connect(client, friendbuy_merchant, merchant_id=new_merchant_id, api_key="", api_secret="",
                        webhook_secret="")
    assert "Friendbuy is connected" in response.content.decode()
    connection = FriendbuyConnection.objects.get(store=installed_store)
    assert connection.merchant_id == new_merchant_id
    assert (connection.api_key, connection.api_secret, connection.webhook_secret) == (
        friendbuy_merchant.api_key, friendbuy_merchant.api_secret, friendbuy_merchant.webhook_secret)


def test_check_connection_button_records_health(client, installed_store, friendbuy_merchant):
    _connect(client, friendbuy_merchant)
    FriendbuyConnection.objects.filter(store=installed_store).update(api_secret="rotated-away")

    response = client.post("/app/", {"action": "check"}, follow=True)

    html = response.content.decode()
    connection = FriendbuyConnection.objects.get(store=installed_store)
    assert connection.health == FriendbuyConnection.Health.FAILING
    assert "Friendbuy rejected" in connection.last_error
    assert "Failing" in html and "Friendbuy check failed" in html

    FriendbuyConnection.objects.filter(store=installed_store).update(api_secret=friendbuy_merchant.api_secret)
    client.post("/app/", {"action": "check"})
    connection.refresh_from_db()
    assert connection.health == FriendbuyConnection.Health.HEALTHY and connection.last_error == ""


def test_check_connection_without_a_connection_explains(client, installed_store):
    response = client.post("/app/", {"action": "check"}, follow=True)
    assert "not connected yet" in response.content.decode()


def test_existing_connection_health_is_shown(client, installed_store):
    FriendbuyConnectionFactory(store=installed_store, health=FriendbuyConnection.Health.FAILING,
                               last_error="Friendbuy rejected the Merchant API key and secret (401).")
    html = client.get("/app/").content.decode()
    assert "Failing" in html and "rejected the Merchant API key" in html


@pytest.mark.django_db(transaction=True)
def test_install_registers_webhooks_and_connecting_installs_scripts_disconnecting_removes_them(client):
    from referrals.friendbuy.services import friendbuy_connect
    from referrals.models import FriendbuyConnection
    from sandbox.bigcommerce.models import FakeHook, FakeScript
    from sandbox.bigcommerce.tokens import issue_install_code
    from sandbox.friendbuy.world import create_merchant
    from storefront.models import InstalledScript, Store, WebhookSubscription

    code = issue_install_code(store_hash="provision1", user_id=1, user_email="owner@example.com")
    response = client.get("/bigcommerce/auth", {"code": code, "scope": "store_v2_orders", "context": "stores/provision1"})
    assert response.status_code in (200, 302)
    store = Store.objects.get(store_hash="provision1")
    assert WebhookSubscription.objects.filter(store=store, is_active=True).count() >= 6
    assert FakeHook.objects.filter(store__store_hash="provision1", is_active=True).count() >= 6
    assert not InstalledScript.objects.filter(store=store).exists()  # nothing to load before Friendbuy

    merchant = create_merchant()
    friendbuy_connect(store=store, merchant_id=merchant.merchant_id, api_key=merchant.api_key,
                      api_secret=merchant.api_secret, webhook_secret=merchant.webhook_secret)
    assert InstalledScript.objects.filter(store=store).count() == 3
    assert FakeScript.objects.filter(store__store_hash="provision1").count() == 3

    client.post("/app/", {"action": "disconnect"})
    assert not FriendbuyConnection.objects.filter(store=store).exists()
    assert not InstalledScript.objects.filter(store=store).exists()
    assert FakeScript.objects.filter(store__store_hash="provision1").count() == 0


def test_read_only_store_user_sees_the_page_but_every_write_is_refused(client, installed_store, load_app,
                                                                      friendbuy_merchant):
    # A non-owner the store owner let open the app: the page shows, the forms don't, and posts are 403.
    load_app(user_id=999, user_email="clerk@example.com")
    html = client.get("/app/").content.decode()
    assert "Store user (view only)" in html and "Disconnect Friendbuy" not in html
    response = _connect(client, friendbuy_merchant)
    assert response.status_code == 403
    assert not FriendbuyConnection.objects.exists()
    assert client.post("/app/", {"action": "disconnect"}).status_code == 403


def test_disconnect_is_confirmed_in_the_page_not_by_the_browser(client, installed_store, friendbuy_merchant):
    _connect(client, friendbuy_merchant)
    html = client.get("/app/").content.decode()
    assert "onsubmit" not in html and "return confirm" not in html
    assert 'class="confirm"' in html and "Yes, disconnect" in html and "Store owner" in html
