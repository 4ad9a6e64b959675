"""Celery wrappers for loyalty: apply one member's tier to their BigCommerce group; the daily birthday scan."""
from celery import shared_task

from referrals.earning.birthdays import birthdays_send_all
from referrals.earning.tiers import tier_group_apply
from storefront.bigcommerce import BigCommerceError


@shared_task(bind=True, name="referrals.tier_group_apply", max_retries=6)
def tier_group_apply_task(self, membership_id: int) -> str:
    try:
        return tier_group_apply(membership_id=membership_id).reason
    except BigCommerceError as exc:
        if not exc.retryable:
            raise
        raise self.retry(exc=exc, countdown=30 * 2 ** self.request.retries) from exc


@shared_task(name="referrals.birthdays_send_all")
def birthdays_send_all_task() -> int:
    return birthdays_send_all()
