"""Reads for coupons: pool counts and low-stock pools."""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from storefront.models import Store

from .models import CodePool, CouponCode


def pools_with_counts(*, store: Store | None = None) -> QuerySet[CodePool]:
    """Pools annotated with available / handed_out / redeemed / total code counts (one query)."""
    pools = CodePool.objects.all() if store is None else CodePool.objects.filter(store=store)
    return pools.annotate(
        available_count=Count("codes", filter=Q(codes__state=CouponCode.State.ACTIVE,
                                                codes__handed_out_at__isnull=True)),
        handed_out_count=Count("codes", filter=Q(codes__handed_out_at__isnull=False)),
        redeemed_count=Count("codes", filter=Q(codes__state=CouponCode.State.REDEEMED)),
        total_count=Count("codes"),
    )


def pool_counts(*, pool: CodePool) -> dict[str, int]:
    row = pools_with_counts().get(pk=pool.pk)
    return {"available": row.available_count, "handed_out": row.handed_out_count,
            "redeemed": row.redeemed_count, "total": row.total_count}


def pools_low_on_codes(*, store: Store | None = None) -> list[CodePool]:
    """Pools whose available codes fell below their threshold."""
    return [p for p in pools_with_counts(store=store) if p.available_count < p.low_threshold]
