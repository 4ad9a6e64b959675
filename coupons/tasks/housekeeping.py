"""Celery wrappers for coupon housekeeping (beat): finish interrupted mints, expire codes, refill pools."""
from celery import shared_task

from coupons.models import CodePool
from coupons.reward_pools import pools_refill_due
from coupons.services import coupon_expire_due, coupon_reconcile_minting, pool_refill


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


@shared_task(name="coupons.refill_pool")
def pool_refill_one_task(pool_id: int) -> int:
    """One pool a hand-out left below its threshold (queued by name from coupons.reward_pools)."""
    pool = CodePool.objects.filter(pk=pool_id).first()
    return pool_refill(pool=pool) if pool is not None else 0
