"""The storefront widget API through real URLs: shopper auth by the current-customer JWT, capture endpoints,
CORS for the store's own origins, body limits, throttling, one error shape, the versioned widget script,
and the OpenAPI schema and docs."""
import json
import uuid

import pytest
from django.core.cache import cache

from referrals.friendbuy.signatures import customer_auth_signature
from referrals.models import (
    AttributionCapture,
    OrderAttributionLink,
    Reward,
    ShopperIdentification,
    TierMembership,
)
from sandbox.faults import inject
from sandbox.friendbuy import world as fb_world
from storefront.scripts import widget_asset
from tests.factories import StoreFactory
from tests.fixtures_rewards import FriendbuyPlayer
from tests.fixtures_storefront import STOREFRONT_ORIGIN, build_storefront_world

API = "/api/storefront/v1"


def post(client, world, path, body, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(f"{API}/{path}", data=data, content_type="application/json",
                       **{**world.headers(), **extra})


def capture_body(world, **overrides):
    return {"visitorStatus": world.visitor_status(), "friendCoupon": "", "deviceId": str(uuid.uuid4()),
            "userAgent": "Mozilla/5.0 (test)", "cartId": "cart-1", **overrides}


def assert_error_shape(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    if code:
        assert body["error"]["code"] == code
    return body["error"]


# --- shopper endpoints --------------------------------------------------------------------------


def test_referral_link_comes_from_friendbuy_and_is_cached(client, storefront_world):
    token = storefront_world.jwt(customer_id=7, email="ada@example.com")
    first = client.get(f"{API}/me/referral-link", **storefront_world.headers(token))
    assert first.status_code == 200, first.content
    assert first.json()["link"].startswith("https://fbuy.io/")
    inject(service="friendbuy", status=500, times=50)
    second = client.get(f"{API}/me/referral-link", **storefront_world.headers(token))
    assert second.json() == first.json()
    links = fb_world.referral_links(storefront_world.merchant)
    assert len(links) == 1


def test_referral_link_needs_a_campaign(client, storefront_world):
    storefront_world.store.storefront_settings.default_campaign_id = ""
    storefront_world.store.storefront_settings.save()
    response = client.get(f"{API}/me/referral-link", **storefront_world.headers(storefront_world.jwt()))
    assert_error_shape(response, 409, "not_configured")


def test_my_rewards_lists_the_shoppers_minted_codes_and_nobody_elses(
        client, storefront_world, django_capture_on_commit_callbacks):
    token = storefront_world.jwt(customer_id=7, email="ada@example.com")
    # Asked before any reward exists: the (cached) answer is empty and must not outlive the new reward.
    assert client.get(f"{API}/me/rewards", **storefront_world.headers(token)).json() == {"rewards": []}
    player = FriendbuyPlayer(storefront_world.store)
    with django_capture_on_commit_callbacks(execute=True):  # the webhook is processed after commit
        player.reward(amount="10.00", customer_id="7", email="ada@example.com")
        player.reward(amount="5.00", customer_id="8", email="bob@example.com")
    rewards = client.get(f"{API}/me/rewards", **storefront_world.headers(token)).json()["rewards"]
    assert len(rewards) == 1
    assert (rewards[0]["state"], rewards[0]["amount"], rewards[0]["redeemed"], rewards[0]["usable"]) == (
        "issued", "10.00", False, True)
    assert rewards[0]["code"] == Reward.objects.get(customer_id="7").coupon.code


def test_loyalty_balance_is_zero_without_a_ledger_and_reads_it_when_present(client, storefront_world):
    token = storefront_world.jwt(customer_id=9)
    empty = client.get(f"{API}/me/loyalty", **storefront_world.headers(token)).json()
    assert empty["balance"] == "0.00" and empty["optedIn"] is False
    fb_world.set_ledger_balance(storefront_world.merchant, customer_id="9", total="12.50")
    post(client, storefront_world, "identify", {"jwt": token})
    full = client.get(f"{API}/me/loyalty", **storefront_world.headers(token)).json()
    assert full["balance"] == "12.50" and full["optedIn"] is True and full["tier"] == ""
    TierMembership.objects.create(store=storefront_world.store, friendbuy_customer_id="9", tier_id="t-g",
                                  tier_name="Gold")
    assert client.get(f"{API}/me/loyalty", **storefront_world.headers(token)).json()["tier"] == "Gold"


def test_referral_status_shows_who_referred_the_shopper(client, storefront_world):
    token = storefront_world.jwt(customer_id=11, email="friend@example.com")
    assert post(client, storefront_world, "capture", capture_body(storefront_world, customerJwt=token)).status_code == 201
    status = client.get(f"{API}/me/referral-status", **storefront_world.headers(token)).json()
    assert status["referred"] is True and status["referredBy"]["referralCode"] == "sam42"
    assert status["isSelfReferral"] is False


@pytest.mark.parametrize("case", ["expired", "forged", "wrong_audience", "other_store", "wrong_operation",
                                  "wrong_issuer", "garbage", "missing"])
def test_bad_customer_tokens_get_401(client, storefront_world, case):
    other = StoreFactory(store_hash="otherstore")
    tokens = {
        "expired": storefront_world.jwt(exp=1_000_000, iat=999_000),
        "forged": storefront_world.jwt()[:-4] + "AAAA",
        "wrong_audience": storefront_world.jwt(aud="someone-else"),
        "other_store": storefront_world.jwt(store_hash=other.store_hash, sub=other.store_hash),
        "wrong_operation": storefront_world.jwt(operation="customer_login"),
        "wrong_issuer": storefront_world.jwt(iss="bc"),
        "garbage": "not-a-jwt",
        "missing": None,
    }
    response = client.get(f"{API}/me/rewards", **storefront_world.headers(tokens[case]))
    error = assert_error_shape(response, 401)
    assert "WWW-Authenticate" in response.headers and error["message"]


def test_a_token_for_this_store_is_refused_under_another_stores_id(client, storefront_world):
    other = build_storefront_world(store_hash="sfstore2")
    response = client.get(f"{API}/me/rewards", **other.headers(storefront_world.jwt()))
    assert_error_shape(response, 401, "invalid_token")


# --- capture endpoints --------------------------------------------------------------------------


def test_identify_verifies_the_jwt_and_signs_friendbuy_auth(client, storefront_world):
    token = storefront_world.jwt(customer_id=5, email="bo@example.com")
    response = post(client, storefront_world, "identify", {"jwt": token})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["customer"] == {"id": 5, "email": "bo@example.com"}
    epoch = int(body["authString"].split(":")[0])
    assert body["authString"] == f"{epoch}:bo@example.com:5"
    assert (body["authString"], body["signature"]) == customer_auth_signature(
        secret=storefront_world.connection.webhook_secret, email="bo@example.com", customer_id="5", epoch=epoch)
    assert ShopperIdentification.objects.filter(store=storefront_world.store, bc_customer_id=5).exists()


def test_identify_refuses_a_forged_jwt(client, storefront_world):
    response = post(client, storefront_world, "identify", {"jwt": storefront_world.jwt(aud="x")})
    assert_error_shape(response, 401, "invalid_token")
    assert not ShopperIdentification.objects.exists()


def test_capture_stores_a_verified_row(client, storefront_world):
    body = capture_body(storefront_world, friendCoupon="FRIEND-10")
    response = post(client, storefront_world, "capture", body, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 201 and response.json() == {"captured": True, "signatureValid": True}
    row = AttributionCapture.objects.get()
    assert row.signature_valid and row.referral_code == "sam42" and row.device_id == body["deviceId"]
    assert row.user_agent == "Mozilla/5.0 (test)" and row.ip_address == "203.0.113.9"
    assert row.friend_coupon == "FRIEND-10" and row.advocate_customer_id == "9843534588704"
    assert row.bc_customer_id is None


def test_capture_with_a_bad_signature_is_kept_but_untrusted(client, storefront_world):
    status = storefront_world.visitor_status()
    status["payload"]["referralCode"] = "tampered"
    response = post(client, storefront_world, "capture", capture_body(storefront_world, visitorStatus=status))
    assert response.json() == {"captured": True, "signatureValid": False}
    assert AttributionCapture.objects.get().signature_valid is False


def test_capture_with_nothing_to_attribute_stores_nothing(client, storefront_world):
    body = capture_body(storefront_world, visitorStatus={"payload": {}, "signature": ""})
    response = post(client, storefront_world, "capture", body)
    assert response.status_code == 200 and response.json()["captured"] is False
    assert AttributionCapture.objects.count() == 0


@pytest.mark.parametrize("body, field", [
    ({"deviceId": "not-a-uuid"}, "deviceId"),
    ({"cartId": "x" * 65}, "cartId"),
    ({"visitorStatus": {"payload": "nope"}}, "visitorStatus"),
    ({"visitorStatus": {"payload": {"isSelfReferral": "maybe"}, "signature": ""}}, "visitorStatus"),
])
def test_malformed_capture_bodies_get_400_with_field_errors(client, storefront_world, body, field):
    response = post(client, storefront_world, "capture", capture_body(storefront_world, **body))
    error = assert_error_shape(response, 400, "invalid")
    assert field in error["fields"]
    assert AttributionCapture.objects.count() == 0


def test_unparseable_json_gets_400(client, storefront_world):
    assert_error_shape(post(client, storefront_world, "capture", "{not json"), 400, "parse_error")


def test_oversized_body_gets_413(client, storefront_world):
    body = capture_body(storefront_world, userAgent="x" * 9000)
    assert_error_shape(post(client, storefront_world, "capture", body), 413, "payload_too_large")
    assert AttributionCapture.objects.count() == 0


def test_capture_with_a_forged_customer_jwt_is_refused(client, storefront_world):
    body = capture_body(storefront_world, customerJwt=storefront_world.jwt(aud="nope"))
    assert_error_shape(post(client, storefront_world, "capture", body), 401)
    assert AttributionCapture.objects.count() == 0


def test_unknown_store_gets_404(client, storefront_world):
    response = post(client, storefront_world, "capture", capture_body(storefront_world), HTTP_X_STORE_ID="nope")
    assert_error_shape(response, 404, "store_not_found")


def test_order_link_each_devices_first_report_wins_and_another_device_overwrites_nothing(client, storefront_world):
    body = capture_body(storefront_world, cartId="cart-9")
    post(client, storefront_world, "capture", body)
    link = {"orderId": 100, "deviceId": body["deviceId"], "cartId": "cart-9", "userAgent": "UA"}
    assert post(client, storefront_world, "orders/link", link).status_code == 201
    again = post(client, storefront_world, "orders/link", {**link, "cartId": "other"})
    assert again.status_code == 200 and again.json() == {"linked": True, "created": False}
    forged = post(client, storefront_world, "orders/link", {**link, "deviceId": str(uuid.uuid4()), "cartId": "x"})
    assert forged.status_code == 201
    row = OrderAttributionLink.objects.get(device_id=body["deviceId"])
    assert row.cart_id == "cart-9" and row.capture is not None
    assert OrderAttributionLink.objects.count() == 2


def test_order_link_with_a_forged_customer_jwt_is_refused(client, storefront_world):
    link = {"orderId": 100, "deviceId": str(uuid.uuid4()), "customerJwt": storefront_world.jwt(aud="nope")}
    assert_error_shape(post(client, storefront_world, "orders/link", link), 401)
    assert not OrderAttributionLink.objects.exists()


# --- CORS, throttles ----------------------------------------------------------------------------


def test_preflight_from_the_store_origin_is_answered(client, storefront_world):
    response = client.options(f"{API}/capture?store={storefront_world.store.public_id}",
                              HTTP_ORIGIN=STOREFRONT_ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                              HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,x-store-id")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == STOREFRONT_ORIGIN
    assert "X-Store-Id" in response["Access-Control-Allow-Headers"]


def test_extra_allowed_origins_work_too(client, storefront_world):
    response = post(client, storefront_world, "capture", capture_body(storefront_world),
                    HTTP_ORIGIN="https://www.shop.example.test")
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "https://www.shop.example.test"


def test_other_origins_get_no_cors_headers_and_writes_are_forbidden(client, storefront_world):
    evil = "https://evil.example"
    preflight = client.options(f"{API}/capture?store={storefront_world.store.public_id}", HTTP_ORIGIN=evil)
    assert preflight.status_code == 403 and "Access-Control-Allow-Origin" not in preflight
    response = post(client, storefront_world, "capture", capture_body(storefront_world), HTTP_ORIGIN=evil)
    assert_error_shape(response, 403, "origin_not_allowed")
    assert "Access-Control-Allow-Origin" not in response
    assert AttributionCapture.objects.count() == 0
    read = client.get(f"{API}/me/rewards", **storefront_world.headers(storefront_world.jwt(), origin=evil))
    assert read.status_code == 200 and "Access-Control-Allow-Origin" not in read


def test_a_flood_from_one_ip_gets_429_with_retry_after(client, storefront_world, settings, rate_windows_pinned):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"storefront_ip": "5/min", "storefront_store": "1000/min"}}
    cache.clear()
    codes = [post(client, storefront_world, "capture", capture_body(storefront_world)).status_code
             for _ in range(8)]
    assert codes[:5] == [201] * 5 and codes[5:] == [429] * 3
    response = post(client, storefront_world, "capture", capture_body(storefront_world))
    assert_error_shape(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert AttributionCapture.objects.count() == 5
    other_ip = post(client, storefront_world, "capture", capture_body(storefront_world), REMOTE_ADDR="198.51.100.7")
    assert other_ip.status_code == 201


def test_per_store_limit_applies_across_ips(client, storefront_world, settings, rate_windows_pinned):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"storefront_ip": "1000/min", "storefront_store": "3/min"}}
    cache.clear()
    codes = [post(client, storefront_world, "capture", capture_body(storefront_world),
                  REMOTE_ADDR=f"198.51.100.{i}").status_code for i in range(5)]
    assert codes == [201, 201, 201, 429, 429]


# --- widget script, schema, docs ----------------------------------------------------------------


def test_widget_script_is_served_immutable_at_its_content_hash(client, storefront_world):
    asset = widget_asset()
    response = client.get(f"{API}/{asset.filename}")
    assert response.status_code == 200 and response.content == asset.body
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Content-Type"].startswith("text/javascript")
    assert len(asset.body) < 16_000
    assert client.get(f"{API}/widget.0000000000000000.js").status_code == 404


def test_openapi_schema_lists_the_widget_api(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {f"{API}/capture", f"{API}/identify", f"{API}/orders/link", f"{API}/me/referral-link",
            f"{API}/me/rewards"} <= set(paths)
    assert all(path.startswith(("/api/storefront/", "/api/external/")) for path in paths)


def test_docs_page_works_offline(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html and "cdn.jsdelivr" not in html
