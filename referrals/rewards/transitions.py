"""The reward state machine: every change is a RewardTransition under a row lock; anything else raises IllegalTransition.

    pending → approved → issued → redeemed → clawback_flagged
    pending → rejected          issued → revoked | expired
    approved → rejected | revoked (order reversed before the code existed)
    revoked | expired → issued  (staff re-issue with a new code)
"""
from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from referrals.models import (
    Reward,
    RewardTransition,
)
from referrals.rewards.selectors import shopper_rewards_cache_key

S = Reward.State


TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.ISSUED, S.REJECTED, S.REVOKED}),
    # issued → clawback_flagged: store credit or a gift certificate partly spent when its order was reversed.
    S.ISSUED: frozenset({S.REDEEMED, S.REVOKED, S.EXPIRED, S.CLAWBACK_FLAGGED}),
    S.REDEEMED: frozenset({S.CLAWBACK_FLAGGED}),
    S.REVOKED: frozenset({S.ISSUED}),
    S.EXPIRED: frozenset({S.ISSUED}),
    S.REJECTED: frozenset(),
    S.CLAWBACK_FLAGGED: frozenset(),
}


class IllegalTransition(Exception):
    """The reward cannot go from its current state to the requested one."""


def reward_transition(*, reward: Reward, to_state: str, reason: str = "", user=None,
                      allowed_from: frozenset[str] | None = None) -> Reward:
    """Move the reward to `to_state` under a row lock and record the transition.

    `allowed_from` narrows where the move may start (system callers use it to make a step idempotent:
    they pass the states they expect and skip silently when the reward has moved on).
    """
    with transaction.atomic():
        locked = Reward.objects.select_for_update(of=("self",)).select_related("coupon").get(pk=reward.pk)
        if to_state not in TRANSITIONS.get(locked.state, frozenset()):
            raise IllegalTransition(f"Reward {locked.pk}: {locked.state} → {to_state} is not allowed")
        if allowed_from is not None and locked.state not in allowed_from:
            raise IllegalTransition(f"Reward {locked.pk} is {locked.state}, expected one of {sorted(allowed_from)}")
        from_state = locked.state
        locked.state = to_state
        locked.save(update_fields=["state", "updated_at"])
        RewardTransition.objects.create(
            reward=locked, from_state=from_state, to_state=to_state,
            actor=RewardTransition.Actor.USER if user is not None else RewardTransition.Actor.SYSTEM,
            user=user, reason=reason, code=locked.coupon.code if locked.coupon else "",
            amount=locked.amount, currency=locked.currency or locked.unit[:20],
        )
        # The shopper's widget shows this reward from a cache: forget it once the change is visible.
        key = shopper_rewards_cache_key(store_id=locked.store_id, customer_id=locked.customer_id)
        transaction.on_commit(lambda: cache.delete(key))
    return locked


def reward_advance(reward: Reward, to_state: str, reason: str, *, user=None) -> Reward | None:
    """A system step that is a no-op when the reward is not in a state that allows it."""
    try:
        return reward_transition(reward=reward, to_state=to_state, reason=reason, user=user)
    except IllegalTransition:
        return None
