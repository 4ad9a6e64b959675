"""connect_friendbuy and store_status, run as support would run them."""
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command, execute_from_command_line

from referrals.models import FriendbuyConnection
from sandbox.faults import inject
from storefront.clients import bigcommerce_for
from storefront.models import Store
from tests.factories import FriendbuyConnectionFactory, StoreFactory
from tests.fixtures_install import STORE_HASH

pytestmark = pytest.mark.django_db

STATUS_KEYS = {
    "store_hash", "status", "installed_at", "friendbuy_connected", "friendbuy_health",
    "friendbuy_webhook_url", "friendbuy_validation_url", "bigcommerce_webhook_url",
    "webhooks", "scripts", "errors",
}


def _connect(store_hash, merchant, **overrides):
    args = {"merchant_id": merchant.merchant_id, "key": merchant.api_key, "secret": merchant.api_secret,
            "webhook_secret": merchant.webhook_secret, **overrides}
    out = StringIO()
    call_command("connect_friendbuy", store_hash, f"--merchant-id={args['merchant_id']}",
                 f"--key={args['key']}", f"--secret={args['secret']}",
                 f"--webhook-secret={args['webhook_secret']}", stdout=out)
    return out.getvalue()


def _status(store_hash, *flags) -> str:
    out = StringIO()
    call_command("store_status", store_hash, *flags, stdout=out)
    return out.getvalue()


def test_connect_friendbuy_saves_checked_credentials(friendbuy_merchant):
    store = StoreFactory()
    output = _connect(store.store_hash, friendbuy_merchant)
    assert "connected to Friendbuy merchant" in output
    connection = FriendbuyConnection.objects.get(store=store)
    assert connection.health == FriendbuyConnection.Health.HEALTHY
    assert connection.api_key == friendbuy_merchant.api_key
    assert friendbuy_merchant.api_secret not in output


def test_connect_friendbuy_with_a_wrong_secret_fails_with_friendbuys_reason(friendbuy_merchant):
    store = StoreFactory()
    with pytest.raises(CommandError, match="Friendbuy rejected the Merchant API key and secret"):
        _connect(store.store_hash, friendbuy_merchant, secret="wrong-secret")
    assert not FriendbuyConnection.objects.exists()


def test_connect_friendbuy_with_a_bad_merchant_id_fails_before_calling_friendbuy(friendbuy_merchant):
    store = StoreFactory()
    with pytest.raises(CommandError, match="merchant_id: The Friendbuy merchant ID must be a UUID"):
        _connect(store.store_hash, friendbuy_merchant, merchant_id="not-a-uuid")
    assert not FriendbuyConnection.objects.exists()


def test_connect_friendbuy_for_an_unknown_store_fails(friendbuy_merchant):
    with pytest.raises(CommandError, match="No store with hash 'nope'"):
        _connect("nope", friendbuy_merchant)


def test_connect_friendbuy_exits_non_zero_from_the_shell(friendbuy_merchant, capsys):
    store = StoreFactory()
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "connect_friendbuy", store.store_hash,
                                   f"--merchant-id={friendbuy_merchant.merchant_id}",
                                   f"--key={friendbuy_merchant.api_key}", "--secret=wrong",
                                   f"--webhook-secret={friendbuy_merchant.webhook_secret}"])
    assert exit_info.value.code != 0
    assert "Friendbuy rejected" in capsys.readouterr().err


def test_store_status_json_reads_hooks_and_scripts_live(installed_store, friendbuy_merchant):
    FriendbuyConnectionFactory(store=installed_store, merchant_id=friendbuy_merchant.merchant_id)
    client = bigcommerce_for(installed_store)
    ours = f"https://app.example.test/bigcommerce/webhooks/{installed_store.public_id}"
    client.create_hook(scope="store/order/created", destination=ours, headers={"X-Webhook-Secret": "x" * 24})
    client.create_hook(scope="store/order/updated", destination="https://elsewhere.example/hook",
                       headers=None)
    client.create_script(name="Friendbuy loader", kind="src", src="https://static.fbot.me/friendbuy.js",
                         load_method="default", location="footer", visibility="storefront",
                         consent_category="functional", auto_uninstall=True, enabled=True)

    status = json.loads(_status(STORE_HASH, "--json"))

    assert set(status) >= STATUS_KEYS
    assert status["store_hash"] == STORE_HASH and status["status"] == "installed"
    assert status["friendbuy_connected"] is True and status["friendbuy_health"] == "unchecked"
    assert status["bigcommerce_webhook_url"] == ours
    assert status["friendbuy_webhook_url"].endswith(f"/friendbuy/webhooks/{installed_store.public_id}")
    assert status["friendbuy_validation_url"].endswith(f"/friendbuy/validation/{installed_store.public_id}")
    assert status["webhooks"] == [{"scope": "store/order/created", "active": True, "destination": ours}]
    assert [(s["name"], s["enabled"]) for s in status["scripts"]] == [("Friendbuy loader", True)]
    assert status["scripts"][0]["uuid"]
    assert status["errors"] == []


def test_store_status_when_bigcommerce_is_down_still_reports_the_rest(installed_store):
    inject(service="bigcommerce", status=503, times=50, path_contains="/v3/")
    status = json.loads(_status(STORE_HASH, "--json"))
    assert status["webhooks"] == [] and status["scripts"] == []
    assert len(status["errors"]) == 2 and "503" in status["errors"][0]
    assert status["friendbuy_connected"] is False and status["status"] == "installed"


def test_store_status_for_an_uninstalled_store_explains_why_lists_are_empty(db):
    StoreFactory(store_hash="gone", status=Store.Status.UNINSTALLED, access_token="")
    status = json.loads(_status("gone", "--json"))
    assert status["webhooks"] == [] and "not installed" in status["errors"][0]


def test_store_status_summary_is_readable(installed_store):
    output = _status(STORE_HASH)
    assert f"Store {STORE_HASH}: installed" in output
    assert "Friendbuy: not connected" in output
    assert f"/friendbuy/webhooks/{installed_store.public_id}" in output
    assert "Webhooks (0):" in output and "Scripts (0):" in output


def test_store_status_for_an_unknown_store_fails(db):
    with pytest.raises(CommandError, match="No store with hash"):
        _status("nope")


def test_store_status_lists_the_app_scopes_a_token_lacks(db):
    store = StoreFactory(scopes="store_v2_orders_read_only store_v2_content")
    status = json.loads(_status(store.store_hash, "--json"))
    assert "store_v2_marketing" in status["scopes_missing"]
    assert "store_v2_content" not in status["scopes_missing"]
    assert "Scopes missing: " in _status(store.store_hash)


def test_store_status_lists_no_missing_scope_when_all_were_granted(installed_store):
    status = json.loads(_status(STORE_HASH, "--json"))
    assert status["scopes_missing"] == []
    assert "Scopes missing" not in _status(STORE_HASH)
