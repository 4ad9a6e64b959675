"""Secrets stay secret: not in logs, not in str() of models, not in the admin, not unredacted in the call log.

The whole merchant journey runs with DEBUG logging captured (caplog sees records before the console's
redacting filter, so this checks what the code itself logs).
"""
import json
import logging
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from referrals.models import FriendbuyConnection
from storefront.models import OutboundCall, Store, StoreUser
from tests.fixtures_install import STORE_HASH

pytestmark = pytest.mark.django_db


def _connect_data(merchant, **overrides):
    return {"action": "connect", "merchant_id": merchant.merchant_id, "api_key": merchant.api_key,
            "api_secret": merchant.api_secret, "webhook_secret": merchant.webhook_secret, **overrides}


@pytest.fixture
def journey(caplog, client, install_app, load_app, bc_jwt, friendbuy_merchant):
    """Install, load, a refused and an accepted Friendbuy connect, a health check and store_status."""
    caplog.set_level(logging.DEBUG)
    install_app()
    load_token = bc_jwt()
    client.get("/bigcommerce/load", {"signed_payload_jwt": load_token})
    client.get("/app/")
    client.post("/app/", _connect_data(friendbuy_merchant, api_secret="wrong-secret-0123456789"))
    client.post("/app/", _connect_data(friendbuy_merchant))
    client.post("/app/", {"action": "check"})
    call_command("store_status", STORE_HASH, "--json", stdout=StringIO())
    store = Store.objects.get(store_hash=STORE_HASH)
    connection = FriendbuyConnection.objects.get(store=store)
    secrets = {
        "BigCommerce access token": store.access_token,
        "BigCommerce client secret": settings.BIGCOMMERCE_CLIENT_SECRET,
        "BigCommerce webhook secret": store.webhook_secret,
        "Friendbuy API key": friendbuy_merchant.api_key,
        "Friendbuy API secret": friendbuy_merchant.api_secret,
        "Friendbuy webhook secret": friendbuy_merchant.webhook_secret,
        "Friendbuy bearer token": connection.access_token,
        "wrong secret typed by the merchant": "wrong-secret-0123456789",
        "signed_payload_jwt": load_token,
    }
    assert all(secrets.values()), secrets.keys()
    return store, connection, secrets


def _assert_absent(text: str, secrets: dict, where: str) -> None:
    for name, value in secrets.items():
        assert value not in text, f"{name} found in {where}"


def test_no_secret_in_captured_logs(caplog, client, journey, bc_jwt):
    _, _, secrets = journey
    client.get("/bigcommerce/uninstall", {"signed_payload_jwt": bc_jwt()})
    assert caplog.records  # the journey did log
    text = caplog.text + "\n".join(str(record.args) for record in caplog.records)
    _assert_absent(text, secrets, "logs")


def test_no_secret_in_str_or_repr_of_models(journey):
    store, connection, secrets = journey
    objects = [store, connection, *StoreUser.objects.all(), *OutboundCall.objects.all()]
    _assert_absent("\n".join(f"{obj} {obj!r}" for obj in objects), secrets, "str()/repr() of models")


def test_no_secret_unredacted_in_outbound_call_rows(journey):
    _, _, secrets = journey
    rows = list(OutboundCall.objects.values())
    assert {row["service"] for row in rows} == {"bigcommerce", "friendbuy"}
    _assert_absent(json.dumps(rows, default=str), secrets, "OutboundCall rows")


def test_no_secret_in_admin_lists_and_change_pages(admin_client, journey):
    store, connection, secrets = journey
    call_ids = OutboundCall.objects.values_list("pk", flat=True)
    pages = [
        "/admin/referrals/friendbuyconnection/",
        f"/admin/referrals/friendbuyconnection/{connection.pk}/change/",
        "/admin/storefront/store/",
        f"/admin/storefront/store/{store.pk}/change/",
        "/admin/storefront/outboundcall/",
        *(f"/admin/storefront/outboundcall/{pk}/change/" for pk in call_ids),
    ]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        _assert_absent(response.content.decode(), secrets, page)
    change_url = f"/admin/referrals/friendbuyconnection/{connection.pk}/change/"
    change = admin_client.get(change_url).content.decode()
    assert connection.api_secret_redacted in change and connection.webhook_secret_redacted in change


def test_admin_check_action_asks_then_records_health_without_showing_secrets(admin_client, journey):
    _, connection, secrets = journey
    FriendbuyConnection.objects.filter(pk=connection.pk).update(health="unchecked", last_checked_at=None)
    url = "/admin/referrals/friendbuyconnection/"
    data = {"action": "check_friendbuy_connection", "_selected_action": [connection.pk]}

    confirm = admin_client.post(url, data)
    assert confirm.status_code == 200 and b"Yes, check them" in confirm.content
    _assert_absent(confirm.content.decode(), secrets, "action confirmation")
    connection.refresh_from_db()
    assert connection.last_checked_at is None

    done = admin_client.post(url, {**data, "confirm": "yes"}, follow=True)
    assert b"1 healthy, 0 failing" in done.content
    connection.refresh_from_db()
    assert connection.health == FriendbuyConnection.Health.HEALTHY and connection.last_checked_at


def test_admin_offers_no_way_to_add_or_edit_raw_secrets(admin_client, journey):
    _, connection, _ = journey
    assert admin_client.get("/admin/referrals/friendbuyconnection/add/").status_code == 403
    page = admin_client.get(f"/admin/referrals/friendbuyconnection/{connection.pk}/change/").content.decode()
    for field in ("api_key", "api_secret", "webhook_secret", "access_token"):
        assert f'name="{field}"' not in page


def test_load_page_html_never_carries_raw_secrets(journey, load_app):
    _, _, secrets = journey
    browser = Client()
    load_app(http_client=browser)  # a fresh session for the owner, then the page as they see it
    _assert_absent(browser.get("/app/").content.decode(), secrets, "load page")


def test_error_reports_cleanse_tokens_in_locals_and_authorization_headers(rf):
    import sys

    from django.views.debug import ExceptionReporter

    def call_bigcommerce(access_token):
        raise RuntimeError("boom")

    # Built at run time so that the source lines quoted in the report don't contain the values.
    bearer, bc_token, access = ("secret-bearer-" + "token-123"), ("bc-tok-" + "456"), ("bc-access-" + "token-789")
    request = rf.get("/", HTTP_AUTHORIZATION=f"Bearer {bearer}", HTTP_X_AUTH_TOKEN=bc_token)
    try:
        call_bigcommerce(access)
    except RuntimeError:
        text = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    for secret in (bearer, bc_token, access):
        assert secret not in text
