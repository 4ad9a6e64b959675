"""Celery wrappers for coupon housekeeping (beat): finish interrupted mints, expire codes, refill pools."""
from celery import shared_task

from coupons.models import CodePool
from coupons.services import coupon_expire_due, coupon_reconcile_minting, pool_refill


@shared_task(name="coupons.reconcile_minting")
def coupon_reconcile_minting_task() -> dict:
    return coupon_reconcile_minting()


@shared_task(name="coupons.expire_due")
def coupon_expire_due_task() -> int:
    return len(coupon_expire_due())


@shared_task(name="coupons.refill_pools")
def pool_refill_task() -> int:
    minted = 0
    for pool in CodePool.objects.filter(refill_to__gt=0).select_related("store"):
        minted += pool_refill(pool=pool)
    return minted
