"""The BigCommerce client against the sandbox: retries, paging, money and dates, errors, token exchange."""

import json
from datetime import datetime
from decimal import Decimal

import pytest
from django.conf import settings

from sandbox import faults
from sandbox.bigcommerce import world
from sandbox.bigcommerce.tokens import issue_install_code
from storefront.bigcommerce import (
    BigCommerceAuthError,
    BigCommerceClient,
    BigCommerceInvalid,
    BigCommerceNotFound,
    BigCommerceRateLimited,
    BigCommerceServerError,
    describe_error_body,
    exchange_token,
    parse_money,
    parse_rfc2822,
)
from storefront.call_log import outbound_call_record, outbound_calls_batched
from storefront.clients import bigcommerce_for
from storefront.models import OutboundCall

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bc_full_scope")]


def _calls():
    return list(OutboundCall.objects.order_by("id"))


# --- retries ------------------------------------------------------------------------------------


def test_429_waits_the_reset_header_then_succeeds(bc_store, bc_client_timed, bc_sleeps):
    order = world.create_order(bc_store.store_hash, email="a@example.com")
    faults.inject(
        service="bigcommerce",
        status=429,
        times=1,
        path_contains="/orders/",
        headers={"X-Rate-Limit-Time-Reset-Ms": "2500"},
    )
    assert bc_client_timed.get_order(order["id"])["id"] == order["id"]
    assert bc_sleeps == [2.5]
    assert [c.status for c in _calls()] == [429, 200]


def test_5xx_is_retried_with_backoff_then_succeeds(bc_store, bc_client_timed, bc_sleeps):
    order = world.create_order(bc_store.store_hash, email="a@example.com")
    faults.inject(service="bigcommerce", status=500, times=2, path_contains="/orders/")
    assert bc_client_timed.get_order(order["id"])["id"] == order["id"]
    assert len(bc_sleeps) == 2 and all(0 <= s <= 1.0 for s in bc_sleeps)
    assert [c.attempt for c in _calls()] == [1, 2, 3]
    assert [c.status for c in _calls()] == [500, 500, 200]


def test_timeout_is_retried_then_succeeds(bc_store, bc_client):
    order = world.create_order(bc_store.store_hash, email="a@example.com")
    faults.inject(service="bigcommerce", timeout=True, times=1, path_contains="/orders/")
    assert bc_client.get_order(order["id"])["id"] == order["id"]
    first, second = _calls()
    assert first.status is None and "Timeout" in first.error
    assert second.status == 200


def test_5xx_on_every_attempt_raises_retryable_server_error(bc_store, bc_client):
    faults.inject(service="bigcommerce", status=503, times=10, path_contains="/hooks")
    with pytest.raises(BigCommerceServerError) as caught:
        bc_client.list_hooks()
    assert caught.value.retryable and caught.value.status == 503
    assert len(_calls()) == 5


def test_timeouts_on_every_attempt_raise_server_error(bc_store, bc_client):
    faults.inject(service="bigcommerce", timeout=True, times=10)
    with pytest.raises(BigCommerceServerError) as caught:
        bc_client.list_scripts()
    assert caught.value.retryable and caught.value.status is None


def test_429_on_every_attempt_raises_rate_limited(bc_store, bc_client):
    faults.inject(service="bigcommerce", status=429, times=10, headers={"X-Rate-Limit-Time-Reset-Ms": "10"})
    with pytest.raises(BigCommerceRateLimited):
        bc_client.list_hooks()
    assert len(_calls()) == 5


def test_422_is_not_retried_and_carries_the_field_errors(bc_client):
    with pytest.raises(BigCommerceInvalid) as caught:
        bc_client.create_hook(
            scope="store/order/created", destination="http://insecure.example/hook", headers={}
        )
    assert caught.value.status == 422
    assert "destination" in caught.value.errors
    assert "JSON data is missing or invalid" in str(caught.value)
    assert len(_calls()) == 1


def test_v2_404_is_not_retried_and_reads_the_array_error(bc_client):
    with pytest.raises(BigCommerceNotFound) as caught:
        bc_client.get_order(999999)
    assert "The requested resource was not found." in str(caught.value)
    assert caught.value.errors == [{"status": 404, "message": "The requested resource was not found."}]
    assert len(_calls()) == 1


def test_bad_token_raises_auth_error(bc_store):
    client = BigCommerceClient(store_hash=bc_store.store_hash, access_token="wrong-token-123456")
    with pytest.raises(BigCommerceAuthError) as caught:
        client.list_hooks()
    assert caught.value.status == 401


def test_every_attempt_is_logged_with_the_token_redacted(bc_store, bc_client):
    faults.inject(service="bigcommerce", status=500, times=1)
    bc_client.list_hooks()
    calls = _calls()
    assert len(calls) == 2
    for call in calls:
        assert call.store_id == bc_store.pk
        assert call.request_headers["X-Auth-Token"] != bc_store.access_token
        assert bc_store.access_token not in json.dumps(
            [call.request_headers, call.request_body, call.response_body]
        )
    assert bc_store.access_token not in repr(bc_client)


# --- paging -------------------------------------------------------------------------------------


def test_v2_paging_stops_on_a_short_page(bc_store, bc_client):
    ids = [world.create_order(bc_store.store_hash, email=f"s{n}@example.com")["id"] for n in range(7)]
    assert [o["id"] for o in bc_client.iter_orders(limit=3)] == ids
    assert [c.status for c in _calls()] == [200, 200, 200]


def test_v2_paging_stops_on_204(bc_store, bc_client):
    ids = [world.create_order(bc_store.store_hash, email=f"s{n}@example.com")["id"] for n in range(6)]
    assert [o["id"] for o in bc_client.iter_orders(limit=3)] == ids
    assert [c.status for c in _calls()] == [200, 200, 204]


def test_v2_filters_min_id_and_status(bc_store, bc_client):
    first = world.create_order(bc_store.store_hash, email="a@example.com")
    second = world.create_order(bc_store.store_hash, email="b@example.com", status_id=0)
    third = world.create_order(bc_store.store_hash, email="c@example.com")
    assert [o["id"] for o in bc_client.iter_orders(min_id=second["id"])] == [second["id"], third["id"]]
    assert [o["id"] for o in bc_client.iter_orders(status_id=11)] == [first["id"], third["id"]]
    assert bc_client.count_orders() == 3


def test_v3_page_paging_follows_meta_pagination(bc_store, bc_client):
    for n in range(5):
        world.create_customer(bc_store.store_hash, email=f"c{n}@example.com")
    emails = [c["email"] for c in bc_client.iter_v3("/customers", limit=2)]
    assert emails == [f"c{n}@example.com" for n in range(5)]
    assert len(_calls()) == 3


def test_v3_cursor_paging_follows_end_cursor(bc_client):
    promotion = bc_client.create_promotion(_bulk_promotion())
    bc_client.codegen(promotion["id"], batch_size=5)
    codes = list(bc_client.iter_v3_cursor(f"/promotions/{promotion['id']}/codes", limit=2))
    assert len(codes) == 5 and len({c["code"] for c in codes}) == 5
    assert "after=" in _calls()[-1].path


def test_iter_coupon_codes_filters_by_code(bc_client):
    promotion = bc_client.create_promotion(_bulk_promotion())  # a SINGLE promotion takes one code
    bc_client.create_coupon_code(promotion["id"], code="FRIEND-10")
    bc_client.create_coupon_code(promotion["id"], code="FRIEND-20")
    assert [c["code"] for c in bc_client.iter_coupon_codes(promotion["id"], code="FRIEND-20")] == [
        "FRIEND-20"
    ]
    assert bc_client.find_coupon_code("friend-10")["code"] == "FRIEND-10"
    assert bc_client.find_coupon_code("NOPE") is None


# --- money and dates ----------------------------------------------------------------------------


def test_v2_money_is_decimal_and_dates_are_aware(bc_store, bc_client):
    order = world.create_order(
        bc_store.store_hash,
        email="a@example.com",
        products=[{"name": "Mug", "price": "19.99", "quantity": 2}],
        coupons=[{"code": "SAVE5", "amount": "5"}],
    )
    fetched = bc_client.get_order(order["id"])
    assert fetched["total_inc_tax"] == Decimal("34.98")
    assert isinstance(fetched["subtotal_ex_tax"], Decimal)
    assert fetched["items_total"] == 2  # a count, not money
    assert isinstance(fetched["date_created"], datetime) and fetched["date_created"].tzinfo is not None
    assert fetched["date_shipped"] is None
    (product,) = bc_client.iter_order_products(order["id"])
    assert product["base_price"] == Decimal("19.99") and product["quantity"] == 2
    (coupon,) = bc_client.get_order_coupons(order["id"])
    assert coupon["discount"] == Decimal("5") and coupon["code"] == "SAVE5"
    (address,) = bc_client.get_order_shipping_addresses(order["id"])
    assert isinstance(address["cost_inc_tax"], Decimal)


def test_order_with_consignments_embeds_the_products_with_the_same_decimals(bc_store, bc_client):
    order = world.create_order(
        bc_store.store_hash,
        email="a@example.com",
        products=[{"name": "Mug", "price": "19.99", "quantity": 2}, {"name": "Lid", "price": "0", "parent": 0}],
        shipping_cost="4.50",
    )

    fetched = bc_client.get_order_with_consignments(order["id"])

    (shipping,) = fetched["consignments"]["shipping"]
    assert shipping["line_items"] == list(bc_client.iter_order_products(order["id"]))
    assert shipping["line_items"][0]["price_ex_tax"] == Decimal("19.99")
    assert shipping["cost_inc_tax"] == Decimal("4.5")
    assert fetched["total_inc_tax"] == Decimal("44.48") and isinstance(fetched["date_created"], datetime)


def test_parse_helpers():
    assert parse_money("225.0000") == Decimal("225.0000")
    assert parse_money("") == Decimal("0")
    assert parse_money(5) == Decimal("5")
    assert parse_rfc2822("") is None
    moment = parse_rfc2822("Tue, 05 Mar 2019 21:40:11 +0000")
    assert (moment.year, moment.hour, moment.utcoffset().total_seconds()) == (2019, 21, 0)


def test_v3_transactions_and_refunds(bc_store, bc_client):
    unpaid = world.create_order(bc_store.store_hash, email="a@example.com", status_id=0)
    assert bc_client.get_order_transactions(unpaid["id"]) == []
    order = world.create_order(bc_store.store_hash, email="a@example.com")
    (purchase,) = bc_client.get_order_transactions(order["id"])
    assert purchase["event"] == "purchase" and purchase["amount"] == Decimal("50")
    refund = world.refund_order(bc_store.store_hash, order["id"], amount="10")
    assert [r["id"] for r in bc_client.list_order_refunds(order["id"])] == [refund["id"]]
    assert bc_client.get_refund(refund["id"])["total_amount"] == 10
    assert bc_client.get_order(order["id"])["status_id"] == 14


# --- error shapes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (
            {
                "status": 422,
                "title": "JSON data is missing or invalid",
                "type": "x",
                "errors": {"scope": "missing"},
            },
            "JSON data is missing or invalid",
        ),
        (
            [{"status": 404, "message": "The requested resource was not found."}],
            "The requested resource was not found.",
        ),
        (
            {
                "data": [
                    {
                        "status": 422,
                        "title": "Unable to provide store credit for a guest customer.",
                        "type": "x",
                    }
                ]
            },
            "Unable to provide store credit for a guest customer.",
        ),
        ({"errors": [{"status": 422, "title": "code is required."}]}, "code is required."),
    ],
)
def test_every_error_shape_gives_a_readable_title(body, title):
    assert describe_error_body(body)[0] == title


def test_wrapped_refund_error_is_typed_and_readable(bc_store, bc_client):
    order = world.create_order(bc_store.store_hash, email="a@example.com")
    with pytest.raises(BigCommerceInvalid) as caught:
        bc_client.request(
            "POST",
            f"/v3/orders/{order['id']}/payment_actions/refunds",
            json_body={
                "items": [{"item_type": "ORDER", "item_id": order["id"], "amount": 500}],
                "payments": [{"provider_id": "testgateway", "amount": 500, "offline": False}],
            },
        )
    assert "exceeds the refundable amount" in str(caught.value)


# --- token exchange -----------------------------------------------------------------------------


def test_token_exchange_returns_the_documented_body_and_logs_no_secret(db):
    code = issue_install_code(store_hash="newstore1", user_id=42, user_email="owner@example.com")
    result = exchange_token(
        code=code,
        scope="store_v2_orders",
        context="stores/newstore1",
        redirect_uri=f"{settings.APP_URL}/bigcommerce/auth",
        recorder=outbound_call_record,
    )
    assert {"access_token", "scope", "user", "owner", "context", "account_uuid"} <= set(result)
    assert result["context"] == "stores/newstore1" and result["user"]["id"] == 42
    (call,) = _calls()
    stored = json.dumps([call.request_body, call.response_body, call.request_headers])
    # The one-time install code is dead once exchanged, so storefront.redaction leaves it readable.
    for secret in (settings.BIGCOMMERCE_CLIENT_SECRET, result["access_token"]):
        assert secret not in stored
    client = BigCommerceClient(store_hash="newstore1", access_token=result["access_token"])
    assert client.list_hooks() == []


def test_token_exchange_with_a_bad_or_reused_code_fails_without_retry(db):
    code = issue_install_code(store_hash="newstore2", user_id=1, user_email="o@example.com")
    kwargs = {
        "scope": "x",
        "context": "stores/newstore2",
        "redirect_uri": f"{settings.APP_URL}/bigcommerce/auth",
        "recorder": outbound_call_record,
    }
    with pytest.raises(BigCommerceInvalid) as caught:
        exchange_token(code="not-a-code", **kwargs)
    assert "invalid" in str(caught.value).lower()
    exchange_token(code=code, **kwargs)
    with pytest.raises(BigCommerceInvalid):
        exchange_token(code=code, **kwargs)
    assert OutboundCall.objects.count() == 3


def test_bigcommerce_for_builds_a_logging_client(bc_store):
    client = bigcommerce_for(bc_store)
    assert client.list_scripts() == []
    assert OutboundCall.objects.filter(store=bc_store).count() == 1


def _bulk_promotion(coupon_type="BULK"):
    return {
        "name": "Friend reward",
        "redemption_type": "COUPON",
        "coupon_type": coupon_type,
        "rules": [{"action": {"cart_value": {"discount": {"fixed_amount": "10"}}}}],
    }


def test_every_rest_call_sends_the_headers_the_openapi_files_require(bc_store, bc_client):
    """BigCommerce's specs mark Accept and Content-Type as required on every operation, GETs included."""
    bc_client.list_hooks()
    bc_client.list_scripts()
    for call in OutboundCall.objects.filter(service="bigcommerce"):
        assert call.request_headers["Accept"] == "application/json"
        assert call.request_headers["Content-Type"] == "application/json"
        assert call.request_headers["X-Auth-Token"]


# --- the call log -------------------------------------------------------------------------------


def test_a_batched_unit_of_work_writes_its_calls_in_one_statement_at_its_end(bc_store, bc_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order = world.create_order(bc_store.store_hash, email="a@example.com")
    with CaptureQueriesContext(connection) as queries, outbound_calls_batched():
        bc_client.get_order(order["id"])
        bc_client.get_order_coupons(order["id"])
        assert _calls() == []
    inserts = [q for q in queries.captured_queries if 'INTO "storefront_outboundcall"' in q["sql"]]
    assert len(inserts) == 1
    assert [c.path.split("?")[0].split("/")[-1] for c in _calls()] == [str(order["id"]), "coupons"]


def test_a_failed_batched_unit_of_work_still_logs_what_it_called(bc_store, bc_client):
    with pytest.raises(BigCommerceNotFound), outbound_calls_batched():
        bc_client.get_order(999999)
    assert [c.status for c in _calls()] == [404]


def test_nested_batches_are_written_once_by_the_outermost(bc_store, bc_client):
    order = world.create_order(bc_store.store_hash, email="a@example.com")
    with outbound_calls_batched():
        with outbound_calls_batched():
            bc_client.get_order(order["id"])
        assert _calls() == []
    assert len(_calls()) == 1


def test_proxy_variables_apply_once_read_and_no_proxy_is_honoured(monkeypatch):
    from storefront.http import environment_proxies

    environment_proxies.cache_clear()
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "login.bigcommerce.com")
    try:
        assert environment_proxies("https://api.bigcommerce.com/")["https"] == "http://proxy.internal:3128"
        assert environment_proxies("https://login.bigcommerce.com/") == {}
    finally:
        environment_proxies.cache_clear()
