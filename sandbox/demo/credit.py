"""The demo's credit stories (issue 18), played through the sandbox: a Friendbuy credit reward deposited
as BigCommerce store credit on a demo shopper, and a giftCard reward that becomes a gift certificate to
their email; the order behind each is refunded, so the credit is removed and the certificate disabled."""
from __future__ import annotations

from referrals.models import FriendbuyConnection, Reward, RewardFulfilment
from referrals.orders.sync import order_sync
from sandbox.bigcommerce import world as bc
from sandbox.friendbuy import world as fb
from storefront.models import Store
from storefront.selectors import store_public_urls


def _rewarded_then_refunded(*, store: Store, customer: dict, reward_type: str, amount: str) -> dict:
    connection = FriendbuyConnection.objects.get(store=store)
    order = bc.create_order(store.store_hash, email="fay.friend@example.com", customer_id=0, status_id=11,
                            products=[{"name": "Demo Lamp", "price": "80.00", "quantity": 1}])
    order_sync(store=store, order_id=order["id"])
    payload = fb.reward_payload(email=customer["email"], customer_id=str(customer["id"]), amount=amount,
                                reward_type=reward_type, orderId=str(order["id"]))
    fb.send_webhook(url=store_public_urls(store=store)["friendbuy_webhook_url"], secret=connection.webhook_secret,
                    type="advocateReward", data=[payload])
    fulfilment = RewardFulfilment.objects.get(reward__store=store, reward__friendbuy_reward_id=payload["rewardId"])
    delivered = {"state": fulfilment.state, "code": fulfilment.gift_certificate_code,
                 "store_credit": str(bc.store_credit(store.store_hash, customer["id"]))}
    bc.refund_order(store.store_hash, order["id"])
    order_sync(store=store, order_id=order["id"])
    fulfilment.refresh_from_db()
    reward = Reward.objects.get(pk=fulfilment.reward_id)
    return {"delivered": delivered, "after_refund": fulfilment.state, "reward_state": reward.state,
            "store_credit_after_refund": str(bc.store_credit(store.store_hash, customer["id"]))}


def play_demo_credit(*, store: Store) -> dict:
    cleo = bc.create_customer(store.store_hash, email="cleo.credit@example.com", first_name="Cleo")
    credit = _rewarded_then_refunded(store=store, customer=cleo, reward_type="credit", amount="15.00")
    gift = _rewarded_then_refunded(store=store, customer=cleo, reward_type="giftCard", amount="20.00")
    gift["certificate_status"] = (bc.gift_certificate(store.store_hash, gift["delivered"]["code"]) or {}).get("status")
    return {"store_credit": credit, "gift_certificate": gift}
