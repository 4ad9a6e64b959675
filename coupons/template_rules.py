"""Changing a store's reward-code rules (CouponTemplate) without touching codes already handed out.

A promotion in BigCommerce carries the rules (minimum spend, free shipping, products or categories) and a
reward pool holds codes pre-generated with the prefix, length and per-customer limit. So a change to any of
those bumps the template's revision: the next reward gets a promotion and pool made from the new rules,
the old pools stop refilling, and codes already minted keep the promotion they were made on. Amount,
discount kind and expiry need no new revision (the amount and kind key the promotion; expiry is set when
a code is handed out).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from .models import CodePool, CouponTemplate

# Fields that shape the promotion or the pre-generated codes: changing one starts a new revision.
REVISION_FIELDS = frozenset({
    "min_spend", "free_shipping", "product_ids", "category_ids", "one_use_per_customer", "prefix", "code_length",
})
EDITABLE_FIELDS = REVISION_FIELDS | {"amount_source", "fixed_amount", "discount_kind", "expiry_days"}


def _comparable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, list):
        return sorted(value)
    return value


def coupon_template_update(*, template: CouponTemplate, changes: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Apply `changes` to the template; returns {field: (before, after)} for the fields that really changed.

    Raises ValueError for a field the merchant may not set.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Not a reward-code setting: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        template = CouponTemplate.objects.select_for_update().get(pk=template.pk)
        changed = {name: (getattr(template, name), value) for name, value in changes.items()
                   if _comparable(getattr(template, name)) != _comparable(value)}
        if not changed:
            return {}
        for name, (_, value) in changed.items():
            setattr(template, name, value)
        fields = [*changed, "updated_at"]
        if REVISION_FIELDS & set(changed):
            template.revision += 1
            fields.append("revision")
            # Old reward pools keep the codes they hold for rewards that already have one, but stop refilling.
            CodePool.objects.filter(template=template, purpose=CodePool.Purpose.REWARDS).update(refill_to=0)
        template.save(update_fields=fields)
    return changed
