"""The fake Friendbuy MAPI follows the documented contract, and its webhooks verify with the app's checker."""

import base64
import json
from datetime import datetime, timedelta

import pytest
from django.http import HttpResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from referrals.friendbuy.signatures import SIGNATURE_HEADER, friendbuy_signature, verify_friendbuy_signature
from sandbox import faults
from sandbox.friendbuy import world

pytestmark = pytest.mark.django_db

BASE = "/sandbox/friendbuy/v1"
RECEIVED: list[dict] = []


@csrf_exempt
def capture(request):
    """A stand-in receiver: keeps exactly what arrived so the test can verify it."""
    RECEIVED.append(
        {
            "body": request.body,
            "signature": request.headers.get(SIGNATURE_HEADER),
            "content_type": request.content_type,
        }
    )
    return HttpResponse(status=200)


urlpatterns = [path("capture/", capture), path("", include("config.urls"))]


@pytest.fixture
def api(client, friendbuy_merchant):
    """POST/GET to the fake MAPI as an authorized merchant."""
    response = client.post(
        f"{BASE}/authorization",
        {"key": friendbuy_merchant.api_key, "secret": friendbuy_merchant.api_secret},
        content_type="application/json",
    )
    headers = {"Authorization": f"Bearer {response.json()['token']}"}

    class Api:
        def post(self, url, body):
            return client.post(BASE + url, json.dumps(body), content_type="application/json", headers=headers)

        def get(self, url, params=None):
            return client.get(BASE + url, params or {}, headers=headers)

        def delete(self, url):
            return client.delete(BASE + url, headers=headers)

    return Api()


def assert_error_body(response, status, message_part=""):
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error", "message", "code", "reference"}
    assert message_part in body["message"]
    assert body["reference"]


# -- authorization --------------------------------------------------------------------------------


def test_authorization_returns_a_twenty_minute_bearer_token(client, friendbuy_merchant):
    response = client.post(
        f"{BASE}/authorization",
        {"key": friendbuy_merchant.api_key, "secret": friendbuy_merchant.api_secret},
        content_type="application/json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["tokenType"] == "Bearer"
    assert body["expires"].endswith("Z") and len(body["expires"].split(".")[1]) == 4  # "588Z"
    expires = datetime.fromisoformat(body["expires"].replace("Z", "+00:00"))
    assert timedelta(minutes=19) < expires - timezone.now() <= timedelta(minutes=20)


def test_authorization_refuses_wrong_credentials_with_401(client, friendbuy_merchant):
    response = client.post(
        f"{BASE}/authorization",
        {"key": friendbuy_merchant.api_key, "secret": "wrong"},
        content_type="application/json",
    )

    assert_error_body(response, 401, "Unauthorized")


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"key": "k"}'])
def test_authorization_refuses_malformed_bodies_with_400(client, friendbuy_merchant, body):
    response = client.post(f"{BASE}/authorization", body, content_type="application/json")

    assert_error_body(response, 400)


@pytest.mark.parametrize("authorization", [None, "Bearer unknown-token", "Basic abc"])
def test_other_endpoints_require_a_valid_bearer_token(client, friendbuy_merchant, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.post(f"{BASE}/event/purchase", "{}", content_type="application/json", headers=headers)

    assert_error_body(response, 401)


def test_an_expired_token_is_refused(api, friendbuy_merchant):
    world.expire_tokens(friendbuy_merchant)

    assert_error_body(api.post("/event/custom", {"email": "a@example.com", "eventType": "x"}), 401)


def test_the_bare_token_is_accepted_as_segment_sends_it(client, friendbuy_merchant):
    token = client.post(
        f"{BASE}/authorization",
        {"key": friendbuy_merchant.api_key, "secret": friendbuy_merchant.api_secret},
        content_type="application/json",
    ).json()["token"]

    response = client.post(
        f"{BASE}/event/custom",
        {"email": "a@example.com", "eventType": "x"},
        content_type="application/json",
        headers={"Authorization": token},
    )

    assert response.status_code == 201


# -- events ---------------------------------------------------------------------------------------

VALID_PURCHASE = {
    "orderId": "1",
    "customerId": "7",
    "amount": 10.5,
    "currency": "USD",
    "products": [{"sku": "S", "name": "N", "quantity": 1, "price": 10.5}],
}


def test_a_valid_purchase_is_recorded_and_answered_201(api, friendbuy_merchant):
    response = api.post("/event/purchase", VALID_PURCHASE)

    assert response.status_code == 201
    assert set(response.json()) == {"eventId", "createdOn"}
    assert world.events(friendbuy_merchant, "purchase") == [VALID_PURCHASE]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"orderId": None}, 400, "orderId"),
        ({"customerId": ""}, 400, "customerId"),
        ({"amount": None}, 400, "amount"),
        ({"amount": "10.50"}, 422, "amount"),
        ({"amount": True}, 422, "amount"),
        ({"currency": "usd"}, 422, "currency"),
        ({"currency": "EURO"}, 422, "currency"),
        ({"customerId": 7}, 422, "customerId"),
        ({"email": "not-an-email"}, 422, "email"),
        ({"isNewCustomer": "yes"}, 422, "isNewCustomer"),
        ({"products": [{"name": "no sku"}]}, 400, "products[0].sku"),
        ({"products": [{"sku": "S", "price": "1"}]}, 422, "products[0].price"),
        ({"additionalProperties": {"n": 1}}, 422, "additionalProperties"),
    ],
)
def test_purchase_validation_names_the_field(api, friendbuy_merchant, change, status, field):
    body = {k: v for k, v in {**VALID_PURCHASE, **change}.items() if v is not None}

    response = api.post("/event/purchase", body)

    assert_error_body(response, status, field)
    assert world.events(friendbuy_merchant) == []


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/event/account-sign-up", {"customerId": "1"}, "email"),
        ("/event/account-sign-up", {"email": "a@example.com"}, "customerId"),
        (
            "/event/account-sign-up",
            {"email": "a@example.com", "customerId": "1", "birthday": {"day": 40, "month": 1}},
            "birthday.day",
        ),
        ("/event/custom", {"email": "a@example.com"}, "eventType"),
        ("/customer", {"email": "a@example.com"}, "customerId"),
        ("/personal-referral-link", {"email": "a@example.com"}, "campaignId"),
    ],
)
def test_other_endpoints_validate_their_required_fields(api, url, body, field):
    response = api.post(url, body)

    assert response.status_code in (400, 422)
    assert field in response.json()["message"]


def test_customer_is_created_then_updated(api):
    first = api.post("/customer", {"email": "a@example.com", "customerId": "1"})
    second = api.post("/customer", {"email": "a@example.com", "customerId": "1", "firstName": "A"})

    assert (first.status_code, second.status_code) == (201, 200)


# -- referral links -------------------------------------------------------------------------------


def test_referral_link_is_created_or_returned_for_any_campaign_of_the_merchant(api, friendbuy_merchant):
    other = world.create_campaign(friendbuy_merchant, name="Summer")
    default = world.default_campaign(friendbuy_merchant)

    first = api.post(
        "/personal-referral-link", {"email": "Adv@example.com", "campaignId": default.campaign_id}
    )
    again = api.post(
        "/personal-referral-link", {"email": "adv@example.com", "campaignId": default.campaign_id}
    )
    summer = api.post(
        "/personal-referral-link", {"email": "adv@example.com", "campaignId": other.campaign_id}
    )

    assert first.status_code == again.status_code == summer.status_code == 200
    assert first.json() == again.json()
    assert set(first.json()) == {"link", "referralCode", "createdOn"}
    assert summer.json()["referralCode"] != first.json()["referralCode"]
    assert first.json()["link"].startswith(f"https://fbuy.io/{friendbuy_merchant.merchant_id}/")


def test_referral_link_for_an_unknown_or_foreign_campaign_is_404(api, friendbuy_merchant):
    foreign = world.default_campaign(world.create_merchant())
    inactive = world.create_campaign(friendbuy_merchant, name="Old", active=False)

    for campaign_id in ("unknown", foreign.campaign_id, inactive.campaign_id):
        assert_error_body(
            api.post("/personal-referral-link", {"email": "a@example.com", "campaignId": campaign_id}),
            404,
            "Campaign",
        )


# -- analytics ------------------------------------------------------------------------------------


def window(**extra):
    now = timezone.now()
    return {
        "fromDate": (now - timedelta(days=1)).isoformat(),
        "toDate": (now + timedelta(minutes=1)).isoformat(),
        **extra,
    }


def test_analytics_pages_are_locked_by_an_opaque_token(api, friendbuy_merchant):
    link = world.referral_link(friendbuy_merchant, email="adv@example.com", code="adv1")
    for _ in range(3):
        world.record_click(friendbuy_merchant, referral_code=link.code)

    first = api.get("/analytics/clicks", window(pageSize=2)).json()
    second = api.get("/analytics/clicks", {"pageToken": first["nextPageToken"]}).json()

    assert first["totalResults"] == second["totalResults"] == 3
    assert len(first["results"]) == 2 and len(second["results"]) == 1
    assert "nextPageToken" not in second
    state = json.loads(base64.urlsafe_b64decode(first["nextPageToken"]))
    assert {"searchAfter", "fromDate", "toDate", "pageSize", "zone"} <= set(state)
    assert "_attributionId" not in first["results"][0]
    assert first["results"][0]["referralCode"] == "adv1"


def test_analytics_require_dates_and_refuse_bad_tokens(api):
    assert_error_body(api.get("/analytics/purchases", {"toDate": "2021-01-01T00:00:00Z"}), 400, "fromDate")
    assert_error_body(api.get("/analytics/purchases", {"pageToken": "garbage"}), 400, "pageToken")
    assert_error_body(api.get("/analytics/purchases", window(campaign="x")), 400, "campaign")
    assert api.get("/analytics/likes", window()).status_code == 404


def test_analytics_purchases_list_only_referred_purchases(api, friendbuy_merchant):
    link = world.referral_link(friendbuy_merchant, email="adv@example.com", customer_id="1", code="adv1")
    click = world.record_click(friendbuy_merchant, referral_code="adv1")
    world.record_friend_incentive(
        friendbuy_merchant, referral_code="adv1", friend_email="f@example.com", coupon_code="FRIEND-10"
    )
    api.post("/event/purchase", {**VALID_PURCHASE, "orderId": "by-code", "referralCode": "ADV1"})
    api.post(
        "/event/purchase", {**VALID_PURCHASE, "orderId": "by-click", "attributionId": click["attributionId"]}
    )
    api.post("/event/purchase", {**VALID_PURCHASE, "orderId": "by-coupon", "couponCode": "friend-10"})
    api.post("/event/purchase", {**VALID_PURCHASE, "orderId": "organic"})

    results = api.get("/analytics/purchases", window()).json()["results"]

    assert [r["orderId"] for r in results] == ["by-code", "by-click", "by-coupon"]
    assert {r["advocateEmail"] for r in results} == {link.email}
    assert results[0]["campaignId"] == world.default_campaign(friendbuy_merchant).campaign_id


def test_analytics_sign_ups_are_filtered_by_email(api, friendbuy_merchant):
    world.referral_link(friendbuy_merchant, email="adv@example.com", code="adv1")
    api.post("/event/account-sign-up", {"email": "a@example.com", "customerId": "1", "referralCode": "adv1"})
    api.post("/event/account-sign-up", {"email": "b@example.com", "customerId": "2", "referralCode": "adv1"})

    body = api.get("/analytics/account-sign-ups", window(email="b@example.com")).json()

    assert [r["customerId"] for r in body["results"]] == ["2"]


def test_recorded_activity_is_served_by_its_analytics_endpoint(api, friendbuy_merchant):
    world.record_activity(
        friendbuy_merchant,
        kind="email-captures",
        email="f@example.com",
        emailCaptureType="friend",
        campaignId="c1",
    )

    results = api.get("/analytics/email-captures", window(emailCaptureType="friend")).json()["results"]

    assert results[0]["email"] == "f@example.com" and results[0]["createdOn"].endswith("Z")


# -- user data, ledger, faults, unknown URLs ------------------------------------------------------


def test_user_data_requires_a_subject(api):
    assert_error_body(api.get("/user-data"), 400, "email or customerId")


def test_ledger_balance_is_404_without_a_ledger(api):
    assert_error_body(api.get("/ledger-balance", {"customerId": "9"}), 404, "No ledger found for customer")


def test_injected_faults_answer_before_anything_else(api, friendbuy_merchant):
    faults.inject(service="friendbuy", status=503, path_contains="/event/purchase")

    response = api.post("/event/purchase", VALID_PURCHASE)

    assert_error_body(response, 503)
    assert world.events(friendbuy_merchant) == []
    assert api.post("/event/purchase", VALID_PURCHASE).status_code == 201


def test_unknown_urls_answer_friendbuys_404(client):
    assert_error_body(client.get(f"{BASE}/openapi.json"), 404, "Unknown URL")


# -- webhooks and callbacks -----------------------------------------------------------------------


@pytest.fixture
def receiver():
    RECEIVED.clear()
    yield "https://app.example.test/capture/"
    RECEIVED.clear()


@pytest.mark.urls(__name__)
def test_webhook_is_signed_over_the_exact_bytes_sent(friendbuy_merchant, receiver):
    data = [
        world.reward_payload(email="adv@example.com", customer_id="1", coupon_code="ADV-20"),
        world.reward_payload(email="adv@example.com", amount=5),
    ]

    response = world.send_webhook(
        url=receiver,
        secret=friendbuy_merchant.webhook_secret,
        type="advocateReward",
        data=data,
        webhook_id="hook-1",
    )

    assert response.status_code == 200
    [received] = RECEIVED
    assert verify_friendbuy_signature(
        received["body"], received["signature"], friendbuy_merchant.webhook_secret
    )
    assert not verify_friendbuy_signature(received["body"], received["signature"], "another-secret")
    assert not verify_friendbuy_signature(
        received["body"].replace(b"ADV-20", b"ADV-99"),
        received["signature"],
        friendbuy_merchant.webhook_secret,
    )
    envelope = json.loads(received["body"])
    assert set(envelope) == {"id", "type", "data", "createdOn"}
    assert envelope["id"] == "hook-1" and envelope["type"] == "advocateReward"
    assert [item["rewardAmount"] for item in envelope["data"]] == ["20.00", "5.00"]
    assert received["content_type"] == "application/json"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("shape", ["purchase", "event"])
def test_reward_validation_callbacks_are_signed_in_both_shapes(friendbuy_merchant, receiver, shape):
    if shape == "purchase":
        body = world.purchase_validation_body(
            order_id="100",
            amount=59.9,
            email="f@example.com",
            customer_id="7",
            advocate_email="adv@example.com",
        )
    else:
        body = world.event_validation_body(
            event_type="purchase",
            recipient_type="friend",
            email="f@example.com",
            customer_id="7",
            advocate_email="adv@example.com",
        )

    world.send_reward_validation(url=receiver, secret=friendbuy_merchant.webhook_secret, body=body)

    [received] = RECEIVED
    assert verify_friendbuy_signature(
        received["body"], received["signature"], friendbuy_merchant.webhook_secret
    )
    assert shape in json.loads(received["body"])


def test_email_capture_payload_has_the_documented_shape():
    item = world.email_capture_payload(email="f@example.com", referral_code="adv1", coupon_code="FRIEND-10")

    assert {
        "eventId",
        "emailAddress",
        "name",
        "campaign",
        "referral",
        "advocate",
        "attributionId",
        "incentive",
    } == set(item)
    assert item["incentive"]["couponCode"] == "FRIEND-10" and item["referral"]["code"] == "adv1"


def test_signature_over_the_compact_reserialisation_is_accepted():
    pretty = json.dumps(
        {"type": "emailOptOut", "data": [{"emailAddress": "é@example.com"}]}, indent=2
    ).encode()
    compact = json.dumps(json.loads(pretty), separators=(",", ":"), ensure_ascii=False).encode()

    assert verify_friendbuy_signature(pretty, friendbuy_signature(compact, "k"), "k")
    assert verify_friendbuy_signature(pretty, friendbuy_signature(pretty, "k"), "k")
    assert not verify_friendbuy_signature(pretty, None, "k")
    assert not verify_friendbuy_signature(b"not json", friendbuy_signature(b"other", "k"), "k")
