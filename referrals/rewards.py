"""Reward services: the reward state machine, issuing codes, redemption and reversal from order events,
loyalty custom events, and the demo hook.

State machine (every change is a RewardTransition with a snapshot of code/amount/currency):

    pending → approved → issued → redeemed → clawback_flagged
    pending → rejected          issued → revoked | expired
    approved → rejected | revoked (order reversed before the code existed)
    revoked | expired → issued  (staff re-issue with a new code)

Transitions happen under `select_for_update` on the reward row; anything else raises IllegalTransition.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from coupons.models import CouponCode
from coupons.reward_pools import reward_code_issue
from coupons.services import (
    CodeRequest,
    coupon_activated,
    coupon_disable,
    coupon_redeem,
    coupon_template_for,
    pool_code_hand_out,
)
from storefront.models import Store
from storefront.queueing import task_enqueue, task_enqueue_on_commit

from .credit_rewards import fulfilment_kind_for, reward_fulfil, reward_fulfilment_reverse
from .lifecycle import order_event_recorded
from .models import (
    FriendbuyConnection,
    LoyaltyEvent,
    OrderEvent,
    OrderSnapshot,
    ReviewHold,
    Reward,
    RewardTransition,
    ValidationCallback,
)
from .reward_selectors import shopper_rewards_cache_key

logger = logging.getLogger(__name__)

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
# How long after a validation callback a reward webhook for the same advocate is taken to be its result.
VALIDATION_LINK_WINDOW = timedelta(hours=72)
# A loyalty custom event that failed this many times is no longer retried (the admin index counts it).
LOYALTY_MAX_ATTEMPTS = 12


class IllegalTransition(Exception):
    """The reward cannot go from its current state to the requested one."""


# --- the state machine -------------------------------------------------------------------------------


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


def _advance(reward: Reward, to_state: str, reason: str, *, user=None) -> Reward | None:
    """A system step that is a no-op when the reward is not in a state that allows it."""
    try:
        return reward_transition(reward=reward, to_state=to_state, reason=reason, user=user)
    except IllegalTransition:
        return None


# --- recording rewards from webhooks ---------------------------------------------------------------------


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
    from .fraud_hooks import reward_screen  # fraud assesses the reward first (and may hold its order)

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


# --- issuing codes --------------------------------------------------------------------------------------


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
        # Store credit or a gift certificate (referrals.credit_rewards), not a coupon.
        delivery = reward_fulfil(reward=reward)
        if delivery.delivered:
            return _advance(reward, S.ISSUED, delivery.reason) or Reward.objects.get(pk=reward.pk)
        return Reward.objects.get(pk=reward.pk)
    if reward.friendbuy_coupon_code and not reissue:
        pooled = pool_code_hand_out(store=store, code=reward.friendbuy_coupon_code,
                                    customer_id=reward.customer_id, email=reward.email)
        if pooled is not None:
            Reward.objects.filter(pk=reward.pk, coupon__isnull=True).update(coupon=pooled)
            return _advance(reward, S.ISSUED, "Code from a Friendbuy Code Bank pool") or reward
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
    return _advance(reward, S.ISSUED, "Code from the reward pool") or Reward.objects.get(pk=reward.pk)


@receiver(coupon_activated, dispatch_uid="rewards_coupon_activated")
def _on_coupon_activated(sender, coupon: CouponCode, **kwargs) -> None:
    """A code finished minting elsewhere (reconciliation): its approved reward is now issued."""
    reward = Reward.objects.filter(coupon_id=coupon.pk, state=S.APPROVED).first()
    if reward is not None:
        _advance(reward, S.ISSUED, "Code confirmed in BigCommerce")


# --- redemption and reversal ----------------------------------------------------------------------------


def rewards_redeem_order(*, snapshot: OrderSnapshot) -> list[Reward]:
    """A paid order: mark our codes on it redeemed (case-insensitive) and their rewards redeemed."""
    redeemed = []
    for code in snapshot.coupon_codes or []:
        code = code.get("code") if isinstance(code, dict) else code
        redemption = coupon_redeem(
            store=snapshot.store, code=str(code or ""), bc_order_id=snapshot.bc_order_id,
            customer_id=str(snapshot.customer_id or ""), email=snapshot.email, order_total=snapshot.total_inc_tax,
        )
        if redemption is None:
            continue
        reward = Reward.objects.filter(coupon_id=redemption.coupon_id).first()
        if reward is not None:
            done = _advance(reward, S.REDEEMED, f"Used on order {snapshot.bc_order_id}")
            redeemed.append(done or reward)
    return redeemed


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


def rewards_reverse_order(*, snapshot: OrderSnapshot, kind: str) -> list[Reward]:
    """Reverse the rewards earned by an order that was cancelled, declined, refunded or partly refunded."""
    rewards = Reward.objects.filter(store=snapshot.store, bc_order_id=snapshot.bc_order_id)
    Reward.objects.filter(pk__in=rewards.values("pk"), order__isnull=True).update(order=snapshot)
    reversed_ = []
    for reward in rewards:
        if kind == OrderEvent.Kind.PARTIALLY_REFUNDED:
            net = snapshot.total_inc_tax - snapshot.refunded_amount
            if not reward.min_order_amount or net >= reward.min_order_amount:
                continue
            reason = (f"Order {snapshot.bc_order_id} partially refunded to {net:.2f}, below the "
                      f"{reward.min_order_amount:.2f} minimum")
        else:
            reason = f"Order {snapshot.bc_order_id} {kind}"
        reversed_.append(reward_reverse(reward=reward, reason=reason))
    return reversed_


REVERSING_KINDS = {OrderEvent.Kind.CANCELLED, OrderEvent.Kind.DECLINED, OrderEvent.Kind.REFUNDED,
                   OrderEvent.Kind.PARTIALLY_REFUNDED}


def rewards_on_order_event(*, event: OrderEvent) -> None:
    """Subscriber to the lifecycle's order_event_recorded: redemption on paid, reversal on refunds/cancels."""
    snapshot = OrderSnapshot.objects.select_related("store").get(pk=event.order_id)
    if event.kind == OrderEvent.Kind.PAID:
        rewards_redeem_order(snapshot=snapshot)
    elif event.kind in REVERSING_KINDS:
        rewards_reverse_order(snapshot=snapshot, kind=event.kind)


def rewards_expire_due() -> int:
    """Expire codes past their date (deleted in BigCommerce) and move their issued rewards to expired."""
    from coupons.services import coupon_expire_due

    coupon_expire_due()
    count = 0
    for reward in Reward.objects.filter(state=S.ISSUED, coupon__state=CouponCode.State.EXPIRED):
        if _advance(reward, S.EXPIRED, "Code expired"):
            count += 1
    return count


# --- loyalty custom events -------------------------------------------------------------------------------


def loyalty_custom_event(*, store: Store, customer_id: str, email: str, event_type: str, deduplication_id: str,
                         properties: dict | None = None) -> LoyaltyEvent:
    """Owe Friendbuy a custom earning event (POST /v1/event/custom), once per deduplication id.

    The lifecycle outbox has no "custom" kind, so this keeps its own idempotency row (LoyaltyEvent)
    and sends after commit; Friendbuy also dedupes on (eventType, deduplicationId) (§2.5.3).
    """
    existing = LoyaltyEvent.objects.filter(store=store, deduplication_id=deduplication_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            event = LoyaltyEvent.objects.create(
                store=store, deduplication_id=deduplication_id[:120], event_type=event_type[:60],
                customer_id=str(customer_id)[:64], email=email, properties=properties or {},
            )
    except IntegrityError:
        return LoyaltyEvent.objects.get(store=store, deduplication_id=deduplication_id)
    task_enqueue_on_commit("referrals.loyalty_event_send", event.pk)
    return event


def loyalty_event_send(*, event: LoyaltyEvent) -> LoyaltyEvent:
    """Send one pending custom event; failures stay pending/failed for the next try."""
    from .clients import friendbuy_for
    from .friendbuy import FriendbuyError

    if event.state == LoyaltyEvent.State.SENT:
        return event
    connection = FriendbuyConnection.objects.filter(store_id=event.store_id).select_related("store").first()
    if connection is None:
        LoyaltyEvent.objects.filter(pk=event.pk).update(state=LoyaltyEvent.State.FAILED,
                                                        last_error="Store not connected to Friendbuy")
        event.refresh_from_db()
        return event
    payload = {"email": event.email, "eventType": event.event_type, "customerId": event.customer_id,
               "deduplicationId": event.deduplication_id}
    if event.properties:
        payload["additionalProperties"] = {str(k): str(v) for k, v in event.properties.items()}
    try:
        answer = friendbuy_for(connection).track_custom_event(payload)
    except FriendbuyError as exc:
        LoyaltyEvent.objects.filter(pk=event.pk).update(state=LoyaltyEvent.State.FAILED, last_error=str(exc)[:2000],
                                                        attempts=event.attempts + 1)
        event.refresh_from_db()
        return event
    LoyaltyEvent.objects.filter(pk=event.pk).update(
        state=LoyaltyEvent.State.SENT, sent_at=timezone.now(), attempts=event.attempts + 1, last_error="",
        friendbuy_event_id=str((answer or {}).get("eventId") or "")[:64],
    )
    event.refresh_from_db()
    return event


def play_demo_rewards(*, store: Store) -> dict:
    """The demo's reward story through the sandbox (see referrals.reward_demo)."""
    from .reward_demo import play_demo_rewards as play

    return play(store=store)


# --- wiring (imported from ReferralsConfig.ready) ---------------------------------------------------------

@receiver(order_event_recorded, dispatch_uid="rewards_order_event")
def _on_order_event(sender, event: OrderEvent, **kwargs) -> None:
    """Redemption and reversal call BigCommerce: done in a task that takes the event id.

    A paid order without coupon codes has nothing to redeem (most orders): no task for it. The event
    carries the snapshot it was recorded on, so asking costs no query.
    """
    if event.kind == OrderEvent.Kind.PAID and not event.order.coupon_codes:
        return
    if event.kind == OrderEvent.Kind.PAID or event.kind in REVERSING_KINDS:
        task_enqueue("referrals.rewards_order_event", event.pk)
