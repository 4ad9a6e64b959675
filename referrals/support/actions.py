"""Support actions taken from the lookup page. Each one checks the staff user may act, runs the
domain's own service (which keeps its own history: reward transitions, review decisions, outbox
state) and writes one StaffAuditLog row whatever the outcome.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import transaction

from coupons.models import CouponCode
from coupons.services import coupon_disable
from fraud.models import Assessment, Decision
from fraud.services import DecisionError, assessment_decide
from referrals.attribution.services import AttributionInfo
from referrals.inbox.process import delivery_process
from referrals.models import (
    FriendbuyDelivery,
    ManualAttribution,
    OrderSnapshot,
    OutboxEvent,
    Reward,
    StaffAuditLog,
)
from referrals.orders import selectors as lifecycle_selectors
from referrals.orders.purchase import purchase_payload
from referrals.outbox import outbox_enqueue, outbox_replay, outbox_send
from referrals.rewards.issue import reward_issue
from referrals.rewards.reversal import reward_reverse
from referrals.rewards.transitions import IllegalTransition, reward_transition
from referrals.support.roles import can_run_actions
from storefront.models import Store, WebhookDelivery
from storefront.webhooks.processing import deliveries_replay


class ActionFailed(Exception):
    """The action was refused by the domain (wrong state, nothing to do); the message says why."""


def staff_audit_record(*, user, store: Store | None, action: str, target: str, reason: str, result: str,
                       detail: str = "") -> StaffAuditLog:
    """One audit row for a staff action, whatever its result (refused ones too: who tried is worth knowing)."""
    return StaffAuditLog.objects.create(
        user=user if getattr(user, "pk", None) else None, username=getattr(user, "username", "")[:150],
        store=store, action=action, target=target[:200], reason=reason, result=result, detail=detail[:4000],
    )


def _run(*, user, store: Store | None, action: str, target: str, reason: str, work: Callable[[], str]
         ) -> StaffAuditLog:
    """Check permission and reason, run `work` (returns what happened), audit either way."""
    reason = (reason or "").strip()
    if not can_run_actions(user):
        staff_audit_record(user=user, store=store, action=action, target=target, reason=reason or "-",
               result=StaffAuditLog.Result.REFUSED, detail="User may not run support actions.")
        raise PermissionDenied("You may look, but not act: support actions need the Support staff role.")
    if not reason:
        raise ActionFailed("A reason is required.")
    try:
        detail = work()
    except (ActionFailed, IllegalTransition, DecisionError) as exc:
        staff_audit_record(user=user, store=store, action=action, target=target, reason=reason,
               result=StaffAuditLog.Result.FAILED, detail=str(exc))
        raise ActionFailed(str(exc)) from exc
    except Exception as exc:
        staff_audit_record(user=user, store=store, action=action, target=target, reason=reason,
               result=StaffAuditLog.Result.FAILED, detail=f"{type(exc).__name__}: {exc}")
        raise ActionFailed(f"{type(exc).__name__}: {exc}") from exc
    return staff_audit_record(user=user, store=store, action=action, target=target, reason=reason,
                  result=StaffAuditLog.Result.OK, detail=detail)


# --- the actions ------------------------------------------------------------------------------------------


def action_resend_event(*, user, event_id: int, reason: str) -> StaffAuditLog:
    """Send a failed, dead or waiting outbox event to Friendbuy now (a sent one is never sent twice)."""
    event = OutboxEvent.objects.select_related("store").get(pk=event_id)

    def work() -> str:
        if event.state == OutboxEvent.State.SENT:
            raise ActionFailed(f"{event.natural_key} was already accepted by Friendbuy; it is not sent twice.")
        if event.state in (OutboxEvent.State.FAILED, OutboxEvent.State.DEAD):
            outbox_replay(event_ids=[event.pk])
        else:
            outbox_send(event_id=event.pk, force=True)
        event.refresh_from_db()
        return f"{event.natural_key}: now {event.state} (HTTP {event.last_status or '-'}) {event.last_error}"

    return _run(user=user, store=event.store, action="resend_event", target=f"outbox:{event.pk}",
                reason=reason, work=work)


def action_replay_webhook(*, user, delivery_id: int, reason: str, source: str = "bigcommerce") -> StaffAuditLog:
    """Process a stored BigCommerce (or Friendbuy) webhook delivery again."""
    if source == "friendbuy":

        delivery = FriendbuyDelivery.objects.get(pk=delivery_id)

        def work() -> str:
            if not delivery.valid:
                raise ActionFailed("The delivery's signature was not valid; it is kept as evidence only.")
            return f"Friendbuy delivery {delivery.pk}: {delivery_process(delivery_id=delivery.pk).status}"

        return _run(user=user, store=delivery.store, action="replay_webhook", target=f"friendbuy_delivery:{delivery.pk}",
                    reason=reason, work=work)
    hook = WebhookDelivery.objects.get(pk=delivery_id)

    def replay() -> str:
        if not deliveries_replay(delivery_ids=[hook.pk]):
            raise ActionFailed("Only valid, non-duplicate deliveries can be replayed.")
        hook.refresh_from_db()
        return f"Webhook {hook.pk} ({hook.scope}): {hook.status} {hook.error}"

    return _run(user=user, store=hook.store, action="replay_webhook", target=f"webhook:{hook.pk}",
                reason=reason, work=replay)


def action_reissue_code(*, user, reward_id: int, reason: str) -> StaffAuditLog:
    """Give a revoked or expired reward a new code, or an approved reward whose code was never minted its
    first one (the issue is tried again)."""
    reward = Reward.objects.select_related("store").get(pk=reward_id)

    def work() -> str:
        if reward.state not in (Reward.State.REVOKED, Reward.State.EXPIRED, Reward.State.APPROVED):
            raise ActionFailed("Only approved rewards without a code, and revoked or expired ones, get a new code "
                               f"(this one is {reward.state}).")
        done = reward_issue(reward_id=reward.pk, reissue=reward.state != Reward.State.APPROVED, user=user,
                            reason=reason)
        if done.state == Reward.State.APPROVED:
            raise ActionFailed(f"Reward {done.friendbuy_reward_id} still has no code: check its coupon template "
                               "or pool in the app settings.")
        done = Reward.objects.select_related("coupon").get(pk=done.pk)
        return f"Reward {done.friendbuy_reward_id}: {done.state}, code {done.coupon.code if done.coupon else '-'}"

    return _run(user=user, store=reward.store, action="reissue_code", target=f"reward:{reward.friendbuy_reward_id}",
                reason=reason, work=work)


def action_revoke_code(*, user, reward_id: int, reason: str) -> StaffAuditLog:
    """Disable an issued reward's unused code in BigCommerce and revoke the reward."""
    reward = Reward.objects.select_related("store", "coupon").get(pk=reward_id)

    def work() -> str:
        if reward.state != Reward.State.ISSUED:
            raise ActionFailed(f"Only issued rewards can be revoked (this one is {reward.state}).")
        done = reward_reverse(reward=reward, reason=reason, user=user)
        return f"Reward {done.friendbuy_reward_id}: {done.state}"

    return _run(user=user, store=reward.store, action="revoke_code", target=f"reward:{reward.friendbuy_reward_id}",
                reason=reason, work=work)


def action_revoke_coupon(*, user, coupon_id: int, reason: str) -> StaffAuditLog:
    """Disable a code that belongs to no reward (e.g. a pool code handed out by mistake)."""

    coupon = CouponCode.objects.select_related("store", "promotion").get(pk=coupon_id)

    def work() -> str:
        done = coupon_disable(coupon=coupon, reason=reason)
        return f"Code {done.code}: {done.state}"

    return _run(user=user, store=coupon.store, action="revoke_code", target=f"coupon:{coupon.code}",
                reason=reason, work=work)


def action_decide_reward(*, user, reward_id: int, decision: str, reason: str) -> StaffAuditLog:
    """Approve or reject a held reward: through its fraud assessment when there is one (the fraud hooks
    then release or reject the reward), else directly on the reward's state machine."""
    reward = Reward.objects.select_related("store").get(pk=reward_id)
    if decision not in (Decision.APPROVE, Decision.REJECT):
        raise ActionFailed("Choose approve or reject.")

    def work() -> str:
        assessment = (
            Assessment.objects.filter(store=reward.store, subject_type=Assessment.SubjectType.REWARD,
                                      reference=reward.friendbuy_reward_id, decision=Decision.HOLD).first()
            or (Assessment.objects.filter(store=reward.store, bc_order_id=reward.bc_order_id,
                                          decision=Decision.HOLD).first() if reward.bc_order_id else None)
        )
        if assessment is not None:
            assessment_decide(assessment=assessment, decision=decision, note=reason, user=user)
        elif reward.state == Reward.State.PENDING:
            to_state = Reward.State.APPROVED if decision == Decision.APPROVE else Reward.State.REJECTED
            reward_transition(reward=reward, to_state=to_state, reason=reason, user=user)
            if to_state == Reward.State.APPROVED:
                reward_issue(reward_id=reward.pk)
        else:
            raise ActionFailed(f"Reward {reward.friendbuy_reward_id} is {reward.state}: nothing is held.")
        done = Reward.objects.get(pk=reward.pk)
        via = f" via assessment {assessment.pk}" if assessment is not None else ""
        return f"Reward {done.friendbuy_reward_id}: {decision}{via}; now {done.state}"

    return _run(user=user, store=reward.store, action=f"{decision}_reward",
                target=f"reward:{reward.friendbuy_reward_id}", reason=reason, work=work)


def manual_purchase_key(bc_order_id: int) -> str:
    return f"purchase-manual:{bc_order_id}"


def action_link_order(*, user, store: Store, bc_order_id: int, referral_code: str, reason: str,
                      advocate_customer_id: str = "", campaign_id: str = "") -> StaffAuditLog:
    """The manual referral: record that the order belongs to the advocate's referral and send Friendbuy a
    purchase event for it carrying that referral code (outbox key purchase-manual:<order id>)."""
    referral_code = (referral_code or "").strip()

    def work() -> str:
        if not referral_code:
            raise ActionFailed("The advocate's referral code is required.")
        snapshot = OrderSnapshot.objects.select_related("store", "identity").filter(
            store=store, bc_order_id=bc_order_id).first()
        if snapshot is None:
            raise ActionFailed(f"Order {bc_order_id} is not known in store {store.store_hash}.")
        if snapshot.first_paid_at is None:
            raise ActionFailed(f"Order {bc_order_id} was never paid; only paid orders can be referred.")
        with transaction.atomic():
            manual, created = ManualAttribution.objects.get_or_create(
                store=store, bc_order_id=bc_order_id,
                defaults={"referral_code": referral_code, "advocate_customer_id": advocate_customer_id,
                          "campaign_id": campaign_id, "created_by": user, "reason": reason},
            )
            if not created:
                raise ActionFailed(f"Order {bc_order_id} was already linked by hand to {manual.referral_code}.")
            amount_field = lifecycle_selectors.store_settings(store=store).purchase_amount_field
            payload = purchase_payload(snapshot=snapshot, identity=snapshot.identity,
                                       attribution=AttributionInfo(referral_code=referral_code),
                                       amount_field=amount_field)
            event, _ = outbox_enqueue(store=store, kind=OutboxEvent.Kind.PURCHASE,
                                      natural_key=manual_purchase_key(bc_order_id), payload=payload,
                                      order=snapshot, identity=snapshot.identity)
            ManualAttribution.objects.filter(pk=manual.pk).update(outbox_event=event)
        return f"Order {bc_order_id} linked to {referral_code}; purchase event {event.natural_key} queued."

    return _run(user=user, store=store, action="link_order", target=f"order:{bc_order_id}", reason=reason,
                work=work)
