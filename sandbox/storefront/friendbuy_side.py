"""What Friendbuy does for the demo storefront: a friend's landing on a referral link (click, coupon,
emailCapture webhook), the signed getVisitorStatus answer, and an advocate reward webhook.

Signatures are made the way Friendbuy makes them, with the merchant's Secret Key held by the sandbox.
"""

from __future__ import annotations

import json
import secrets
import string

from referrals.friendbuy.signatures import friendbuy_signature
from referrals.models import FriendbuyConnection
from sandbox.friendbuy import world as fb_world
from sandbox.friendbuy.models import FakeMerchant, FakeReferralLink
from storefront.models import Store
from storefront.selectors import store_public_urls

from .shoppers import FRIEND_DISCOUNT, Shopper

COUPON_ALPHABET = string.ascii_uppercase + string.digits


def merchant_for(store: Store) -> FakeMerchant:
    connection = FriendbuyConnection.objects.get(store=store)
    return FakeMerchant.objects.get(merchant_id=connection.merchant_id)


def link_by_code(merchant: FakeMerchant, code: str) -> FakeReferralLink | None:
    if not code:
        return None
    return merchant.links.select_related("campaign").filter(code__iexact=code).first()


def sign_payload(payload: dict, secret: str) -> str:
    """base64 HMAC-SHA256 over JSON.stringify(payload), as the SDK signs a visitor status."""
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return friendbuy_signature(raw, secret)


def visitor_status(*, store: Store, referral_code: str, attribution_id: str, shopper: Shopper | None) -> dict:
    """getVisitorStatus's answer: empty for a visitor who came by no link, else signed attribution."""
    merchant = merchant_for(store)
    link = link_by_code(merchant, referral_code)
    if link is None:
        return {"status": "success", "payload": {}, "signature": ""}
    payload = {
        "attributionId": attribution_id,
        "campaignId": link.campaign.campaign_id,
        "referralCode": link.code,
        "referralCodeBlocked": False,
        "isSelfReferral": bool(shopper and shopper.email.lower() == link.email.lower()),
        "advocate": {"customerId": link.customer_id, "firstName": (link.name.split() or [""])[0]},
    }
    return {"status": "success", "payload": payload, "signature": sign_payload(payload, merchant.webhook_secret)}


def friend_landing(*, store: Store, referral_code: str, shopper: Shopper | None, user_agent: str) -> dict | None:
    """A friend opened the advocate's link: record the click, hand out a friend coupon and tell the app
    through an emailCapture webhook (so an order with that coupon is a referral). None for an unknown code."""
    merchant = merchant_for(store)
    link = link_by_code(merchant, referral_code)
    if link is None:
        return None
    click = fb_world.record_click(merchant, referral_code=link.code, user_agent=user_agent[:200] or "sandbox",
                                  destination_url=store.storefront_url or "")
    coupon = "FRIEND-" + "".join(secrets.choice(COUPON_ALPHABET) for _ in range(6))
    email = shopper.email if shopper else ""
    fb_world.record_friend_incentive(merchant, referral_code=link.code, friend_email=email, coupon_code=coupon,
                                     amount=float(FRIEND_DISCOUNT))
    item = fb_world.email_capture_payload(
        email=email, name=shopper.name if shopper else "", campaign_id=link.campaign.campaign_id,
        campaign_name=link.campaign.name, referral_code=link.code, advocate_email=link.email,
        advocate_name=link.name, advocate_customer_id=link.customer_id,
        attribution_id=click["attributionId"], coupon_code=coupon, amount=float(FRIEND_DISCOUNT),
    )
    response = fb_world.send_webhook(url=store_public_urls(store=store)["friendbuy_webhook_url"],
                                     secret=merchant.webhook_secret, type="emailCapture", data=[item])
    return {"referralCode": link.code, "attributionId": click["attributionId"], "couponCode": coupon,
            "webhookStatus": response.status_code}


def advocate_reward(*, store: Store, advocate: Shopper, amount: str = "10.00", order_id: str = "") -> dict:
    """Friendbuy rewards the advocate (for the friend's order `order_id`, when given): an advocateReward
    webhook, for which the app mints a code."""
    merchant = merchant_for(store)
    item = fb_world.reward_payload(email=advocate.email, customer_id=str(advocate.id), amount=amount,
                                   **({"orderId": order_id} if order_id else {}))
    response = fb_world.send_webhook(url=store_public_urls(store=store)["friendbuy_webhook_url"],
                                     secret=merchant.webhook_secret, type="advocateReward", data=[item])
    return {"rewardId": item["rewardId"], "webhookStatus": response.status_code}


def referral_links(*, store: Store) -> list[FakeReferralLink]:
    """Every advocate link Friendbuy made for the store (the widget asks for them through the app)."""
    return list(merchant_for(store).links.select_related("campaign").order_by("id"))
