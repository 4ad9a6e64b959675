"""Celery wrappers for rewards: process a Friendbuy webhook delivery, issue a reward's code, react to order
events, send loyalty custom events, and the beat sweeps (failed or unqueued Friendbuy deliveries, expiry,
unfinished issues, lost reversals, failed loyalty events)."""
from __future__ import annotations

from celery import shared_task

from coupons.models import CouponCode
from referrals.earning.send import LOYALTY_MAX_ATTEMPTS, loyalty_event_send
from referrals.inbox.process import deliveries_retry_due, delivery_process
from referrals.models import LoyaltyEvent, OrderEvent, Reward
from referrals.rewards.issue import reward_issue
from referrals.rewards.order_events import rewards_expire_due, rewards_on_order_event, rewards_reverse_missed
from referrals.rewards.store_credit import StoreCreditBusy
from storefront.backoff import Backoff
from storefront.bigcommerce import BigCommerceError

MAX_RETRIES = 6
# Between task retries: ~30 s, 1 min, 2 min … capped at 30 min (then the beat sweeps take over).
RETRY_SCHEDULE = Backoff(base=30, cap=30 * 60)


def _countdown(retries: int) -> float:
    """Seconds before the next run of a task that has been retried `retries` times (0 on the first failure)."""
    return RETRY_SCHEDULE.wait(retries + 1)


@shared_task(name="referrals.friendbuy_delivery_process")
def friendbuy_delivery_process_task(delivery_id: int) -> str:
    return delivery_process(delivery_id=delivery_id).status


@shared_task(name="referrals.friendbuy_deliveries_retry")
def friendbuy_deliveries_retry_task() -> int:
    """Process the failed Friendbuy deliveries whose next attempt is due, and those never queued."""
    return deliveries_retry_due()


@shared_task(bind=True, name="referrals.reward_issue", max_retries=MAX_RETRIES)
def reward_issue_task(self, reward_id: int) -> str:
    try:
        return reward_issue(reward_id=reward_id).state
    except StoreCreditBusy as exc:  # another worker is writing this customer's store credit
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from exc
    except BigCommerceError as exc:
        if not exc.retryable:
            raise
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from exc


@shared_task(bind=True, name="referrals.rewards_order_event", max_retries=MAX_RETRIES)
def rewards_order_event_task(self, event_id: int) -> None:
    try:
        rewards_on_order_event(event=OrderEvent.objects.get(pk=event_id))
    except StoreCreditBusy as exc:
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from exc
    except BigCommerceError as exc:
        if not exc.retryable:
            raise
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from exc


@shared_task(name="referrals.loyalty_event_send")
def loyalty_event_send_task(event_id: int) -> str:
    return loyalty_event_send(event=LoyaltyEvent.objects.get(pk=event_id)).state


@shared_task(name="referrals.rewards_expire_due")
def rewards_expire_due_task() -> int:
    return rewards_expire_due()


@shared_task(name="referrals.rewards_reverse_missed")
def rewards_reverse_missed_task() -> int:
    """Refunded or cancelled orders whose rewards are still live because the reversal task was lost."""
    return rewards_reverse_missed()


@shared_task(name="referrals.rewards_issue_pending")
def rewards_issue_pending_task() -> int:
    """Approved rewards still without an active code (task retries used up): try again."""
    count = 0
    for reward_id in Reward.objects.filter(state=Reward.State.APPROVED).exclude(
        coupon__state=CouponCode.State.MINTING,
    ).values_list("pk", flat=True)[:200]:
        reward_issue_task.delay(reward_id)
        count += 1
    return count


@shared_task(name="referrals.loyalty_events_retry")
def loyalty_events_retry_task() -> int:
    ids = list(LoyaltyEvent.objects.filter(state=LoyaltyEvent.State.FAILED, attempts__lt=LOYALTY_MAX_ATTEMPTS)
               .values_list("pk", flat=True)[:200])
    for event_id in ids:
        loyalty_event_send_task.delay(event_id)
    return len(ids)
