"""Reads about rewards: a shopper's codes (widget API), friend codes, and support lookups."""
from __future__ import annotations

from django.core.cache import cache

from coupons.codes import canonical
from coupons.models import CouponCode
from referrals.models import FriendCode, Reward
from storefront.models import Store

# The widget asks on every account page view; a reward changes only through a state transition, which
# forgets the entry (referrals.rewards), so the TTL is a safety net, not the freshness guarantee.
SHOPPER_REWARDS_TTL = 60


def shopper_rewards_cache_key(*, store_id: int, customer_id: int | str) -> str:
    return f"shopper-rewards:v1:{store_id}:{customer_id}"


def rewards_for_shopper(*, store: Store, customer_id: int | str) -> list[dict]:
    """The shopper's reward codes, newest first: code, state, amount, currency, expiry, redeemed.

    Only rewards that carry a code (issued, redeemed, revoked, expired…); pending/approved rewards
    without a code yet are left out, as there is nothing to show or apply. Cached per shopper.
    """
    key = shopper_rewards_cache_key(store_id=store.pk, customer_id=customer_id)
    cached = cache.get(key)
    if cached is None:
        cached = _rewards_for_shopper(store=store, customer_id=customer_id)
        cache.set(key, cached, SHOPPER_REWARDS_TTL)
    return cached


def _rewards_for_shopper(*, store: Store, customer_id: int | str) -> list[dict]:
    rewards = (Reward.objects.filter(store=store, customer_id=str(customer_id), coupon__isnull=False)
               .select_related("coupon").order_by("-created_at", "-id"))
    out = []
    for reward in rewards:
        coupon = reward.coupon
        out.append({
            "code": coupon.code,
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
        })
    return out


def is_friend_code(*, store: Store, code: str) -> bool:
    """Is `code` (any case) a friend's code: learned from friendIncentive/emailCapture, or minted by us
    for a friend reward?"""
    code = canonical(code)
    if not code:
        return False
    return (FriendCode.objects.filter(store=store, code=code).exists()
            or Reward.objects.filter(store=store, recipient=Reward.Recipient.FRIEND, coupon__code=code).exists())


def friend_code(*, store: Store, code: str) -> FriendCode | None:
    return FriendCode.objects.filter(store=store, code=canonical(code)).first()
