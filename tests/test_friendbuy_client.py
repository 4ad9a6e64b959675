"""The Friendbuy MAPI client against the sandbox: tokens, retries, typed errors, pagination, secrecy."""

import json
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from referrals.friendbuy.client import (
    FriendbuyAuthError,
    FriendbuyClient,
    FriendbuyInvalid,
    FriendbuyNotFound,
    FriendbuyRateLimited,
    FriendbuyServerError,
    MemoryTokenCache,
)
from referrals.friendbuy.clients import ConnectionTokenCache, friendbuy_for
from referrals.friendbuy.signatures import customer_auth_signature
from referrals.models import FriendbuyConnection
from sandbox import faults
from sandbox.friendbuy import world
from sandbox.friendbuy.models import FakeToken
from storefront.http import HttpTransport, RetryPolicy
from storefront.models import OutboundCall

pytestmark = pytest.mark.django_db


def purchase(**overrides):
    payload = {
        "orderId": "100",
        "customerId": "7",
        "email": "friend@example.com",
        "amount": Decimal("59.90"),
        "currency": "USD",
        "isNewCustomer": True,
        "products": [{"sku": "SKU-1", "name": "Mug", "quantity": 2, "price": Decimal("29.95")}],
    }
    return {**payload, **overrides}


def calls(path_part=""):
    """Outbound Friendbuy attempts, oldest first."""
    return list(OutboundCall.objects.filter(service="friendbuy", path__contains=path_part).order_by("id"))


def test_token_is_fetched_once_and_reused_across_calls(friendbuy_client, friendbuy_merchant):
    friendbuy_client.track_purchase(purchase(orderId="1"))
    friendbuy_client.track_purchase(purchase(orderId="2"))

    assert len(calls("/authorization")) == 1
    assert [p["orderId"] for p in world.events(friendbuy_merchant, "purchase")] == ["1", "2"]
    assert all(call.request_headers["Authorization"].startswith("••••") for call in calls("/event/purchase"))


def test_token_is_refreshed_within_a_minute_of_its_expiry(friendbuy_client, friendbuy_connection):
    first = friendbuy_client.authorize()
    FriendbuyConnection.objects.filter(pk=friendbuy_connection.pk).update(
        token_expires_at=timezone.now() + timedelta(seconds=30)
    )

    second = friendbuy_client.authorize()

    assert second != first
    assert len(calls("/authorization")) == 2
    stored = FriendbuyConnection.objects.get(pk=friendbuy_connection.pk)
    assert stored.access_token == second
    assert stored.token_expires_at > timezone.now() + timedelta(minutes=19)


def test_token_with_more_than_a_minute_left_is_kept(friendbuy_client, friendbuy_connection):
    first = friendbuy_client.authorize()
    FriendbuyConnection.objects.filter(pk=friendbuy_connection.pk).update(
        token_expires_at=timezone.now() + timedelta(seconds=90)
    )

    assert friendbuy_client.authorize() == first
    assert len(calls("/authorization")) == 1


def test_a_401_drops_the_token_reauthorizes_once_and_retries(
    friendbuy_client, friendbuy_merchant, friendbuy_connection
):
    old = friendbuy_client.authorize()
    world.expire_tokens(friendbuy_merchant)  # Friendbuy no longer accepts the cached token.

    result = friendbuy_client.track_purchase(purchase())

    assert set(result) == {"eventId", "createdOn"}
    assert [(c.path, c.status) for c in calls()] == [
        ("/authorization", 200),
        ("/event/purchase", 401),
        ("/authorization", 200),
        ("/event/purchase", 201),
    ]
    assert FriendbuyConnection.objects.get(pk=friendbuy_connection.pk).access_token != old


def test_a_persistent_401_raises_an_auth_error_after_one_refresh(friendbuy_client):
    faults.inject(
        service="friendbuy",
        status=401,
        times=5,
        path_contains="/event/purchase",
        body={"error": "Unauthorized", "message": "Unauthorized", "code": 0, "reference": "ref-401"},
    )

    with pytest.raises(FriendbuyAuthError) as caught:
        friendbuy_client.track_purchase(purchase())

    assert caught.value.status == 401
    assert caught.value.reference == "ref-401"
    assert "ref-401" in str(caught.value)
    assert len(calls("/authorization")) == 2
    assert len(calls("/event/purchase")) == 2


def test_check_credentials_explains_a_rejected_key_and_secret(friendbuy_merchant):
    client = FriendbuyClient(api_key=friendbuy_merchant.api_key, api_secret="wrong-secret")

    with pytest.raises(FriendbuyAuthError) as caught:
        client.check_credentials()

    message = str(caught.value)
    assert message.startswith(
        "Friendbuy rejected the Merchant API key and secret (401 Unauthorized, reference sbx-"
    )
    assert caught.value.reference in message


def test_check_credentials_passes_for_valid_credentials(friendbuy_client, friendbuy_connection):
    friendbuy_client.check_credentials()

    friendbuy_connection.refresh_from_db()
    assert FakeToken.objects.filter(token=friendbuy_connection.access_token).exists()


def test_429_is_resent_even_for_a_purchase_until_the_call_succeeds(friendbuy_client, friendbuy_merchant):
    # A 429 was refused unprocessed: resending cannot record the purchase twice.
    friendbuy_client.authorize()
    faults.inject(service="friendbuy", status=429, times=2, path_contains="/event/purchase")

    result = friendbuy_client.track_purchase(purchase())

    assert "eventId" in result
    assert [call.status for call in calls("/event/purchase")] == [429, 429, 201]
    assert len(world.events(friendbuy_merchant, "purchase")) == 1


@pytest.mark.parametrize("fault", [{"status": 503}, {"status": 500}, {"timeout": True}])
def test_a_purchase_that_may_have_arrived_is_not_resent_by_the_client(friendbuy_client, fault):
    # 5xx or a read timeout: Friendbuy may have recorded it; the outbox owns the retry.
    friendbuy_client.authorize()
    faults.inject(service="friendbuy", path_contains="/event/purchase", times=3, **fault)

    with pytest.raises(FriendbuyServerError) as caught:
        friendbuy_client.track_purchase(purchase())

    assert caught.value.retryable is True
    assert len(calls("/event/purchase")) == 1


@pytest.mark.parametrize("fault", [{"status": 503, "times": 2}, {"status": 500, "times": 1},
                                   {"timeout": True, "times": 2}])
def test_a_get_is_resent_after_5xx_and_timeouts_until_it_succeeds(friendbuy_client, friendbuy_merchant, fault):
    friendbuy_client.authorize()
    world.set_ledger_balance(friendbuy_merchant, customer_id="5", total="12.50")
    faults.inject(service="friendbuy", path_contains="/ledger-balance", **fault)

    assert friendbuy_client.get_ledger_balance(customer_id="5")["total"] is not None

    attempts = calls("/ledger-balance")
    assert len(attempts) == fault["times"] + 1 and attempts[-1].status == 200


def test_the_token_call_opts_in_to_resending_after_a_5xx(friendbuy_client):
    # POST /authorization changes nothing at Friendbuy, so it is resent like a GET.
    faults.inject(service="friendbuy", status=503, times=2, path_contains="/authorization")

    assert friendbuy_client.authorize()
    assert [call.status for call in calls("/authorization")] == [503, 503, 200]


def test_retry_after_is_honoured_when_friendbuy_sends_it(friendbuy_merchant):
    waits = []
    transport = HttpTransport(
        service="friendbuy",
        base_url="http://sandbox.test/sandbox/friendbuy/v1",
        retry=RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=30.0),
        sleep=waits.append,
    )
    client = FriendbuyClient(
        api_key=friendbuy_merchant.api_key, api_secret=friendbuy_merchant.api_secret, transport=transport
    )
    faults.inject(
        service="friendbuy", status=429, path_contains="/event/custom", headers={"Retry-After": "7"}
    )

    client.track_custom_event({"email": "a@example.com", "eventType": "review"})

    assert waits == [7.0]


def test_rate_limiting_that_outlasts_the_retries_raises_rate_limited(friendbuy_client):
    friendbuy_client.authorize()
    faults.inject(service="friendbuy", status=429, times=10, path_contains="/event/purchase")

    with pytest.raises(FriendbuyRateLimited) as caught:
        friendbuy_client.track_purchase(purchase())

    assert caught.value.retryable is True
    assert len(calls("/event/purchase")) == 5


def test_server_errors_and_timeouts_that_outlast_the_retries_are_retryable_server_errors(friendbuy_client):
    friendbuy_client.authorize()
    faults.inject(service="friendbuy", timeout=True, times=10, path_contains="/ledger-balance")

    with pytest.raises(FriendbuyServerError) as caught:
        friendbuy_client.get_ledger_balance(customer_id="5")

    assert caught.value.retryable is True
    assert len(calls("/ledger-balance")) == 5
    assert all("Timeout" in call.error for call in calls("/ledger-balance"))


def test_a_400_is_not_retried_and_carries_friendbuys_message_and_reference(friendbuy_client):
    payload = purchase()
    del payload["orderId"]

    with pytest.raises(FriendbuyInvalid) as caught:
        friendbuy_client.track_purchase(payload)

    assert caught.value.status == 400
    assert caught.value.detail == "orderId is required"
    assert caught.value.reference.startswith("sbx-")
    assert "orderId is required" in str(caught.value) and caught.value.reference in str(caught.value)
    assert caught.value.retryable is False
    assert len(calls("/event/purchase")) == 1


def test_a_422_is_not_retried(friendbuy_client):
    with pytest.raises(FriendbuyInvalid) as caught:
        friendbuy_client.track_purchase(purchase(currency="dollars"))

    assert caught.value.status == 422
    assert "currency" in caught.value.detail
    assert len(calls("/event/purchase")) == 1


def test_decimal_amounts_are_sent_as_exact_json_numbers(friendbuy_client, friendbuy_merchant):
    friendbuy_client.track_purchase(purchase(amount=Decimal("19.99")))

    sent = world.events(friendbuy_merchant, "purchase")[0]
    assert sent["amount"] == 19.99 and isinstance(sent["amount"], float)
    assert Decimal(str(sent["amount"])) == Decimal("19.99")
    assert sent["products"][0]["price"] == 29.95


def test_sign_up_custom_event_and_customer_reach_their_endpoints(friendbuy_client, friendbuy_merchant):
    friendbuy_client.track_sign_up({"email": "new@example.com", "customerId": "9"})
    friendbuy_client.track_custom_event({"email": "new@example.com", "eventType": "review"})
    created = friendbuy_client.upsert_customer({"email": "new@example.com", "customerId": "9"})
    updated = friendbuy_client.upsert_customer(
        {"email": "new@example.com", "customerId": "9", "firstName": "N"}
    )

    assert {"eventId", "createdOn"} <= set(created) and {"eventId", "createdOn"} <= set(updated)
    assert [c.status for c in calls("/customer")] == [201, 200]
    assert len(world.events(friendbuy_merchant, "account-sign-up")) == 1
    assert world.events(friendbuy_merchant, "custom")[0]["eventType"] == "review"


def test_referral_link_is_created_once_and_unknown_campaigns_are_not_found(
    friendbuy_client, friendbuy_merchant
):
    campaign = world.default_campaign(friendbuy_merchant).campaign_id
    first = friendbuy_client.create_referral_link(
        {"email": "adv@example.com", "campaignId": campaign, "seed": "Ada Lovelace"}
    )
    again = friendbuy_client.create_referral_link({"email": "adv@example.com", "campaignId": campaign})

    assert first == again
    assert first["referralCode"] == "adalovelace"
    with pytest.raises(FriendbuyNotFound):
        friendbuy_client.create_referral_link({"email": "adv@example.com", "campaignId": "nope"})


def test_analytics_follow_next_page_tokens_across_pages(friendbuy_client, friendbuy_merchant):
    link = world.referral_link(friendbuy_merchant, email="adv@example.com", customer_id="1", code="adv1")
    start = timezone.now() - timedelta(hours=1)
    for minutes in range(5):
        world.record_share(
            friendbuy_merchant, referral_code=link.code, created_on=start + timedelta(minutes=minutes)
        )

    shares = list(
        friendbuy_client.iter_analytics(
            "shares", from_date=start - timedelta(minutes=1), to_date=timezone.now(), page_size=2
        )
    )

    assert len(shares) == 5
    assert [s["createdOn"] for s in shares] == sorted(s["createdOn"] for s in shares)
    pages = calls("/analytics/shares")
    assert len(pages) == 3
    assert "fromDate=" in pages[0].path and "pageSize=2" in pages[0].path
    assert all("pageToken=" in page.path and "fromDate" not in page.path for page in pages[1:])


def test_analytics_filters_accept_snake_case_names(friendbuy_client, friendbuy_merchant):
    link = world.referral_link(friendbuy_merchant, email="adv@example.com", customer_id="1", code="adv1")
    world.record_share(friendbuy_merchant, referral_code=link.code, channel="sms")
    world.record_share(friendbuy_merchant, referral_code=link.code, channel="email")

    shares = list(
        friendbuy_client.iter_analytics(
            "shares",
            from_date=timezone.now() - timedelta(days=1),
            to_date=timezone.now(),
            advocate_email="adv@example.com",
            channel="sms",
        )
    )

    assert [s["channel"] for s in shares] == ["sms"]


def test_unknown_analytics_kind_is_refused_before_any_call(friendbuy_client):
    with pytest.raises(ValueError, match="Unknown Friendbuy analytics kind"):
        list(friendbuy_client.iter_analytics("likes", from_date=timezone.now(), to_date=timezone.now()))
    assert calls() == []


def test_user_data_is_read_and_deleted(friendbuy_client, friendbuy_merchant):
    friendbuy_client.track_sign_up({"email": "gone@example.com", "customerId": "42", "firstName": "Gone"})

    data = friendbuy_client.get_user_data(email="gone@example.com")
    job = friendbuy_client.delete_user_data(email="gone@example.com", customer_id="42")

    assert data["customerIds"] == ["42"] and data["names"] == ["Gone"]
    assert "jobId" in job
    assert world.deletions(friendbuy_merchant) == [
        {"jobId": job["jobId"], "email": "gone@example.com", "customerId": "42"}
    ]
    assert friendbuy_client.get_user_data(customer_id="42")["customerIds"] == []


def test_ledger_balance_is_none_without_a_ledger(friendbuy_client, friendbuy_merchant):
    assert friendbuy_client.get_ledger_balance(customer_id="5") is None

    world.set_ledger_balance(friendbuy_merchant, customer_id="5", total="12.50")

    assert friendbuy_client.get_ledger_balance(customer_id="5") == {
        "customerId": "5",
        "total": 12.5,
        "currency": "USD",
    }


def test_secrets_never_reach_the_outbound_log_or_the_logs(friendbuy_client, friendbuy_merchant, caplog):
    caplog.set_level(logging.DEBUG)
    friendbuy_client.track_purchase(purchase())
    world.expire_tokens(friendbuy_merchant)
    friendbuy_client.track_sign_up({"email": "x@example.com", "customerId": "1"})
    with pytest.raises(FriendbuyAuthError) as caught:
        FriendbuyClient(
            api_key=friendbuy_merchant.api_key, api_secret="a-wrong-secret-value"
        ).check_credentials()

    secrets = [
        friendbuy_merchant.api_secret,
        friendbuy_merchant.api_key,
        "a-wrong-secret-value",
        *FakeToken.objects.values_list("token", flat=True),
    ]
    assert FakeToken.objects.count() == 2
    stored = json.dumps(
        [[c.path, c.url, c.error, c.request_headers, c.request_body, c.response_body] for c in calls()]
    )
    texts = {
        "outbound log": stored,
        "logs": caplog.text,
        "error": str(caught.value),
        "client repr": repr(friendbuy_client),
    }
    for secret in secrets:
        for where, text in texts.items():
            assert secret not in text, f"a secret leaked into the {where}"


def test_token_is_stored_encrypted_and_shared_between_clients(friendbuy_connection):
    first = friendbuy_for(FriendbuyConnection.objects.get(pk=friendbuy_connection.pk))
    second = friendbuy_for(FriendbuyConnection.objects.get(pk=friendbuy_connection.pk))

    token = first.authorize()

    assert second.authorize() == token
    assert len(calls("/authorization")) == 1
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token FROM referrals_friendbuyconnection WHERE id = %s", [friendbuy_connection.pk]
        )
        raw = cursor.fetchone()[0]
    assert raw and token not in raw


def test_a_token_cleared_by_one_client_is_refetched_by_the_other(friendbuy_connection):
    first = friendbuy_for(FriendbuyConnection.objects.get(pk=friendbuy_connection.pk))
    second = friendbuy_for(FriendbuyConnection.objects.get(pk=friendbuy_connection.pk))
    old = first.authorize()

    ConnectionTokenCache(friendbuy_connection).clear()

    assert second.authorize() != old
    assert first.authorize() == second.authorize()


def test_an_unsaved_connection_keeps_its_token_on_the_instance(friendbuy_connection):
    candidate = FriendbuyConnection(
        store=friendbuy_connection.store,
        merchant_id="m",
        api_key=friendbuy_connection.api_key,
        api_secret=friendbuy_connection.api_secret,
    )

    token = friendbuy_for(candidate).authorize()

    assert candidate.access_token == token and candidate.token_expires_at > timezone.now()
    assert FriendbuyConnection.objects.get(pk=friendbuy_connection.pk).access_token == ""


def test_memory_token_cache_round_trips_and_hides_the_token():
    cache = MemoryTokenCache()
    expires = timezone.now()
    cache.set("tok-secret-value", expires)

    assert cache.get() == ("tok-secret-value", expires)
    assert "tok-secret-value" not in repr(cache)
    cache.clear()
    assert cache.get() is None


def test_customer_auth_signature_is_lowercase_hex_hmac_of_epoch_email_and_id():
    auth_string, signature = customer_auth_signature(
        secret="s3cret", email="a@example.com", customer_id="42", epoch=1700000000
    )

    assert auth_string == "1700000000:a@example.com:42"
    # Computed independently: hmac.new(b"s3cret", b"1700000000:a@example.com:42", "sha256").hexdigest()
    assert signature == "8ea522d0c3baa58f3b36de3dc5c0a7c35f3a44af3073173f90e8957d3ec94e98"


def test_a_fresh_connection_row_serves_the_first_token_then_the_row_is_read_again(friendbuy_connection):
    ConnectionTokenCache(friendbuy_connection).set("stored-token", timezone.now() + timedelta(hours=1))
    row = FriendbuyConnection.objects.get(pk=friendbuy_connection.pk)
    cache = ConnectionTokenCache(row, fresh=True)
    FriendbuyConnection.objects.filter(pk=row.pk).update(access_token="", token_expires_at=None)

    assert cache.get()[0] == "stored-token"  # the row as just read, without a second query
    assert cache.get() is None  # later reads see what other processes did to the row
