"""No secret the app knows is stored or logged in plain text, wherever it could appear.

The whole demo (install through the real OAuth flow, webhooks registered with the per-store secret
header, Friendbuy connected, orders, rewards, fraud, a failing call) runs with DEBUG logs captured; then
every text and JSON column of every table (tests/db_scan.py) and the captured logs are searched for every
secret, as-is, URL-encoded and base64. The values are taken from the outside world's side (the sandbox's
records of what BigCommerce and Friendbuy handed out) as well as from our encrypted columns.
"""
import base64
import logging
from io import StringIO
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command

from referrals.models import FriendbuyConnection
from sandbox import faults
from sandbox.bigcommerce.models import FakeInstallCode, FakeStore
from sandbox.friendbuy.models import FakeMerchant, FakeToken
from storefront.models import OutboundCall, Store
from storefront.redaction import RedactingFilter, redact_data, scrub, scrub_data, secret_remember
from storefront.webhooks.registration import webhooks_ensure
from tests.db_scan import scan_database, scan_text

pytestmark = pytest.mark.django_db(transaction=True)


def _known_secrets() -> dict[str, str]:
    secrets = {"BigCommerce client secret": settings.BIGCOMMERCE_CLIENT_SECRET}
    for store in Store.objects.all():
        secrets[f"{store.store_hash} access token"] = store.access_token
        secrets[f"{store.store_hash} webhook secret"] = store.webhook_secret
    for connection in FriendbuyConnection.objects.select_related("store"):
        name = connection.store.store_hash
        secrets |= {
            f"{name} Friendbuy key": connection.api_key,
            f"{name} Friendbuy secret": connection.api_secret,
            f"{name} Friendbuy webhook secret": connection.webhook_secret,
            f"{name} Friendbuy bearer token (stored)": connection.access_token,
        }
    for fake in FakeStore.objects.exclude(access_token=""):
        secrets[f"{fake.store_hash} access token (issued)"] = fake.access_token
    for code in FakeInstallCode.objects.all():
        secrets[f"OAuth code {code.pk}"] = code.code
    for merchant in FakeMerchant.objects.all():
        secrets |= {
            f"{merchant.merchant_id} key (issued)": merchant.api_key,
            f"{merchant.merchant_id} secret (issued)": merchant.api_secret,
            f"{merchant.merchant_id} webhook secret (issued)": merchant.webhook_secret,
        }
    for token in FakeToken.objects.all():
        secrets[f"Friendbuy bearer token {token.pk}"] = token.token
    return {name: value for name, value in secrets.items() if value}


@pytest.fixture
def demo_played(caplog):
    caplog.set_level(logging.DEBUG)
    call_command("demo", stdout=StringIO())
    store = Store.objects.get(store_hash="demostore")
    # A refusal that quotes the secret back: the error paths (error columns, warnings) are covered too.
    echo = {"status": 422, "title": f"Header X-Webhook-Secret {store.webhook_secret} is not valid",
            "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"}
    faults.inject(service="bigcommerce", status=422, method="GET", path_contains="/hooks", body=echo)
    webhooks_ensure(store=store)
    faults.clear()
    return store


def test_no_known_secret_in_any_column_of_any_table_or_in_the_logs(demo_played, caplog):
    secrets = _known_secrets()
    kinds = {name.split(" ", 1)[1] for name in secrets}
    assert {"access token", "webhook secret", "Friendbuy key", "Friendbuy secret",
            "Friendbuy webhook secret"} <= kinds
    assert any(name.startswith("OAuth code") for name in secrets)
    assert any(name.startswith("Friendbuy bearer token") for name in secrets)
    # The journey did store and log what would carry them.
    assert OutboundCall.objects.filter(path__contains="/hooks", method="POST").exists()
    records = caplog.get_records("setup") + caplog.records
    assert len(records) > 20
    assert {"storefront.webhooks.registration", "referrals.friendbuy.client"} <= {record.name for record in records}

    findings = scan_database(secrets)
    assert not findings, "\n".join(map(str, findings))
    formatter = logging.Formatter("%(name)s %(message)s")
    logged = "\n".join(f"{formatter.format(record)} {record.args!r}" for record in records)
    assert not scan_text(logged, secrets)


def test_hook_registration_bodies_keep_the_header_name_but_not_the_secret(demo_played):
    call = OutboundCall.objects.filter(path__endswith="/hooks", method="POST").first()
    assert call.request_body["headers"]["X-Webhook-Secret"].startswith("••••")
    assert call.response_body["data"]["headers"]["X-Webhook-Secret"].startswith("••••")


def test_a_secret_is_scrubbed_by_value_in_any_form_and_place():
    secret = "s3cr3t-value/with+chars=="
    body = {"anything": {"deep": [f"x={quote(secret, safe='')}&y=1", base64.b64encode(secret.encode()).decode()]},
            secret: "as a key"}
    forms = (secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode())

    stored = repr(redact_data(body, values=[secret]))  # what the transport does with its tenant's secrets
    assert not any(form in stored for form in forms)
    secret_remember(secret)  # what every process does with each secret it handles
    assert not any(form in repr(scrub_data(body)) for form in forms)
    assert secret not in scrub(f"GET /path?token={secret} failed")


def test_a_secret_named_key_is_scrubbed_wherever_else_its_value_appears():
    token = "tok-" + "9f8e7d6c5b4a3210"
    stored = repr(redact_data({"token": token, "echo": f"issued {token}"}))
    assert token not in stored and "••••3210" in stored


def test_log_records_are_scrubbed_in_message_arguments_and_tracebacks(caplog):
    secret = "another-secret-0123456789"
    secret_remember(secret)
    logger = logging.getLogger("tests.secrets")
    try:
        raise RuntimeError(f"the API said no to {secret}")
    except RuntimeError:
        logger.exception("Calling with %s failed", secret)
    assert secret not in caplog.text
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "value %s", (secret,), None)
    RedactingFilter().filter(record)
    assert secret not in record.getMessage()


def test_the_migration_scrubs_secrets_left_in_the_call_log_by_earlier_versions(demo_played):
    import importlib

    from django.apps import apps

    store = demo_played
    secret = store.webhook_secret
    old = OutboundCall.objects.create(
        store=store, service="bigcommerce", method="POST", path="/v3/hooks", url="https://x/v3/hooks", attempt=1,
        request_body={"scope": "store/order/*", "headers": {"X-Webhook-Secret": secret}},
        response_body={"data": {"headers": {"X-Webhook-Secret": secret}}},
    )
    migration = importlib.import_module("storefront.migrations.0006_scrub_secrets_from_call_log")
    migration.scrub_call_log(apps, None)
    old.refresh_from_db()
    assert secret not in repr((old.request_body, old.response_body))
    assert old.request_body["headers"]["X-Webhook-Secret"] == "••••" + secret[-4:]
