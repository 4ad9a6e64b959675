"""The demo's referral story, played through the sandbox as Friendbuy and BigCommerce would (demo and tests
only). One advocate, Ada (the demo storefront's ada@example.com), shares her link `ada-shares`; three friends
open it, get a friend coupon, and place paid orders with it:

1. Frida: Friendbuy rewards Ada → one BigCommerce code is minted → Ada spends it on an order (redeemed).
2. Flo: Friendbuy rewards Ada → a second code → Flo's order is refunded → the code is revoked.
3. Finn: the purchase is sent to Friendbuy and Friendbuy has not rewarded Ada yet (its approval delay).

So "Ada says she got nothing for Finn" has an answer in the support lookup (README's walkthrough).
"""
from __future__ import annotations

from django.conf import settings

from referrals.attribution.services import capture_record
from referrals.models import FriendbuyConnection, Reward
from referrals.orders.sync import order_sync
from sandbox.bigcommerce import world as bc
from sandbox.friendbuy import world as fb
from sandbox.storefront.friendbuy_side import advocate_reward, friend_landing, merchant_for, visitor_status
from sandbox.storefront.shoppers import FRIEND_DISCOUNT, Shopper, demo_shoppers, shopper_ensure
from storefront.models import Store

REFERRAL_CODE = "ada-shares"
FRIENDS = {
    "frida": {"email": "frida@example.com", "first_name": "Frida", "last_name": "Friend"},
    "flo": {"email": "flo@example.com", "first_name": "Flo", "last_name": "Friend"},
    "finn": {"email": "finn@example.com", "first_name": "Finn", "last_name": "Friend"},
}
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1"


def _referred_order(*, store: Store, friend: Shopper, index: int) -> int:
    """The friend opens Ada's link (click, friend coupon, signed visitor status captured on the storefront)
    and places a paid order with the coupon, which BigCommerce then reports."""
    visitor = friend_landing(store=store, referral_code=REFERRAL_CODE, shopper=friend, user_agent=BROWSER)
    status = visitor_status(store=store, referral_code=REFERRAL_CODE, attribution_id=visitor["attributionId"],
                            shopper=friend)
    cart_id = f"demo-cart-{friend.id}"
    capture_record(store=store, device_id=f"demo-device-{friend.id}", cart_id=cart_id, visitor_status=status,
                   friend_coupon=visitor["couponCode"], user_agent=BROWSER, ip_address=f"198.51.100.{40 + index}",
                   customer_id=friend.id, email=friend.email)
    first, _, last = friend.name.partition(" ")
    # Three friends at three homes: one address for all would rightly be held as duplicate accounts.
    home = {"first_name": first, "last_name": last, "street_1": f"{12 + index} Harbour Street", "city": "Austin",
            "state": "Texas", "zip": f"7870{index + 1}", "country": "United States", "country_iso2": "US",
            "email": friend.email}
    order = bc.create_order(
        store.store_hash, email=friend.email, customer_id=friend.id, status_id=11, cart_id=cart_id,
        products=[{"name": "Demo Coffee Beans", "price": "40.00", "quantity": 2, "sku": "BEANS-1"}],
        coupons=[{"code": visitor["couponCode"], "amount": FRIEND_DISCOUNT}],
        ip_address=f"198.51.100.{40 + index}", billing_address=home, shipping_address=home,
    )
    order_sync(store=store, order_id=order["id"])
    return order["id"]


def _reward_for(*, store: Store, ada: Shopper, order_id: int) -> Reward:
    """Friendbuy approves the referral of `order_id` and rewards Ada; the app mints her code."""
    sent = advocate_reward(store=store, advocate=ada, order_id=str(order_id))
    return Reward.objects.select_related("coupon").get(store=store, friendbuy_reward_id=sent["rewardId"])


def play_demo_rewards(*, store: Store) -> dict:
    if not settings.SANDBOX_ENABLED:
        raise RuntimeError("The reward demo needs the sandbox (SANDBOX_ENABLED).")
    FriendbuyConnection.objects.get(store=store)  # the story needs Friendbuy connected
    ada = demo_shoppers(store_hash=store.store_hash)["ada"]
    fb.referral_link(merchant_for(store), email=ada.email, customer_id=str(ada.id), name=ada.name,
                     code=REFERRAL_CODE)
    friends = {key: shopper_ensure(store_hash=store.store_hash, **person) for key, person in FRIENDS.items()}
    orders = {key: _referred_order(store=store, friend=friend, index=n) for n, (key, friend) in
              enumerate(friends.items())}

    minted = _reward_for(store=store, ada=ada, order_id=orders["frida"])
    code = minted.coupon.code if minted.coupon else ""
    used = bc.create_order(store.store_hash, email=ada.email, customer_id=ada.id, status_id=11,
                           products=[{"name": "Demo Mug", "price": "40.00", "quantity": 1}],
                           billing_address={"first_name": "Ada", "last_name": "Advocate"},
                           coupons=[{"code": code, "amount": "10.00"}] if code else [])
    order_sync(store=store, order_id=used["id"])

    second = _reward_for(store=store, ada=ada, order_id=orders["flo"])
    bc.refund_order(store.store_hash, orders["flo"])
    order_sync(store=store, order_id=orders["flo"])

    redeemed = Reward.objects.select_related("coupon").get(pk=minted.pk)
    revoked = Reward.objects.select_related("coupon").get(pk=second.pk)
    return {
        "advocate": ada.email,
        "referral_code": REFERRAL_CODE,
        "friend_orders": orders,
        "minted_code": code,
        "redeemed_order_id": used["id"],
        "redeemed_reward_state": redeemed.state,
        "refunded_order_id": orders["flo"],
        "revoked_code": revoked.coupon.code if revoked.coupon else "",
        "revoked_reward_state": revoked.state,
        "awaiting_order_id": orders["finn"],
    }
