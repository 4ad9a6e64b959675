"""Reads about rewards: a shopper's codes (widget API), friend codes, and support lookups."""
from __future__ import annotations

from django.core.cache import cache

from coupons.codes import canonical
from coupons.models import CouponCode
from referrals.models import FriendCode, Reward, RewardFulfilment, StoreCreditAccount
from storefront.models import Store

# The widget asks on every account page view; a reward changes only through a state transition, which
# forgets the entry (referrals.rewards), so the TTL is a safety net, not the freshness guarantee.
SHOPPER_REWARDS_TTL = 60


def shopper_rewards_cache_key(*, store_id: int, customer_id: int | str) -> str:
    return f"shopper-rewards:v2:{store_id}:{customer_id}"


def rewards_for_shopper(*, store: Store, customer_id: int | str) -> list[dict]:
    """The shopper's rewards, newest first, each with its kind and how to use it: coupon codes (cached per
    shopper; a reward transition forgets the entry) and store credit or gift certificate rewards (read
    each time: a delivery or a reversal changes their fulfilment, not always the reward's state).

    Coupon rewards without a code yet, and credit rewards not yet delivered, waiting or failed, are left
    out: there is nothing to use yet.
    """
    key = shopper_rewards_cache_key(store_id=store.pk, customer_id=customer_id)
    coupons = cache.get(key)
    if coupons is None:
        coupons = _coupon_rewards_for_shopper(store=store, customer_id=customer_id)
        cache.set(key, coupons, SHOPPER_REWARDS_TTL)
    rewards = coupons + _credit_rewards_for_shopper(store=store, customer_id=customer_id)
    return sorted(rewards, key=lambda r: r["created"], reverse=True)


def _coupon_rewards_for_shopper(*, store: Store, customer_id: int | str) -> list[dict]:
    rewards = (Reward.objects.filter(store=store, customer_id=str(customer_id), coupon__isnull=False)
               .select_related("coupon").order_by("-created_at", "-id"))
    out = []
    for reward in rewards:
        coupon = reward.coupon
        out.append({
            "kind": "coupon",
            "code": coupon.code,
            "how_to_use": f"Enter the code {coupon.code} at checkout.",
            "state": reward.state,
            "code_state": coupon.state,
            "recipient": reward.recipient,
            "amount": str(coupon.amount),
            "discount_kind": coupon.discount_kind,
            "currency": coupon.currency,
            "min_spend": str(coupon.min_spend),
            "expiry": coupon.expires_at.isoformat() if coupon.expires_at else None,
            "redeemed": coupon.state == CouponCode.State.REDEEMED,
            "usable": coupon.state == CouponCode.State.ACTIVE,
            "created": reward.created_at.isoformat(),
        })
    return out


SHOWN_FULFILMENTS = (RewardFulfilment.State.DELIVERED, RewardFulfilment.State.REVERSED)


def _credit_rewards_for_shopper(*, store: Store, customer_id: int | str) -> list[dict]:
    fulfilments = (RewardFulfilment.objects
                   .filter(reward__store=store, reward__customer_id=str(customer_id), state__in=SHOWN_FULFILMENTS)
                   .select_related("reward").order_by("-created_at", "-id"))
    out = []
    for fulfilment in fulfilments:
        delivered = fulfilment.state == RewardFulfilment.State.DELIVERED
        if fulfilment.kind == RewardFulfilment.Kind.GIFT_CERTIFICATE:
            code = fulfilment.gift_certificate_code
            how = (f"Enter the gift certificate code {code} in the gift certificate box at checkout"
                   + (f" (also emailed to {fulfilment.email})." if fulfilment.email else "."))
        else:
            code = ""
            how = "Store credit on your account: applied automatically at checkout when you are signed in."
        out.append({
            "kind": fulfilment.kind,
            "code": code,
            "how_to_use": how if delivered else "Taken back: the order behind this reward was refunded or cancelled.",
            "state": fulfilment.reward.state,
            "code_state": fulfilment.state,
            "recipient": fulfilment.reward.recipient,
            "amount": str(fulfilment.amount),
            "discount_kind": "fixed_amount",
            "currency": fulfilment.currency,
            "min_spend": "0",
            "expiry": fulfilment.expires_at.isoformat() if fulfilment.expires_at else None,
            "redeemed": False,
            "usable": delivered,
            "created": fulfilment.reward.created_at.isoformat(),
        })
    return out


def store_credit_for_shopper(*, store: Store, customer_id: int | str) -> str:
    """The shopper's BigCommerce store credit as last confirmed by our writes or reads ("0.00" if none)."""
    account = StoreCreditAccount.objects.filter(store=store, bc_customer_id=int(customer_id)).first()
    return f"{account.balance:.2f}" if account else "0.00"


def friend_code(*, store: Store, code: str) -> FriendCode | None:
    return FriendCode.objects.filter(store=store, code=canonical(code)).first()
