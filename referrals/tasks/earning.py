"""Celery wrappers for loyalty: apply one member's tier to their BigCommerce group; the daily birthday scan;
the hourly product review scans (one task per store)."""
from celery import shared_task

from referrals.earning.birthdays import birthdays_send_all
from referrals.earning.reviews import review_scan_run, review_scans_queue
from referrals.earning.tiers import tier_group_apply
from storefront.backoff import Backoff
from storefront.bigcommerce import BigCommerceError

# Between retries of a tier move: ~30 s doubling, capped at 30 min (the one backoff helper, like the reward tasks).
TIER_RETRY_SCHEDULE = Backoff(base=30, cap=30 * 60)


@shared_task(bind=True, name="referrals.tier_group_apply", max_retries=6)
def tier_group_apply_task(self, membership_id: int) -> str:
    try:
        return tier_group_apply(membership_id=membership_id).reason
    except BigCommerceError as exc:
        if not exc.retryable:
            raise
        raise self.retry(exc=exc, countdown=TIER_RETRY_SCHEDULE.wait(self.request.retries + 1)) from exc


@shared_task(name="referrals.birthdays_send_all")
def birthdays_send_all_task() -> int:
    return birthdays_send_all()


@shared_task(name="referrals.review_scans_queue")
def review_scans_queue_task() -> int:
    return review_scans_queue()


@shared_task(name="referrals.review_scan")
def review_scan_task(store_id: int) -> str:
    run = review_scan_run(store_id=store_id)
    return run.reason or f"{run.owed} approved reviews owed, {run.calls} calls, pass finished: {run.pass_finished}"
