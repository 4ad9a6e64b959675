"""The merchant's settings forms, labelled and explained in plain words.

Each form knows its fields' labels (for the change history) and turns the merchant's input into the values
the services take; validation errors say what to do.
"""
from __future__ import annotations

from decimal import Decimal

from django import forms

from coupons.codes import clean_prefix
from coupons.models import CouponTemplate
from fraud.rules import DEFAULTS
from fraud.store_settings import RuleChoice
from referrals.models import StoreSettings

MAX_WEIGHT = 1000

# What each fraud rule looks for, as a merchant would say it.
RULE_LABELS = {
    "block_list": "The email, domain, IP address, customer or code is on your block list",
    "self_referral": "The friend is the advocate (same customer or email)",
    "self_referral_signals": "The friend shares the advocate's address, device or email alias",
    "same_ip_as_advocate": "The friend ordered from the advocate's IP address",
    "disposable_email": "The friend used a throwaway email address",
    "duplicate_account": "The friend looks like an earlier referred customer",
    "existing_customer": "The friend had already ordered from you",
    "shared_ip": "The same IP address was on several referrals this week",
    "shared_ip_ua": "The same IP address and browser were on several referrals this week",
    "referral_velocity": "The advocate referred many friends today",
    "reward_velocity": "The same person got many rewards today",
    "reward_allowance": "The same person got many rewards this month",
    "leaked_code": "A friend code was used by several other customers",
    "unreferred_code_use": "A referral code was used without a referral visit",
    "suspicious_redemption": "A reward code was used by someone other than its owner",
    "redemption_ip_velocity": "Many reward codes were used from one IP address today",
}


def _ids(text: str, *, what: str) -> list[int]:
    """'12, 15 20' → [12, 15, 20]; refuses anything that is not a whole number."""
    parts = [part for part in text.replace(",", " ").split() if part]
    if any(not part.isdigit() or int(part) == 0 for part in parts):
        raise forms.ValidationError(f"Enter {what} ids as whole numbers separated by commas, e.g. 12, 15.")
    return sorted({int(part) for part in parts})


class RewardCodesForm(forms.Form):
    """Rules for the coupon codes given as rewards."""

    amount_source = forms.ChoiceField(
        label="Code value", choices=CouponTemplate.AmountSource.choices, widget=forms.RadioSelect,
        help_text="Use the amount of the reward you set up in Friendbuy, or give every code the same value.",
    )
    fixed_amount = forms.DecimalField(
        label="Value of every code", required=False, min_value=Decimal("0.01"), max_digits=12, decimal_places=2,
        help_text="Only used when every code has the same value: an amount of money, or a percentage.",
    )
    discount_kind = forms.ChoiceField(
        label="Discount type", widget=forms.RadioSelect, choices=[
            (CouponTemplate.DiscountKind.FROM_REWARD, "As the reward says (money off, or % when the reward is in %)"),
            (CouponTemplate.DiscountKind.FIXED, "Money off"),
            (CouponTemplate.DiscountKind.PERCENTAGE, "Percentage off"),
        ],
    )
    min_spend = forms.DecimalField(
        label="Minimum spend", min_value=Decimal("0"), max_digits=12, decimal_places=2,
        help_text="The cart must reach this amount before the code works. 0 means no minimum.",
    )
    expiry_days = forms.IntegerField(
        label="Days a code stays valid", min_value=0, max_value=3650,
        help_text="Counted from the day the shopper gets the code. 0 means it never expires.",
    )
    prefix = forms.CharField(
        label="Code prefix", required=False, max_length=20,
        help_text="Letters and digits at the start of each code, e.g. REF makes REF-7KQ2MX9P. Leave empty for none.",
    )
    free_shipping = forms.BooleanField(label="Also give free shipping", required=False)
    product_ids = forms.CharField(
        label="Only these products", required=False,
        help_text="BigCommerce product ids, separated by commas. Leave empty for the whole cart.",
    )
    category_ids = forms.CharField(
        label="Only these categories", required=False,
        help_text="BigCommerce category ids, separated by commas. Leave empty for the whole cart.",
    )
    one_use_per_customer = forms.BooleanField(
        label="One use per customer", required=False,
        help_text="Each code works once. When this is on, BigCommerce also checks it is used by one customer only.",
    )

    LABELS = {
        "amount_source": "Code value", "fixed_amount": "Value of every code", "discount_kind": "Discount type",
        "min_spend": "Minimum spend", "expiry_days": "Days a code stays valid", "prefix": "Code prefix",
        "free_shipping": "Free shipping", "product_ids": "Products", "category_ids": "Categories",
        "one_use_per_customer": "One use per customer",
    }

    @classmethod
    def initial_from(cls, template: CouponTemplate) -> dict:
        return {
            "amount_source": template.amount_source, "fixed_amount": template.fixed_amount,
            "discount_kind": template.discount_kind, "min_spend": template.min_spend,
            "expiry_days": template.expiry_days, "prefix": template.prefix, "free_shipping": template.free_shipping,
            "product_ids": ", ".join(str(i) for i in template.product_ids or []),
            "category_ids": ", ".join(str(i) for i in template.category_ids or []),
            "one_use_per_customer": template.one_use_per_customer,
        }

    def clean_prefix(self) -> str:
        raw = self.cleaned_data["prefix"].strip()
        try:
            cleaned = clean_prefix(raw) if raw else ""
        except ValueError:
            cleaned = None
        if cleaned is None or cleaned != raw.upper():
            raise forms.ValidationError("Use only letters, digits, - or _ in the prefix (no spaces or symbols).")
        return cleaned

    def clean_product_ids(self) -> list[int]:
        return _ids(self.cleaned_data["product_ids"], what="product")

    def clean_category_ids(self) -> list[int]:
        return _ids(self.cleaned_data["category_ids"], what="category")

    def clean(self) -> dict:
        data = super().clean()
        fixed = data.get("amount_source") == CouponTemplate.AmountSource.FIXED
        if fixed and not data.get("fixed_amount"):
            self.add_error("fixed_amount", "Enter the value every code should have, or use the reward's amount.")
        if not fixed:
            data["fixed_amount"] = None
        if data.get("discount_kind") == CouponTemplate.DiscountKind.PERCENTAGE and fixed and \
                data.get("fixed_amount") and data["fixed_amount"] > 100:
            self.add_error("fixed_amount", "A percentage can't be more than 100.")
        return data


class FraudForm(forms.Form):
    """Thresholds and, per rule, on/off and weight."""

    hold_score = forms.IntegerField(
        label="Hold for review from score", min_value=1, max_value=10000,
        help_text="Each check that matches adds its points. From this score, the referral waits for you to review it.",
    )
    reject_score = forms.IntegerField(
        label="Reject from score", min_value=1, max_value=10000,
        help_text="From this score the referral is refused without a review. Must be higher than the hold score.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in DEFAULTS:
            self.fields[f"{name}__on"] = forms.BooleanField(label=RULE_LABELS.get(name, name), required=False)
            self.fields[f"{name}__weight"] = forms.IntegerField(
                label=f"Points: {RULE_LABELS.get(name, name)}", min_value=0, max_value=MAX_WEIGHT)

    @property
    def labels(self) -> dict[str, str]:
        labels = {"hold_score": "Hold score", "reject_score": "Reject score"}
        for name in DEFAULTS:
            labels[f"{name}.enabled"] = f"{RULE_LABELS.get(name, name)}: on"
            labels[f"{name}.weight"] = f"{RULE_LABELS.get(name, name)}: points"
        return labels

    @staticmethod
    def initial_from(*, hold_score: int, reject_score: int, rules: dict[str, RuleChoice]) -> dict:
        initial: dict = {"hold_score": hold_score, "reject_score": reject_score}
        for name, choice in rules.items():
            initial[f"{name}__on"], initial[f"{name}__weight"] = choice.enabled, choice.weight
        return initial

    def rule_rows(self) -> list[dict]:
        """The rules as table rows: name, what it checks, its on and points fields, whether it always rejects."""
        return [{"name": name, "label": RULE_LABELS.get(name, name), "on": self[f"{name}__on"],
                 "weight": self[f"{name}__weight"], "hard": DEFAULTS[name].hard} for name in DEFAULTS]

    def clean(self) -> dict:
        data = super().clean()
        hold, reject = data.get("hold_score"), data.get("reject_score")
        if hold is not None and reject is not None and reject <= hold:
            self.add_error("reject_score", "The reject score must be higher than the hold score.")
        return data

    def rules(self) -> dict[str, RuleChoice]:
        return {name: RuleChoice(enabled=self.cleaned_data[f"{name}__on"], weight=self.cleaned_data[f"{name}__weight"])
                for name in DEFAULTS}


class PurchaseAmountForm(forms.Form):
    purchase_amount_field = forms.ChoiceField(
        label="Order amount sent to Friendbuy", choices=StoreSettings.AmountField.choices, widget=forms.RadioSelect,
        help_text="Friendbuy uses it for rewards like \"spend $50\" and for your revenue reports. Applies to orders "
                  "sent from now on.",
    )
    LABELS = {"purchase_amount_field": "Order amount sent to Friendbuy"}


class ProgramForm(forms.Form):
    enabled = forms.TypedChoiceField(
        label="Referral program", coerce=lambda value: value == "on", widget=forms.RadioSelect,
        choices=[("on", "On: the referral scripts run on your storefront"),
                 ("off", "Off: remove the scripts (your orders, rewards and settings are kept)")],
    )
    LABELS = {"program_enabled": "Referral program on"}
