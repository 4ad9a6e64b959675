"""Reversing one reward: its code disabled, credit removed or certificate disabled, with the reason."""
from __future__ import annotations

from coupons.models import CouponCode
from coupons.services import (
    coupon_disable,
)
from referrals.models import (
    Reward,
)
from referrals.rewards.credit import reward_fulfilment_reverse
from referrals.rewards.transitions import IllegalTransition, S, reward_transition

REVERSED_STATES = frozenset({S.REJECTED, S.REVOKED, S.CLAWBACK_FLAGGED})


def reward_reverse(*, reward: Reward, reason: str, user=None) -> Reward:
    """The order behind the reward was reversed: disable an unused code and revoke; flag a used one."""
    reward = Reward.objects.select_related("coupon__promotion", "store").get(pk=reward.pk)
    if reward.state in (S.PENDING, S.APPROVED, S.ISSUED):
        reversal = reward_fulfilment_reverse(reward=reward, reason=reason)
        if reversal is not None:
            if reversal.held:
                return reward
            to_state = (S.REJECTED if reward.state == S.PENDING else
                        S.CLAWBACK_FLAGGED if reversal.clawback and reward.state == S.ISSUED else S.REVOKED)
            return _reverse_step(reward, to_state, f"{reason}: {reversal.summary}", user=user)
    if reward.state == S.REDEEMED:
        return _reverse_step(reward, S.CLAWBACK_FLAGGED, reason, user=user)
    if reward.state not in (S.PENDING, S.APPROVED, S.ISSUED):
        return reward
    if reward.coupon is not None:
        coupon = coupon_disable(coupon=reward.coupon, reason=reason)
        if coupon.state == CouponCode.State.REDEEMED:
            # Redeemed between our read and the disable: the order event will flag it for clawback.
            return reward
    return _reverse_step(reward, S.REJECTED if reward.state == S.PENDING else S.REVOKED, reason, user=user)


def _reverse_step(reward: Reward, to_state: str, reason: str, *, user=None) -> Reward:
    """The reversing transition; a no-op when another reversal of the same order got there first (one
    refund brings several order events, which workers process at the same time)."""
    try:
        return reward_transition(reward=reward, to_state=to_state, reason=reason, user=user)
    except IllegalTransition:
        current = Reward.objects.get(pk=reward.pk)
        if current.state in REVERSED_STATES:
            return current
        raise
