"""Support actions taken from the lookup page (the admin's, or the store's own under /app/support/).
Each one checks the actor may act (vendor staff: the Support staff role; a store user: the act role
on their own store, referrals.support.store_access), runs the domain's own service (which keeps its
own history: reward transitions, review decisions, outbox state) and writes one StaffAuditLog row
whatever the outcome. A store user acting on another store's row is refused, audited.
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
from referrals.support.advocates import known_advocate
from referrals.support.roles import can_run_actions
from referrals.support.store_access import store_user_label, store_user_may_act
from storefront.models import Store, StoreUser, WebhookDelivery
from storefront.webhooks.processing import deliveries_replay


class ActionFailed(Exception):
    """The action was refused by the domain (wrong state, nothing to do); the message says why."""


def actor_name(user) -> str:
    """The staff username, or the store user's email marked as a store user."""
    if isinstance(user, StoreUser):
        return store_user_label(user)
    return getattr(user, "username", "")[:150]


def _staff(user):
    """The Django user for the domain's own history rows (a store user is named in the reason instead)."""
    return None if isinstance(user, StoreUser) else user


def _why(user, reason: str) -> str:
    return f"{reason} (by {actor_name(user)})" if isinstance(user, StoreUser) else reason


def _may_act(user) -> bool:
    if isinstance(user, StoreUser):
        return store_user_may_act(store_user=user)
    return can_run_actions(user)


def staff_audit_record(*, user, store: Store | None, action: str, target: str, reason: str, result: str,
                       detail: str = "") -> StaffAuditLog:
    """One audit row for a staff action, whatever its result (refused ones too: who tried is worth knowing)."""
    return StaffAuditLog.objects.create(
        user=_staff(user) if getattr(user, "pk", None) else None, username=actor_name(user),
        store=store, action=action, target=target[:200], reason=reason, result=result, detail=detail[:4000],
    )


def _run(*, user, store: Store | None, action: str, target: str, reason: str, work: Callable[[], str]
         ) -> StaffAuditLog:
    """Check permission and reason, run `work` (returns what happened), audit either way."""
    reason = (reason or "").strip()
    if isinstance(user, StoreUser) and (store is None or store.pk != user.store_id):
        staff_audit_record(user=user, store=None, action=action, target=target, reason=reason or "-",
                           result=StaffAuditLog.Result.REFUSED, detail="The row belongs to another store.")
        raise PermissionDenied("That belongs to another store.")
    if not _may_act(user):
        staff_audit_record(user=user, store=store, action=action, target=target, reason=reason or "-",
               result=StaffAuditLog.Result.REFUSED, detail="User may not run support actions.")
        raise PermissionDenied("You may look, but not act: support actions need the Support staff role "
                               "(or, for a store's own team, the act role the store owner grants).")
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
        done = reward_issue(reward_id=reward.pk, reissue=reward.state != Reward.State.APPROVED, user=_staff(user),
                            reason=_why(user, reason))
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
        done = reward_reverse(reward=reward, reason=_why(user, reason), user=_staff(user))
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
            assessment_decide(assessment=assessment, decision=decision, note=_why(user, reason), user=_staff(user),
                              decided_by=actor_name(user))
        elif reward.state == Reward.State.PENDING:
            to_state = Reward.State.APPROVED if decision == Decision.APPROVE else Reward.State.REJECTED
            reward_transition(reward=reward, to_state=to_state, reason=_why(user, reason), user=_staff(user))
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


def action_decide_assessment(*, user, assessment_id: int, decision: str, reason: str) -> StaffAuditLog:
    """Approve or reject one item of the fraud review queue (its listeners release or reject the reward)."""
    assessment = Assessment.objects.select_related("store").get(pk=assessment_id)

    def work() -> str:
        done = assessment_decide(assessment=assessment, decision=decision, note=_why(user, reason),
                                 user=_staff(user), decided_by=actor_name(user))
        return f"{done.get_subject_type_display()} {done.reference}: {done.get_decision_display()}"

    return _run(user=user, store=assessment.store, action=f"{decision}_assessment"[:40],
                target=f"assessment:{assessment.pk}", reason=reason, work=work)


def _chosen(value: str, known: list[str], *, what: str, label: str) -> str:
    """The value support confirmed, which must be one of those known for the advocate."""
    value = (value or "").strip()
    if value:
        if value not in known:
            seen = ", ".join(known) if known else "none"
            raise ActionFailed(f"{what} “{value}” is not one seen for {label} (known: {seen}).")
        return value
    if len(known) == 1:
        return known[0]
    if known:
        raise ActionFailed(f"{label} has several {what.lower()}s ({', '.join(known)}): choose one.")
    return ""


def action_link_order(*, user, store: Store, bc_order_id: int, advocate: str, reason: str,
                      campaign_id: str = "", referral_code: str = "") -> StaffAuditLog:
    """The manual referral: the advocate is picked by email or customer id and must be one the store knows
    (support.advocates.known_advocate), with a referral code seen for them; the campaign is confirmed
    against theirs. Records the link and sends Friendbuy a purchase event carrying that referral code
    (outbox key purchase-manual:<order id>). Anything unknown is refused with the reason, audited."""
    advocate = (advocate or "").strip()

    def work() -> str:
        if not advocate:
            raise ActionFailed("Pick the advocate: their email or customer id.")
        snapshot = OrderSnapshot.objects.select_related("store", "identity").filter(
            store=store, bc_order_id=bc_order_id).first()
        if snapshot is None:
            raise ActionFailed(f"Order {bc_order_id} is not known in store {store.store_hash}.")
        if snapshot.first_paid_at is None:
            raise ActionFailed(f"Order {bc_order_id} was never paid; only paid orders can be referred.")
        found = known_advocate(store_id=store.pk, term=advocate)
        if found is None:
            raise ActionFailed(f"“{advocate}” is not an advocate this store knows: no customer, Friendbuy reward, "
                               "friend code or referral visit names that email or customer id. Look the advocate "
                               "up first and use their email or customer id.")
        buyer = {str(snapshot.customer_id)} if snapshot.customer_id else set()
        if (buyer & found.customer_ids) or (snapshot.normalized_email and snapshot.normalized_email in found.keys.emails):
            raise ActionFailed(f"Order {bc_order_id} was placed by {found.label} themselves: a self-referral is "
                               "not linked.")
        if not found.referral_codes:
            raise ActionFailed(f"{found.label} is known, but no referral link of theirs has been seen (no signed "
                               "referral visit or friend code), so there is no referral code to send Friendbuy.")
        code = _chosen(referral_code, found.referral_codes, what="Referral code", label=found.label)
        campaign = _chosen(campaign_id, found.campaigns, what="Campaign", label=found.label)
        advocate_id = next((i for i in sorted(found.customer_ids) if i), "")
        with transaction.atomic():
            manual, created = ManualAttribution.objects.get_or_create(
                store=store, bc_order_id=bc_order_id,
                defaults={"referral_code": code, "advocate_customer_id": advocate_id,
                          "campaign_id": campaign, "created_by": _staff(user), "reason": _why(user, reason)},
            )
            if not created:
                raise ActionFailed(f"Order {bc_order_id} was already linked by hand to {manual.referral_code}.")
            amount_field = lifecycle_selectors.store_settings(store=store).purchase_amount_field
            payload = purchase_payload(snapshot=snapshot, identity=snapshot.identity,
                                       attribution=AttributionInfo(referral_code=code),
                                       amount_field=amount_field)
            event, _ = outbox_enqueue(store=store, kind=OutboxEvent.Kind.PURCHASE,
                                      natural_key=manual_purchase_key(bc_order_id), payload=payload,
                                      order=snapshot, identity=snapshot.identity)
            ManualAttribution.objects.filter(pk=manual.pk).update(outbox_event=event)
        return (f"Order {bc_order_id} ({snapshot.total_inc_tax:.2f} {snapshot.currency_code}) linked to {found.label}, "
                f"referral code {code}{f', campaign {campaign}' if campaign else ''}; purchase event "
                f"{event.natural_key} queued.")

    return _run(user=user, store=store, action="link_order", target=f"order:{bc_order_id}", reason=reason,
                work=work)
