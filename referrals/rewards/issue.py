"""Recording a Friendbuy reward (screened first) and issuing it: a one-time code, store credit or a gift certificate."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from coupons.models import CouponCode
from coupons.reward_pools import reward_code_issue
from coupons.services import (
    CodeRequest,
    coupon_activated,
    coupon_template_for,
    pool_code_hand_out,
)
from referrals.models import (
    OrderSnapshot,
    ReviewHold,
    Reward,
    RewardTransition,
    ValidationCallback,
)
from referrals.rewards.credit import fulfilment_kind_for, reward_fulfil
from referrals.rewards.transitions import S, reward_advance, reward_transition
from referrals.screening.assessment import reward_screen
from storefront.models import Store

# How long after a validation callback a reward webhook for the same advocate is taken to be its result.
VALIDATION_LINK_WINDOW = timedelta(hours=72)


def _linked_order(*, store: Store, recipient: str, item: dict) -> int | None:
    """The BigCommerce order that earned the reward, when the payload or an earlier callback says so.

    Friendbuy's reward webhook carries no order id (reference §3.3), so besides an explicit
    orderId/rewardInfo.orderId we use the reward validation callback Friendbuy made just before
    fulfilling it: same advocate, answered 200, within VALIDATION_LINK_WINDOW, not yet linked.
    """
    info = item.get("rewardInfo") if isinstance(item.get("rewardInfo"), dict) else {}
    for value in (item.get("orderId"), item.get("purchaseId"), info.get("orderId"), info.get("purchaseId")):
        order_id = parse_order_reference(value)
        if order_id is not None:
            return order_id
    if recipient != Reward.Recipient.ADVOCATE:
        return None
    customer_id, email = str(item.get("customerId") or ""), str(item.get("emailAddress") or "").lower()
    callbacks = list(ValidationCallback.objects.filter(
        store=store, answer_status=200, bc_order_id__isnull=False, at__gte=timezone.now() - VALIDATION_LINK_WINDOW,
    ).exclude(recipient_type="friend").order_by("-at")[:50])
    for callback in callbacks:
        same = (customer_id and callback.advocate_customer_id == customer_id) or (
            email and callback.advocate_email.lower() == email)
        if same and not Reward.objects.filter(store=store, recipient=recipient,
                                              bc_order_id=callback.bc_order_id).exists():
            return callback.bc_order_id
    return None


def parse_order_reference(value) -> int | None:
    """A BigCommerce order id from what Friendbuy echoes back ("123", 123 or "order-123")."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    digits = ""
    for char in reversed(text):
        if not char.isdigit():
            break
        digits = char + digits
    return int(digits) if digits and len(digits) < 19 else None


def reward_record(*, store: Store, recipient: str, item: dict, amount: Decimal, delivery=None
                  ) -> tuple[Reward, bool]:
    """The Reward for this webhook item (created once per store and rewardId) and whether it is new.

    A new reward is approved at once — Friendbuy sends the webhook for approved rewards (§3.3) — unless
    a fraud review holds its order (pending: stays pending; rejected: rejected).
    """
    reward_id = str(item["rewardId"])
    existing = Reward.objects.filter(store=store, friendbuy_reward_id=reward_id).first()
    if existing is not None:
        return existing, False
    unit = str(item.get("rewardUnit") or "").strip()
    order_id = _linked_order(store=store, recipient=recipient, item=item)
    template = coupon_template_for(store=store, recipient=recipient, reward_type=str(item.get("rewardType") or ""))
    friends = item.get("friends") if isinstance(item.get("friends"), list) else []

    verdict = reward_screen(store=store, recipient=recipient, item=item, amount=amount, order_id=order_id)
    hold = ReviewHold.objects.filter(store=store, bc_order_id=order_id).first() if order_id else None
    # Friendbuy only sends approved rewards; without a review hold the reward starts approved, and
    # both steps (received → pending → approved) are written to the history in the same transaction.
    approve_now = verdict == "approve" and (hold is None or hold.state == ReviewHold.State.APPROVED)
    try:
        with transaction.atomic():
            reward = Reward.objects.create(
                store=store, friendbuy_reward_id=reward_id, recipient=recipient,
                reward_type=str(item.get("rewardType") or "")[:20], amount=amount, unit=unit[:20],
                currency=unit.upper() if len(unit) == 3 and unit.isalpha() else "",
                customer_id=str(item.get("customerId") or "")[:64], email=str(item.get("emailAddress") or "")[:254],
                campaign_id=str(item.get("campaignId") or "")[:64],
                reward_trigger=str(item.get("rewardTrigger") or "")[:40],
                advocate_customer_id=str(item.get("advocateCustomerId") or "")[:64],
                advocate_email=str(item.get("advocateEmailAddress") or "")[:254],
                friend_email=str((friends[0] or {}).get("friendEmailAddress") or "")[:254] if friends else "",
                bc_order_id=order_id,
                order=OrderSnapshot.objects.filter(store=store, bc_order_id=order_id).first() if order_id else None,
                friendbuy_coupon_code=str(item.get("couponCode") or "")[:64],
                min_order_amount=template.earn_minimum if template else 0,
                state=S.APPROVED if approve_now else S.PENDING, delivery=delivery, raw=item,
            )
            history = [RewardTransition(reward=reward, from_state="", to_state=S.PENDING,
                                        reason="Reward webhook received", amount=amount, currency=unit[:20])]
            if approve_now:
                history.append(RewardTransition(reward=reward, from_state=S.PENDING, to_state=S.APPROVED,
                                                reason="Approved by Friendbuy (webhook)", amount=amount,
                                                currency=unit[:20]))
            RewardTransition.objects.bulk_create(history)
    except IntegrityError:
        # A concurrent delivery of the same rewardId won the insert.
        return Reward.objects.get(store=store, friendbuy_reward_id=reward_id), False
    if hold is not None and hold.state == ReviewHold.State.REJECTED:
        reward = reward_transition(reward=reward, to_state=S.REJECTED, reason=f"Order rejected in review: {hold.reason}")
    elif verdict == "reject":
        reward = reward_transition(reward=reward, to_state=S.REJECTED, reason="Rejected by fraud rules (see assessment)")
    return reward, True


def reward_issue(*, reward_id: int, reissue: bool = False, user=None, reason: str = "") -> Reward:
    """Give an approved reward its BigCommerce code (exactly once) and move it to issued.

    * couponCode from one of our pools (Friendbuy Code Bank) → that code is marked handed out;
    * a coupon-type reward (per the store's CouponTemplate) → one code from the reward pool for its
      amount (coupons.reward_pools), or the code it already has;
    * otherwise (credit, cash, …, or a bank code we don't know) the reward stays approved: the
      merchant fulfils it outside BigCommerce coupons.
    Retryable BigCommerce errors propagate (the task retries; reconciliation is the backstop).
    """
    reward = Reward.objects.select_related("store", "coupon").get(pk=reward_id)
    wanted = {S.REVOKED, S.EXPIRED} if reissue else {S.APPROVED}
    if reward.state not in wanted:
        return reward
    store = reward.store
    if not reissue and fulfilment_kind_for(reward=reward) is not None:
        # Store credit or a gift certificate (referrals.rewards.credit), not a coupon.
        delivery = reward_fulfil(reward=reward)
        if delivery.delivered:
            return reward_advance(reward, S.ISSUED, delivery.reason) or Reward.objects.get(pk=reward.pk)
        return Reward.objects.get(pk=reward.pk)
    if reward.friendbuy_coupon_code and not reissue:
        pooled = pool_code_hand_out(store=store, code=reward.friendbuy_coupon_code,
                                    customer_id=reward.customer_id, email=reward.email)
        if pooled is not None:
            Reward.objects.filter(pk=reward.pk, coupon__isnull=True).update(coupon=pooled)
            return reward_advance(reward, S.ISSUED, "Code from a Friendbuy Code Bank pool") or reward
        return reward
    template = coupon_template_for(store=store, recipient=reward.recipient, reward_type=reward.reward_type)
    if template is None:
        return reward
    key = f"reward:{reward.friendbuy_reward_id}"
    if reissue:
        key += f":reissue:{reward.transitions.filter(to_state=S.ISSUED).count()}"
    # A one-time code from the pool for this amount (no BigCommerce call unless the pool is empty); a code
    # the reward already has is kept (see coupons.reward_pools).
    coupon = reward_code_issue(store=store, template=template, current=None if reissue else reward.coupon,
                               request=CodeRequest(source_key=key[:160], amount=reward.amount, unit=reward.unit,
                                                   customer_id=reward.customer_id, email=reward.email))
    if coupon is None:
        return reward  # the pool is empty and BigCommerce made no codes: the pending-issue sweep tries again
    if coupon.pk != reward.coupon_id:
        pointed = Reward.objects.filter(pk=reward.pk)
        # First issue: only over what this call read (a concurrent issue sets the same code anyway).
        (pointed if reissue else pointed.filter(coupon_id=reward.coupon_id)).update(coupon=coupon)
    if coupon.state != CouponCode.State.ACTIVE:
        return reward  # another worker holds the mint lease; it (or reconciliation) finishes the job
    if reissue:
        return reward_transition(reward=reward, to_state=S.ISSUED, user=user,
                                 reason=reason or "Re-issued with a new code")
    return reward_advance(reward, S.ISSUED, "Code from the reward pool") or Reward.objects.get(pk=reward.pk)


@receiver(coupon_activated, dispatch_uid="rewards_coupon_activated")
def _on_coupon_activated(sender, coupon: CouponCode, **kwargs) -> None:
    """A code finished minting elsewhere (reconciliation): its approved reward is now issued."""
    reward = Reward.objects.filter(coupon_id=coupon.pk, state=S.APPROVED).first()
    if reward is not None:
        reward_advance(reward, S.ISSUED, "Code confirmed in BigCommerce")
