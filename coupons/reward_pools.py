"""Reward codes from pools: one-time codes generated ahead of need, handed out without calling BigCommerce.

A SINGLE coupon promotion takes one code (promotions.v3.yml: `coupon_type` is "whether it will have single
or multiple codes"), so rewards can't each add a code to one. Instead each template, discount kind, amount
and currency has a BULK promotion and a reward pool (CodePool, purpose rewards) of codes made with
/codegen (≤ 250 a call). Handing a code to a reward is one `UPDATE … WHERE id = (SELECT … FOR UPDATE
SKIP LOCKED LIMIT 1)`: concurrent rewards take different codes without waiting on each other, and the
(store, source_key) unique constraint makes it once per reward — a second hand-out for the same reward
fails on it and returns the first. Beat refills a pool once it falls below its threshold
(coupons.refill_pools; a hand-out that leaves it low queues coupons.refill_pool for it); only a reward
that finds its pool empty generates a batch itself (one refill per pool at a time; other takers wait
for it).

Codes a reward got before pools, on SINGLE promotions, are read as they are: active ones stay valid,
one still minting is finished with /codes (or, when BigCommerce refuses it, replaced from the pool).
"""
from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import timezone

from storefront.bigcommerce import BigCommerceError
from storefront.models import Store
from storefront.queueing import task_enqueue_on_commit

from .models import CodePool, CouponCode, CouponTemplate, Promotion
from .services import (
    CodeRequest,
    MintFailed,
    amount_for,
    coupon_mint,
    coupon_retire,
    currency_for,
    discount_for,
    pool_available,
    pool_refill,
    pool_refill_under_way,
    promotion_row,
)

logger = logging.getLogger(__name__)

# Rounds of "pool empty → generate a batch → take" before a reward waits for the next sweep.
TAKE_ROUNDS = 3
# How long a reward that found its pool empty waits for another caller's refill.
REFILL_WAIT = timedelta(seconds=20)
# A low pool is nudged at most this often (the beat schedule refills it anyway).
NUDGE_SECONDS = 60


def reward_pool_for(*, store: Store, template: CouponTemplate, kind: str, amount: Decimal,
                    currency: str) -> CodePool:
    """The reward pool (and its BULK promotion row) for this template, kind, amount and currency.

    Local rows only: the promotion is created in BigCommerce by the first refill.
    """
    promotion = promotion_row(store=store, template=template, kind=kind, amount=amount, currency=currency,
                              coupon_type=Promotion.CouponType.BULK)
    pool = CodePool.objects.filter(promotion=promotion, purpose=CodePool.Purpose.REWARDS).first()
    if pool is not None:
        return pool
    unit = "%" if kind == "percentage" else promotion.currency
    try:
        with transaction.atomic():
            return CodePool.objects.create(
                store=store, template=template, promotion=promotion, purpose=CodePool.Purpose.REWARDS,
                name=f"rewards {template.name} {promotion.amount}{unit} #{promotion.pk}"[:100],
                low_threshold=settings.COUPON_REWARD_POOL_LOW, refill_to=settings.COUPON_REWARD_POOL_SIZE,
            )
    except IntegrityError:  # a concurrent first reward of this amount created it
        return CodePool.objects.get(promotion=promotion, purpose=CodePool.Purpose.REWARDS)


def reward_code_take(*, store: Store, template: CouponTemplate, request: CodeRequest) -> CouponCode | None:
    """The pool code handed to `request.source_key` (the one it already has, or a free one); None when the
    pool stays empty (BigCommerce answered no codes): the caller's sweep tries again later.

    Retryable BigCommerce errors from generating a batch for an empty pool propagate (the task retries).
    """
    held = CouponCode.objects.filter(store=store, source_key=request.source_key).first()
    if held is not None:
        return held
    kind = discount_for(template=template, unit=request.unit)
    currency = currency_for(store=store, kind=kind, unit=request.unit)
    pool = reward_pool_for(store=store, template=template, kind=kind,
                           amount=amount_for(template=template, amount=request.amount), currency=currency)
    for _ in range(TAKE_ROUNDS):
        coupon = _hand_out(pool=pool, template=template, request=request)
        if coupon is not None:
            _nudge_if_low(pool)
            return coupon
        # Empty: generate a batch now, or wait for the refill another taker started.
        if not pool_refill(pool=pool, below=1) and not _wait_for_refill(pool):
            return None
    return None


def _wait_for_refill(pool: CodePool) -> bool:
    """While another caller refills the pool, wait (up to REFILL_WAIT) for codes; True once there are some."""
    deadline = time.monotonic() + REFILL_WAIT.total_seconds()
    while time.monotonic() < deadline:
        if pool_available(pool=pool).exists():
            return True
        if not pool_refill_under_way(pool=pool):
            return pool_available(pool=pool).exists()
        time.sleep(0.1)
    return False


def _hand_out(*, pool: CodePool, template: CouponTemplate, request: CodeRequest) -> CouponCode | None:
    """One UPDATE gives the oldest free code of the pool to the request; None when none is free."""
    now = timezone.now()
    free = pool_available(pool=pool).order_by("id").select_for_update(skip_locked=True).values("id")[:1]
    try:
        # select_for_update needs a transaction even inside one statement (Django refuses it in autocommit).
        with transaction.atomic():
            taken = CouponCode.objects.filter(pk=Subquery(free), source_key__isnull=True).update(
                source_key=request.source_key, handed_out_at=now,
                issued_to_customer_id=request.customer_id or "", issued_to_email=request.email or "",
                expires_at=now + timedelta(days=template.expiry_days) if template.expiry_days else None,
            )
    except IntegrityError:
        taken = 0  # a concurrent hand-out for the same request won: the unique key answers with its code
    if not taken:
        return CouponCode.objects.filter(store=pool.store_id, source_key=request.source_key).first()
    return CouponCode.objects.select_related("promotion").get(store=pool.store_id, source_key=request.source_key)


def _nudge_if_low(pool: CodePool) -> None:
    """Queue a refill of this pool (by name, after commit) when it fell below its threshold, once a minute."""
    if pool_available(pool=pool).count() >= pool.low_threshold:
        return
    if cache.add(f"coupons:refill-nudge:{pool.pk}", 1, NUDGE_SECONDS):
        task_enqueue_on_commit("coupons.refill_pool", pool.pk)


def reward_code_issue(*, store: Store, template: CouponTemplate, request: CodeRequest,
                      current: CouponCode | None = None) -> CouponCode | None:
    """The code for a reward: `current` when it is usable, else one from the pool.

    `current` is the code the reward already points at. An active one is kept; one still minting (a
    SINGLE-promotion code reserved before pools) is finished, and if BigCommerce refuses it (a SINGLE
    promotion takes one code) it is retired and the reward gets a pool code under a key derived from it, so
    a retry takes the same one. Returns a code that may still be minting (another worker holds its lease),
    or None (pool empty, see reward_code_take).
    """
    if current is not None and current.state in (CouponCode.State.ACTIVE, CouponCode.State.REDEEMED):
        return current
    if current is not None and current.state == CouponCode.State.MINTING:
        try:
            current = coupon_mint(coupon_id=current.pk, announce=False, coupon=current)
        except MintFailed as exc:
            current = coupon_retire(coupon=current, reason=f"BigCommerce refused the code: {exc}")
        if current.state in (CouponCode.State.ACTIVE, CouponCode.State.MINTING):
            return current
    if current is not None:
        request = replace(request, source_key=f"{request.source_key}:after:{current.pk}"[:160])
    return reward_code_take(store=store, template=template, request=request)


def pools_refill_due() -> int:
    """Beat: refill every pool with a refill target that fell below its threshold; returns codes minted.

    One store's BigCommerce failing doesn't stop the others (its pool is tried again next run).
    """
    minted = 0
    for pool in CodePool.objects.filter(refill_to__gt=0).select_related("store").order_by("id"):
        try:
            minted += pool_refill(pool=pool)
        except BigCommerceError as exc:
            logger.warning("Could not refill code pool %s: %s", pool.pk, exc)
    return minted
