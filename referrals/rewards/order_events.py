"""What an order's lifecycle events do to its rewards: redeemed when used, reversed on refund or cancel; expiry."""
from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.dispatch import receiver
from django.utils import timezone

from coupons.models import CouponCode
from coupons.services import (
    coupon_expire_due,
    coupon_redeem,
)
from referrals.models import (
    OrderEvent,
    OrderSnapshot,
    Reward,
)
from referrals.orders.signals import order_event_recorded
from referrals.rewards.reversal import reward_reverse
from referrals.rewards.transitions import S, reward_advance
from storefront.bigcommerce import BigCommerceError
from storefront.queueing import task_enqueue

logger = logging.getLogger(__name__)


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
            done = reward_advance(reward, S.REDEEMED, f"Used on order {snapshot.bc_order_id}")
            redeemed.append(done or reward)
    return redeemed


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


# The live task gets this long before the sweep steps in; older events than the window are support's to replay.
MISSED_REVERSAL_GRACE = timedelta(minutes=10)
MISSED_REVERSAL_WINDOW = timedelta(days=30)
UNREVERSED_STATES = (S.PENDING, S.APPROVED, S.ISSUED, S.REDEEMED)


def reversing_events_missed(*, limit: int = 200) -> list[OrderEvent]:
    """Reversing order events whose order still has a reward in a live state: their task was lost.

    A partial refund counts only when it took the order below a reward's minimum, as in the live path. One
    event per order (the latest), oldest orders first.
    """
    now = timezone.now()
    unreversed = Reward.objects.filter(
        store=OuterRef("store"), bc_order_id=OuterRef("order__bc_order_id"), state__in=UNREVERSED_STATES,
    )
    below_minimum = unreversed.filter(min_order_amount__gt=0).filter(
        min_order_amount__gt=OuterRef("order__total_inc_tax") - OuterRef("order__refunded_amount"),
    )
    events = (
        OrderEvent.objects.select_related("order", "store")
        .filter(at__lte=now - MISSED_REVERSAL_GRACE, at__gte=now - MISSED_REVERSAL_WINDOW)
        .alias(has_unreversed=Exists(unreversed), has_below_minimum=Exists(below_minimum))
        .filter(Q(kind__in=REVERSING_KINDS - {OrderEvent.Kind.PARTIALLY_REFUNDED}, has_unreversed=True)
                | Q(kind=OrderEvent.Kind.PARTIALLY_REFUNDED, has_below_minimum=True))
        .order_by("order_id", "-at")
    )
    latest: dict[int, OrderEvent] = {}
    for event in events.iterator():
        latest.setdefault(event.order_id, event)
        if len(latest) >= limit:
            break
    return list(latest.values())


def rewards_reverse_missed(*, limit: int = 200) -> int:
    """Beat's catch-up for reversals whose task was lost (broker restart, retries used up): a refunded or
    cancelled order never keeps a live reward for longer than the grace and one sweep. Returns rewards reversed."""
    count = 0
    for event in reversing_events_missed(limit=limit):
        try:
            before = set(Reward.objects.filter(store_id=event.store_id, bc_order_id=event.order.bc_order_id,
                                               state__in=UNREVERSED_STATES).values_list("pk", flat=True))
            rewards_on_order_event(event=event)
        except BigCommerceError as exc:  # this order waits for the next sweep; the others go on
            logger.warning("Missed reversal of order %s (store %s) failed: %s", event.order.bc_order_id,
                           event.store_id, exc)
            continue
        count += len(before) - Reward.objects.filter(pk__in=before, state__in=UNREVERSED_STATES).count()
    return count


def rewards_expire_due() -> int:
    """Expire codes past their date (deleted in BigCommerce) and move their issued rewards to expired."""

    coupon_expire_due()
    count = 0
    for reward in Reward.objects.filter(state=S.ISSUED, coupon__state=CouponCode.State.EXPIRED):
        if reward_advance(reward, S.EXPIRED, "Code expired"):
            count += 1
    return count


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
