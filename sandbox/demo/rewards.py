"""The demo's reward story, played through the sandbox (demo and tests only — imports the sandbox lazily).

1. Friendbuy sends an advocate reward → one BigCommerce code is minted.
2. The advocate places and pays an order with that code → the code and reward are redeemed.
3. A referred friend's paid order earns another reward; the order is refunded → code disabled, reward revoked.
"""
from __future__ import annotations

from django.conf import settings

from referrals.models import FriendbuyConnection, Reward
from referrals.orders.sync import order_sync
from sandbox.bigcommerce import world as bc
from sandbox.friendbuy import world as fb
from storefront.models import Store
from storefront.selectors import store_public_urls


def play_demo_rewards(*, store: Store) -> dict:
    if not settings.SANDBOX_ENABLED:
        raise RuntimeError("The reward demo needs the sandbox (SANDBOX_ENABLED).")

    connection = FriendbuyConnection.objects.get(store=store)
    urls = store_public_urls(store=store)
    advocate = bc.create_customer(store.store_hash, email="ada.advocate@example.com", first_name="Ada")
    friend = bc.create_customer(store.store_hash, email="fred.friend@example.com", first_name="Fred")

    first = fb.reward_payload(email=advocate["email"], customer_id=str(advocate["id"]), amount="10.00")
    fb.send_webhook(url=urls["friendbuy_webhook_url"], secret=connection.webhook_secret,
                    type="advocateReward", data=[first])
    minted = Reward.objects.select_related("coupon").get(store=store, friendbuy_reward_id=first["rewardId"])
    code = minted.coupon.code if minted.coupon else ""

    used = bc.create_order(store.store_hash, email=advocate["email"], customer_id=advocate["id"], status_id=11,
                           products=[{"name": "Demo Mug", "price": "40.00", "quantity": 1}],
                           coupons=[{"code": code, "amount": "10.00"}] if code else [])
    order_sync(store=store, order_id=used["id"])

    referred = bc.create_order(store.store_hash, email=friend["email"], customer_id=friend["id"], status_id=11,
                               products=[{"name": "Demo Shirt", "price": "60.00", "quantity": 1}])
    order_sync(store=store, order_id=referred["id"])
    second = fb.reward_payload(email=advocate["email"], customer_id=str(advocate["id"]), amount="10.00",
                               orderId=str(referred["id"]))
    fb.send_webhook(url=urls["friendbuy_webhook_url"], secret=connection.webhook_secret,
                    type="advocateReward", data=[second])
    bc.refund_order(store.store_hash, referred["id"])
    order_sync(store=store, order_id=referred["id"])

    redeemed = Reward.objects.select_related("coupon").get(pk=minted.pk)
    revoked = Reward.objects.select_related("coupon").get(store=store, friendbuy_reward_id=second["rewardId"])
    return {
        "minted_code": code,
        "redeemed_order_id": used["id"],
        "redeemed_reward_state": redeemed.state,
        "refunded_order_id": referred["id"],
        "revoked_code": revoked.coupon.code if revoked.coupon else "",
        "revoked_reward_state": revoked.state,
    }
