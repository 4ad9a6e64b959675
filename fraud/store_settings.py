"""A store's own fraud thresholds and rule switches, changed by the merchant.

Only differences from what is in force are written: thresholds on FraudSettings, a rule's on/off and weight
on its RuleSetting row (created from the rule's defaults the first time the merchant changes it). Saving
either clears the store's cached rule config (fraud.apps), so the next assessment uses the new values.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from storefront.models import Store

from .models import FraudSettings, RuleSetting
from .rules import DEFAULTS
from .selectors import store_rules_config_forget


@dataclass(frozen=True)
class RuleChoice:
    """What the merchant chose for one rule."""

    enabled: bool
    weight: int


def rule_choices_in_force(*, store: Store) -> dict[str, RuleChoice]:
    """Every rule with its on/off and weight as they apply to the store now (override, else the default)."""
    overrides = {row.rule: row for row in RuleSetting.objects.filter(store=store)}
    return {
        name: RuleChoice(enabled=overrides[name].enabled, weight=overrides[name].weight) if name in overrides
        else RuleChoice(enabled=True, weight=default.weight)
        for name, default in DEFAULTS.items()
    }


def fraud_settings_update(*, store: Store, hold_score: int, reject_score: int,
                          rules: dict[str, RuleChoice]) -> dict[str, tuple]:
    """Apply the thresholds and rule choices; returns {name: (before, after)} of what changed.

    Raises ValueError when reject_score is not above hold_score or a rule name is unknown.
    """
    if reject_score <= hold_score:
        raise ValueError("The reject score must be higher than the hold score.")
    unknown = set(rules) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"Unknown fraud rule: {', '.join(sorted(unknown))}")
    changed: dict[str, tuple] = {}
    with transaction.atomic():
        settings, _ = FraudSettings.objects.select_for_update().get_or_create(store=store)
        for name, value in (("hold_score", hold_score), ("reject_score", reject_score)):
            if getattr(settings, name) != value:
                changed[name] = (getattr(settings, name), value)
                setattr(settings, name, value)
        if changed:
            settings.save()
        in_force = rule_choices_in_force(store=store)
        for name, choice in rules.items():
            before = in_force[name]
            if before == choice:
                continue
            if before.enabled != choice.enabled:
                changed[f"{name}.enabled"] = (before.enabled, choice.enabled)
            if before.weight != choice.weight:
                changed[f"{name}.weight"] = (before.weight, choice.weight)
            RuleSetting.objects.update_or_create(
                store=store, rule=name,
                defaults={"enabled": choice.enabled, "weight": choice.weight},
                create_defaults={"enabled": choice.enabled, "weight": choice.weight,
                                 "hard": DEFAULTS[name].hard, "threshold": None},
            )
    # Assessments read these through a per-store cache: the next one must see the new values.
    store_rules_config_forget(store_id=store.pk)
    transaction.on_commit(lambda: store_rules_config_forget(store_id=store.pk))
    return changed
