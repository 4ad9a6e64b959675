"""Order links need proof the reporter placed the order (the capture's device with the order's cart, or the
shopper's current-customer JWT); a forged report neither inflates the merchant's referred revenue nor blocks
the real shopper's link; reporting counts as referred exactly the links attribution accepts."""
import json
import uuid
from datetime import timedelta

import pytest

from referrals.attribution.services import attribution_for_order
from referrals.models import OrderAttributionLink
from referrals.reporting import selectors as reporting
from referrals.reporting.rollup import reports_rollup
from tests.fixtures_support import T0, Builder

API = "/api/storefront/v1"


def _post(client, world, path, body):
    return client.post(f"{API}/{path}", data=json.dumps(body), content_type="application/json", **world.headers())


def _referred_revenue(store, *, days: int) -> tuple[int, object]:
    """(referred orders, referred revenue) from the rollup over `days` days around T0 (short and long paths)."""
    start = T0.date() - timedelta(days=days // 2)
    reports_rollup(store_id=store.pk, start=start, end=start + timedelta(days=days))
    window = reporting.Window(start=T0 - timedelta(days=days), end=T0 + timedelta(days=days))
    total = reporting.totals(reporting.period_report(store_id=store.pk, window=window))
    return total["referred_orders"], total["referred_revenue"]


@pytest.fixture
def shop(storefront_world):
    """A referred friend's order (90.00, linked by the friend's own device and cart) and another shopper's
    ordinary order (231.95)."""
    build = Builder(storefront_world.store)
    friend_device = str(uuid.uuid4())
    referred = build.order(1, email="fred@example.com", subtotal="90.00")
    referred.cart_id = "cart-fred"
    referred.save(update_fields=["cart_id"])
    plain = build.order(2, email="olga@example.com", subtotal="231.95")
    plain.cart_id = "cart-olga"
    plain.save(update_fields=["cart_id"])
    return friend_device


@pytest.mark.parametrize("days", [2, 60])
def test_a_forged_link_to_an_unsigned_coupon_capture_does_not_inflate_referred_revenue(
        client, storefront_world, shop, days):
    friend_device = shop
    capture = {"visitorStatus": storefront_world.visitor_status(), "deviceId": friend_device, "cartId": "cart-fred"}
    assert _post(client, storefront_world, "capture", capture).status_code == 201
    _post(client, storefront_world, "orders/link", {"orderId": 1, "deviceId": friend_device, "cartId": "cart-fred"})
    # Anyone with the public store id: an unsigned "friend coupon" capture, then every order id linked to it.
    forger = str(uuid.uuid4())
    _post(client, storefront_world, "capture", {"friendCoupon": "FRIEND-X", "deviceId": forger})
    _post(client, storefront_world, "orders/link", {"orderId": 2, "deviceId": forger, "cartId": "guess"})
    assert _referred_revenue(storefront_world.store, days=days) == (1, 90)


def test_a_forged_first_report_does_not_block_the_real_shoppers_link(client, storefront_world):
    real_device, forger = str(uuid.uuid4()), str(uuid.uuid4())
    # The friend arrived through the referral link before they had a cart: the capture has no cart id.
    capture = {"visitorStatus": storefront_world.visitor_status(), "deviceId": real_device}
    assert _post(client, storefront_world, "capture", capture).status_code == 201
    # A forger reports order 7 first (its webhook has not been processed yet), then the real shopper does.
    _post(client, storefront_world, "orders/link", {"orderId": 7, "deviceId": forger, "cartId": "guess"})
    real = _post(client, storefront_world, "orders/link", {"orderId": 7, "deviceId": real_device, "cartId": "cart-7"})
    assert real.status_code == 201, real.content
    info = attribution_for_order(store=storefront_world.store, order_id=7, cart_id="cart-7", customer_id=None,
                                 email=None)
    assert info is not None and info.referral_code == "sam42" and info.device_id == real_device


def test_a_link_for_a_known_order_without_its_cart_is_refused(client, storefront_world, shop):
    forger = str(uuid.uuid4())
    _post(client, storefront_world, "capture", {"visitorStatus": storefront_world.visitor_status(), "deviceId": forger})
    response = _post(client, storefront_world, "orders/link", {"orderId": 2, "deviceId": forger, "cartId": "guess"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "order_not_proven"
    assert not OrderAttributionLink.objects.filter(bc_order_id=2).exists()


def test_the_shoppers_jwt_proves_an_order_that_has_no_cart(client, storefront_world):
    build = Builder(storefront_world.store)
    build.order(8, email="shopper@example.com", customer_id=42, subtotal="50.00")
    device = str(uuid.uuid4())
    _post(client, storefront_world, "capture", {"visitorStatus": storefront_world.visitor_status(), "deviceId": device})
    anonymous = _post(client, storefront_world, "orders/link", {"orderId": 8, "deviceId": device})
    assert anonymous.status_code == 403
    someone_else = _post(client, storefront_world, "orders/link",
                         {"orderId": 8, "deviceId": device, "customerJwt": storefront_world.jwt(customer_id=43)})
    assert someone_else.status_code == 403
    proven = _post(client, storefront_world, "orders/link",
                   {"orderId": 8, "deviceId": device, "customerJwt": storefront_world.jwt(customer_id=42)})
    assert proven.status_code == 201, proven.content
    info = attribution_for_order(store=storefront_world.store, order_id=8, cart_id=None, customer_id=42, email=None)
    assert info.device_id == device and info.referral_code == "sam42"
    assert _referred_revenue(storefront_world.store, days=2) == (1, 50)


def test_reporting_and_attribution_agree_on_every_link(client, storefront_world, shop):
    """The one predicate: an order counts as referred by its link exactly when attribution credits it."""
    friend_device = shop
    _post(client, storefront_world, "capture", {"visitorStatus": storefront_world.visitor_status(),
                                                "deviceId": friend_device})
    _post(client, storefront_world, "orders/link", {"orderId": 1, "deviceId": friend_device, "cartId": "cart-fred"})
    coupon_device = str(uuid.uuid4())
    _post(client, storefront_world, "capture", {"friendCoupon": "FRIEND-X", "deviceId": coupon_device,
                                                "cartId": "cart-olga"})
    _post(client, storefront_world, "orders/link", {"orderId": 2, "deviceId": coupon_device, "cartId": "cart-olga"})
    credited = {n for n, cart in ((1, "cart-fred"), (2, "cart-olga"))
                if (info := attribution_for_order(store=storefront_world.store, order_id=n, cart_id=cart,
                                                  customer_id=None, email=None)) and info.referral_code}
    assert credited == {1}
    assert _referred_revenue(storefront_world.store, days=2) == (1, 90)
