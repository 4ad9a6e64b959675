"""The demo storefront (sandbox/storefront): pages carry the scripts as installed in the BigCommerce
sandbox, the fake Friendbuy SDK answers signed visitor status and friend coupons, and checkout places a
sandbox order whose webhooks reach the app."""
import jwt
import pytest
from django.conf import settings

from referrals.attribution.services import visitor_status_signature_valid
from referrals.models import FriendCode, OrderSnapshot, Reward
from sandbox.bigcommerce.models import FakeOrder
from sandbox.friendbuy import world as fb_world
from sandbox.storefront import shoppers
from sandbox.storefront.demo import prepare_demo_storefront
from storefront.models import StorefrontSettings
from storefront.scripts import widget_asset
from storefront.webhooks.registration import webhooks_ensure
from tests.fixtures_storefront import build_storefront_world


@pytest.fixture
def demo(db, clear_cache):
    world = build_storefront_world(store_hash="demostore")
    webhooks_ensure(store=world.store)
    urls = prepare_demo_storefront(store=world.store)
    return world, urls


def log_in(client, urls, who: str):
    client.cookies[shoppers.CUSTOMER_COOKIE] = str(urls[who]["id"])


def ada_link(world, urls):
    return fb_world.referral_link(world.merchant, email="ada@example.com", customer_id=str(urls["advocate"]["id"]),
                                  name="Ada Advocate", code="ada123")


def test_prepare_installs_scripts_allows_the_demo_origin_and_creates_the_shoppers(demo):
    world, urls = demo
    world.store.refresh_from_db()
    assert urls["scripts"] == 3
    assert world.store.storefront_url == "https://app.example.test"
    assert "https://app.example.test" in StorefrontSettings.objects.get(store=world.store).extra_origins
    assert (urls["advocate"]["name"], urls["friend"]["email"]) == ("Ada Advocate", "fred@example.com")
    assert urls["home"] == "https://app.example.test/sandbox/storefront/demostore/"
    again = prepare_demo_storefront(store=world.store)
    assert (again["advocate"]["id"], again["scripts"]) == (urls["advocate"]["id"], 3)


def test_account_page_renders_the_installed_scripts_with_handlebars_values(demo, client):
    world, urls = demo
    log_in(client, urls, "advocate")
    body = client.get("/sandbox/storefront/demostore/account/").content.decode()
    assert "{{" not in body
    assert f'friendbuyAPI.merchantId = "{world.connection.merchant_id}"' in body
    assert f'if ("{urls["advocate"]["id"]}" === "")' in body  # {{customer.id}} of the logged-in shopper
    assert "getVisitorStatus" in body and "/identify" in body
    assert f'integrity="{widget_asset().integrity}"' in body and widget_asset().filename in body
    assert "/orders/link" not in body  # order-link is for the confirmation page only
    assert body.index("/sandbox/storefront/friendbuy-sdk.js") < body.index("static.fbot.me/friendbuy.js")
    assert 'class="page-type-account"' in body


def test_guest_pages_render_an_empty_customer_id(demo, client):
    body = client.get("/sandbox/storefront/demostore/").content.decode()
    assert 'if ("" === "")' in body and "{{" not in body
    assert client.cookies[shoppers.CART_COOKIE].value


def test_fake_sdk_is_served_as_javascript(demo, client):
    response = client.get("/sandbox/storefront/friendbuy-sdk.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert b"couponReceived" in response.content and b"getVisitorStatus" in response.content


def test_visitor_status_is_signed_as_friendbuy_signs_it(demo, client):
    world, urls = demo
    ada_link(world, urls)
    status = client.get("/sandbox/storefront/demostore/friendbuy/visitor-status",
                        {"referralCode": "ada123", "attributionId": "attr-1"}).json()
    assert status["payload"]["referralCode"] == "ada123" and status["payload"]["attributionId"] == "attr-1"
    assert status["payload"]["isSelfReferral"] is False
    assert visitor_status_signature_valid(payload=status["payload"], signature=status["signature"],
                                          secret=world.connection.webhook_secret)
    log_in(client, urls, "advocate")
    own = client.get("/sandbox/storefront/demostore/friendbuy/visitor-status", {"referralCode": "ada123"}).json()
    assert own["payload"]["isSelfReferral"] is True


def test_friend_landing_hands_out_a_coupon_the_app_records(demo, client, django_capture_on_commit_callbacks):
    world, urls = demo
    ada_link(world, urls)
    with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/sandbox/storefront/demostore/friendbuy/landing", {"referralCode": "ada123"},
                               content_type="application/json")
    coupon = response.json()["couponCode"]
    assert response.json()["webhookStatus"] == 200 and client.cookies[shoppers.COUPON_COOKIE].value == coupon
    friend_code = FriendCode.objects.get(store=world.store, code__iexact=coupon)
    assert friend_code.referral_code == "ada123" and friend_code.advocate_email == "ada@example.com"
    unknown = client.post("/sandbox/storefront/demostore/friendbuy/landing", {"referralCode": "nope"},
                          content_type="application/json")
    assert unknown.status_code == 404


def test_placing_an_order_creates_it_in_the_sandbox_and_delivers_its_webhooks(
    demo, client, django_capture_on_commit_callbacks
):
    world, urls = demo
    log_in(client, urls, "friend")
    client.get("/sandbox/storefront/demostore/cart/")
    cart_id = client.cookies[shoppers.CART_COOKIE].value
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/sandbox/storefront/demostore/cart/", {"coupon": "FRIEND-ABC123"})
    order = FakeOrder.objects.get(store__store_hash="demostore")
    assert response.status_code == 302
    assert response["Location"] == f"/sandbox/storefront/demostore/order-confirmation/{order.order_id}/"
    assert order.data["cart_id"] == cart_id and order.data["customer_id"] == urls["friend"]["id"]
    assert [c["code"] for c in order.coupons] == ["FRIEND-ABC123"] and order.data["status_id"] == 11
    snapshot = OrderSnapshot.objects.get(store=world.store, bc_order_id=order.order_id)
    assert snapshot.coupon_codes == ["FRIEND-ABC123"]
    assert [p["orderId"] for p in fb_world.events(world.merchant, "purchase")] == [str(order.order_id)]
    assert client.cookies[shoppers.CART_COOKIE].value != cart_id  # a fresh cart after the order

    page = client.get(response["Location"]).content.decode()
    assert f'parseInt("{order.order_id}", 10)' in page and "/orders/link" in page and "{{" not in page
    assert client.get(f"/api/storefront/order/{order.order_id}").json()["cartId"] == cart_id


def test_storefront_routes_answer_for_the_logged_in_shopper(demo, client):
    _world, urls = demo
    assert client.get("/customer/current.jwt", {"app_client_id": settings.BIGCOMMERCE_CLIENT_ID}).status_code == 404
    log_in(client, urls, "advocate")
    token = client.get("/customer/current.jwt", {"app_client_id": settings.BIGCOMMERCE_CLIENT_ID}).content
    claims = jwt.decode(token, settings.BIGCOMMERCE_CLIENT_SECRET, algorithms=["HS256"],
                        audience=settings.BIGCOMMERCE_CLIENT_ID)
    assert claims["customer"]["email"] == "ada@example.com" and claims["store_hash"] == "demostore"
    client.cookies[shoppers.CART_COOKIE] = "cart-1"
    assert client.get("/api/storefront/carts").json() == [{"id": "cart-1"}]


def test_login_switch_sets_and_clears_the_customer_cookie(demo, client):
    _world, urls = demo
    client.post("/sandbox/storefront/demostore/login", {"who": "fred"})
    assert client.cookies[shoppers.CUSTOMER_COOKIE].value == str(urls["friend"]["id"])
    assert "Fred Friend" in client.get("/sandbox/storefront/demostore/account/").content.decode()
    client.post("/sandbox/storefront/demostore/login", {"who": "logout"})
    assert client.cookies[shoppers.CUSTOMER_COOKIE].value == ""


def test_reward_button_sends_an_advocate_reward_for_ada(demo, client, django_capture_on_commit_callbacks):
    world, _urls = demo
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/sandbox/storefront/demostore/reward-advocate")
    assert response.status_code == 302 and response["Location"].endswith("?rewarded=200")
    reward = Reward.objects.select_related("coupon").get(store=world.store)
    assert reward.recipient == Reward.Recipient.ADVOCATE and reward.email == "ada@example.com"
    assert reward.coupon is not None and reward.coupon.code  # minted in the BigCommerce sandbox


def test_unknown_stores_are_not_served(demo, client):
    assert client.get("/sandbox/storefront/nosuchstore/").status_code == 404
