"""Celery wrappers for coupon housekeeping (beat): finish interrupted mints, expire codes, refill pools."""
from celery import shared_task

from coupons.models import CodePool
from coupons.reward_pools import pools_refill_due
from coupons.services import coupon_expire_due, coupon_reconcile_minting, pool_refill
from storefront.bulk import bulk_run


@shared_task(name="coupons.reconcile_minting")
def coupon_reconcile_minting_task() -> dict:
    return coupon_reconcile_minting()


@shared_task(name="coupons.expire_due")
def coupon_expire_due_task() -> int:
    return len(coupon_expire_due())


@shared_task(name="coupons.refill_pools")
def pool_refill_task() -> int:
    """Beat: every pool with a refill target that fell below its threshold."""
    return pools_refill_due()


@shared_task(name="coupons.refill_pool", bind=True)
def pool_refill_one_task(self, pool_id: int) -> int | None:
    """One pool a hand-out left below its threshold (queued by name from coupons.reward_pools); bulk work,
    within the store's bulk slots (storefront.bulk)."""
    pool = CodePool.objects.filter(pk=pool_id).first()
    if pool is None:
        return 0
    return bulk_run(self, store_id=pool.store_id, args=(pool_id,), run=lambda: pool_refill(pool=pool))
