"""What an order's lifecycle events do to its rewards: redeemed when used, reversed on refund or cancel; expiry."""
from __future__ import annotations

from django.dispatch import receiver

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
from storefront.queueing import task_enqueue


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
