"""Writes behind the merchant's settings page: each checks the user may manage the store, applies the change
through the owning app's service and records who changed what (SettingsChange), in one transaction."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from coupons.models import CouponTemplate
from coupons.services import coupon_template_default
from coupons.template_rules import coupon_template_update
from fraud.store_settings import RuleChoice, fraud_settings_update
from referrals.merchant.access import manage_check
from referrals.models import SettingsChange, StoreSettings
from storefront.models import Store, StorefrontSettings, StoreUser
from storefront.queueing import task_enqueue_on_commit


def _shown(value: Any) -> Any:
    """A JSON-safe, readable form of a setting's value for the change history."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "none"
    if value is None:
        return "none"
    return value


def settings_change_record(*, store: Store, store_user: StoreUser, section: str,
                           changed: dict[str, tuple], labels: dict[str, str]) -> SettingsChange | None:
    """One history row for a saved form; None when nothing changed."""
    if not changed:
        return None
    return SettingsChange.objects.create(
        store=store, store_user=store_user, user_email=store_user.email or f"user {store_user.bc_user_id}",
        section=section,
        changes=[{"field": name, "label": labels.get(name, name), "before": _shown(before), "after": _shown(after)}
                 for name, (before, after) in changed.items()],
    )


def reward_codes_update(*, store: Store, store_user: StoreUser, values: dict[str, Any],
                        labels: dict[str, str]) -> SettingsChange | None:
    """Save the store's reward-code rules (its default coupon template)."""
    manage_check(store_user)
    with transaction.atomic():
        template = coupon_template_default(store=store)
        changed = coupon_template_update(template=template, changes=values)
        return settings_change_record(store=store, store_user=store_user, section=SettingsChange.Section.REWARD_CODES,
                                      changed=changed, labels=labels)


def fraud_update(*, store: Store, store_user: StoreUser, hold_score: int, reject_score: int,
                 rules: dict[str, RuleChoice], labels: dict[str, str]) -> SettingsChange | None:
    """Save the fraud thresholds and which rules apply with what weight."""
    manage_check(store_user)
    with transaction.atomic():
        changed = fraud_settings_update(store=store, hold_score=hold_score, reject_score=reject_score, rules=rules)
        return settings_change_record(store=store, store_user=store_user, section=SettingsChange.Section.FRAUD,
                                      changed=changed, labels=labels)


def purchase_amount_update(*, store: Store, store_user: StoreUser, purchase_amount_field: str,
                           labels: dict[str, str]) -> SettingsChange | None:
    """Choose which order total is sent to Friendbuy as the purchase amount (for orders sent from now on)."""
    manage_check(store_user)
    if purchase_amount_field not in StoreSettings.AmountField.values:
        raise ValueError(f"Not an order total: {purchase_amount_field}")
    with transaction.atomic():
        row, _ = StoreSettings.objects.select_for_update().get_or_create(store=store)
        before = row.purchase_amount_field
        if before == purchase_amount_field:
            return None
        row.purchase_amount_field = purchase_amount_field
        row.save(update_fields=["purchase_amount_field", "updated_at"])
        amounts = dict(StoreSettings.AmountField.choices)
        return settings_change_record(
            store=store, store_user=store_user, section=SettingsChange.Section.PURCHASE_AMOUNT,
            changed={"purchase_amount_field": (amounts[before], amounts[purchase_amount_field])}, labels=labels)


def program_switch(*, store: Store, store_user: StoreUser, enabled: bool,
                   labels: dict[str, str]) -> SettingsChange | None:
    """Turn the referral program on or off: the scripts installer then adds or removes the storefront
    scripts (queued after commit; orders, rewards and settings are kept either way)."""
    manage_check(store_user)
    with transaction.atomic():
        row, _ = StorefrontSettings.objects.select_for_update().get_or_create(store=store)
        if row.program_enabled == enabled:
            return None
        before, row.program_enabled = row.program_enabled, enabled
        row.save(update_fields=["program_enabled", "updated_at"])
        task_enqueue_on_commit("storefront.scripts_sync", store.pk)
        return settings_change_record(store=store, store_user=store_user, section=SettingsChange.Section.PROGRAM,
                                      changed={"program_enabled": (before, enabled)}, labels=labels)


def reward_codes_in_force(*, store: Store) -> CouponTemplate:
    """The template whose rules the reward-codes form shows (created with the defaults on first look)."""
    return coupon_template_default(store=store)
