"""A fraud decision applied to the rewards it held: released on approval, refused on rejection."""
from __future__ import annotations

from django.dispatch import receiver
from django.utils import timezone

from fraud.models import Assessment, Decision
from fraud.selectors import order_assessments
from fraud.signals import assessment_decided
from referrals.models import (
    ReviewHold,
    Reward,
)
from referrals.rewards.reversal import reward_reverse
from referrals.rewards.transitions import reward_advance
from storefront.models import Store
from storefront.queueing import task_enqueue_on_commit


def hold_mirror_for(*, store: Store, bc_order_id: int) -> ReviewHold | None:
    """Make the order's ReviewHold say what its assessments say (created only when something held it)."""
    assessments = order_assessments(store_id=store.pk, bc_order_id=bc_order_id)
    decisions = {a.decision for a in assessments}
    state = (ReviewHold.State.REJECTED if Decision.REJECT in decisions
             else ReviewHold.State.PENDING if Decision.HOLD in decisions else ReviewHold.State.APPROVED)
    reasons = "; ".join(hit["evidence"] for a in assessments if a.decision != Decision.APPROVE for hit in a.hits)
    hold = ReviewHold.objects.filter(store=store, bc_order_id=bc_order_id).first()
    if hold is None:
        if state == ReviewHold.State.APPROVED:
            return None
        hold, _ = ReviewHold.objects.get_or_create(store=store, bc_order_id=bc_order_id,
                                                   defaults={"state": state, "reason": reasons[:2000]})
    if hold.state != state or (reasons and hold.reason != reasons[:2000]):
        hold.state, hold.reason = state, reasons[:2000] or hold.reason
        hold.decided_at = None if state == ReviewHold.State.PENDING else timezone.now()
        hold.save(update_fields=["state", "reason", "decided_at"])
    return hold


def _reward_release(reward: Reward, *, why: str) -> None:

    if reward_advance(reward, Reward.State.APPROVED, why) is not None:
        task_enqueue_on_commit("referrals.reward_issue", reward.pk)


def _reward_refuse(reward: Reward, *, why: str) -> None:

    reward_reverse(reward=reward, reason=why)


def _reward_apply(reward: Reward, *, hold: ReviewHold | None, why: str) -> None:
    own = Assessment.objects.filter(store_id=reward.store_id, subject_type=Assessment.SubjectType.REWARD,
                                    reference=reward.friendbuy_reward_id).first()
    rejected = (own is not None and own.decision == Decision.REJECT) or (
        hold is not None and hold.state == ReviewHold.State.REJECTED)
    held = (own is not None and own.decision == Decision.HOLD) or (
        hold is not None and hold.state == ReviewHold.State.PENDING)
    if rejected:
        _reward_refuse(reward, why=why)
    elif not held and reward.state == Reward.State.PENDING:
        _reward_release(reward, why=why)


def order_decision_apply(*, store: Store, bc_order_id: int, why: str = "") -> ReviewHold | None:
    """Mirror the order's assessments and release or refuse the rewards it earned."""
    hold = hold_mirror_for(store=store, bc_order_id=bc_order_id)
    if hold is None or hold.state == ReviewHold.State.PENDING:
        return hold
    for reward in Reward.objects.filter(store=store, bc_order_id=bc_order_id):
        _reward_apply(reward, hold=hold, why=why or f"Fraud review: order {bc_order_id} {hold.state}")
    return hold


@receiver(assessment_decided, dispatch_uid="referrals_fraud_decided")
def _on_assessment_decided(sender, assessment: Assessment, **kwargs) -> None:
    why = f"Fraud review ({assessment.decided_by}): {assessment.decision} — {assessment.note}"[:1000]
    store = Store.objects.get(pk=assessment.store_id)
    if assessment.bc_order_id:
        order_decision_apply(store=store, bc_order_id=assessment.bc_order_id, why=why)
    if assessment.subject_type == Assessment.SubjectType.REWARD:
        reward = Reward.objects.filter(store=store, friendbuy_reward_id=assessment.reference).first()
        if reward is not None:
            hold = ReviewHold.objects.filter(store=store, bc_order_id=reward.bc_order_id).first() \
                if reward.bc_order_id else None
            _reward_apply(reward, hold=hold, why=why)
