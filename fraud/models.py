"""Fraud data: signals seen per subject, per-store settings and rule settings, assessments with their
reasons, the staff decisions on them, block lists and the daily summary.

Signal values are normalised (and hashed where the raw value is personal: addresses, IP+UA,
payment data); `display` keeps a safe, human-readable form for the review queue.
"""
from django.conf import settings
from django.db import models


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    HOLD = "hold", "Hold for review"
    REJECT = "reject", "Reject"


class Signal(models.Model):
    """One normalised fact about one subject (an order, a referral capture, a sign-up, a redemption…)."""

    class SubjectKind(models.TextChoices):
        CONVERSION = "conversion", "Referral conversion"
        ORDER = "order", "Order"
        REFERRAL = "referral", "Referral visit (capture)"
        SIGNUP = "signup", "Sign-up"
        REWARD = "reward", "Reward"
        REDEMPTION = "redemption", "Redemption"

    class Kind(models.TextChoices):
        IP = "ip", "IP address"
        IP_UA = "ip_ua", "IP + user agent (hash)"
        DEVICE = "device", "Device id"
        BILLING_ADDRESS = "billing_address", "Billing address (hash)"
        SHIPPING_ADDRESS = "shipping_address", "Shipping address (hash)"
        EMAIL = "email", "Email (normalised)"
        EMAIL_DOMAIN = "email_domain", "Email domain"
        CUSTOMER_ID = "customer_id", "BigCommerce customer id"
        PAYMENT = "payment", "Payment fingerprint (hash)"
        REFERRAL_CODE = "referral_code", "Referral code"
        COUPON_CODE = "coupon_code", "Coupon code"
        ADVOCATE = "advocate", "Advocate (customer key)"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="fraud_signals")
    subject_kind = models.CharField(max_length=12, choices=SubjectKind.choices)
    subject_id = models.CharField(max_length=80, help_text="Order id, capture id, reward id… of the subject.")
    customer_key = models.CharField(
        max_length=64, blank=True, help_text="Friendbuy customerId of the shopper behind the subject.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.CharField(max_length=128, help_text="Normalised (hashed for addresses, IP+UA, payment).")
    display = models.CharField(max_length=255, blank=True, help_text="Safe readable form for reviewers.")
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # Every rule lookup is "who else had this value (recently)": (store, kind, value[, at]).
            models.Index(fields=["store", "kind", "value", "at"], name="fraud_signal_lookup"),
            models.Index(fields=["store", "customer_key", "kind"], name="fraud_signal_customer"),
            models.Index(fields=["store", "subject_kind", "subject_id"], name="fraud_signal_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}={self.display or self.value[:12]}"


class FraudSettings(models.Model):
    """Per-store thresholds: a score at or above hold_score holds, at or above reject_score rejects."""

    store = models.OneToOneField("storefront.Store", on_delete=models.CASCADE, related_name="fraud_settings")
    hold_score = models.PositiveIntegerField(default=50, help_text="Score from which an item is held for review.")
    reject_score = models.PositiveIntegerField(default=100, help_text="Score from which an item is rejected.")
    auto_decision_after_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Decide held items automatically after this many days (empty = never).",
    )
    auto_decision = models.CharField(
        max_length=8, choices=[(Decision.APPROVE, "Approve"), (Decision.REJECT, "Reject")],
        default=Decision.APPROVE, help_text="What the automatic decision is.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "fraud settings"

    def __str__(self) -> str:
        return f"Fraud settings for {self.store_id}"


class RuleSetting(models.Model):
    """A store's override of one rule's defaults (see fraud.rules for the table of defaults)."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="fraud_rule_settings")
    rule = models.CharField(max_length=40, help_text="Rule name, e.g. self_referral.")
    enabled = models.BooleanField(default=True)
    weight = models.PositiveIntegerField(help_text="Points added to the score when the rule hits.")
    hard = models.BooleanField(default=False, help_text="A hit rejects whatever the score.")
    threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="For counting rules: how many before it hits (empty = default).",
    )

    class Meta:
        ordering = ["store", "rule"]
        constraints = [models.UniqueConstraint(fields=["store", "rule"], name="uniq_fraud_rule_setting")]

    def __str__(self) -> str:
        return f"{self.rule} ({'on' if self.enabled else 'off'})"


class Assessment(models.Model):
    """The scored, explained decision on one conversion, reward or redemption."""

    class SubjectType(models.TextChoices):
        CONVERSION = "conversion", "Referral conversion (order)"
        REWARD = "reward", "Reward"
        REDEMPTION = "redemption", "Redemption"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="fraud_assessments")
    subject_type = models.CharField(max_length=12, choices=SubjectType.choices)
    reference = models.CharField(max_length=120, help_text="Order id (conversion), Friendbuy rewardId (reward)…")
    bc_order_id = models.BigIntegerField(null=True, blank=True, db_index=True, help_text="The order it bears on.")
    customer_key = models.CharField(max_length=64, blank=True, help_text="Friendbuy customerId of the shopper.")
    advocate_key = models.CharField(max_length=64, blank=True, help_text="Friendbuy customerId of the advocate.")
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    signals = models.JSONField(default=dict, help_text="What was seen (normalised, displayable).")
    parties = models.JSONField(default=dict, help_text="Friend and advocate data shown side by side in review.")
    hits = models.JSONField(default=list, help_text="[{rule, weight, hard, evidence}]")
    score = models.PositiveIntegerField(default=0)
    decision = models.CharField(max_length=8, choices=Decision.choices, db_index=True)
    decided_by = models.CharField(max_length=150, help_text="rules, auto, or the staff user.")
    decided_at = models.DateTimeField()
    note = models.TextField(blank=True)
    auto_decide_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "subject_type", "reference"], name="uniq_fraud_assessment"),
        ]
        indexes = [
            models.Index(fields=["store", "decision", "created_at"], name="fraud_assess_queue"),
            models.Index(fields=["store", "subject_type", "customer_key", "created_at"], name="fraud_assess_cust"),
            models.Index(fields=["store", "subject_type", "advocate_key", "created_at"], name="fraud_assess_adv"),
        ]

    def __str__(self) -> str:
        return f"{self.get_subject_type_display()} {self.reference}: {self.decision} ({self.score})"


class ReviewDecision(models.Model):
    """Audit row: who decided what on an assessment, when and why."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="decisions")
    from_decision = models.CharField(max_length=8, choices=Decision.choices)
    to_decision = models.CharField(max_length=8, choices=Decision.choices)
    decided_by = models.CharField(max_length=150)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    note = models.TextField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_decision} → {self.to_decision} by {self.decided_by}"


class BlockListEntry(models.Model):
    """A value that is never rewarded in this store (hard rule)."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Email (matched normalised)"
        DOMAIN = "domain", "Email domain"
        IP = "ip", "IP address"
        CUSTOMER_ID = "customer_id", "Customer id (BigCommerce id or Friendbuy customerId)"
        REFERRAL_CODE = "referral_code", "Referral or coupon code"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="fraud_block_list")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(max_length=254, help_text="Stored normalised.")
    reason = models.CharField(max_length=255, blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["store", "kind", "value"]
        verbose_name_plural = "block list entries"
        constraints = [models.UniqueConstraint(fields=["store", "kind", "value"], name="uniq_block_list_entry")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


class FraudDailySummary(models.Model):
    """One store's day: the IPs and devices seen most, codes that look leaked, held/rejected counts."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="fraud_summaries")
    date = models.DateField()
    top_ips = models.JSONField(default=list)
    top_devices = models.JSONField(default=list)
    leaked_codes = models.JSONField(default=list)
    assessed_count = models.PositiveIntegerField(default=0)
    held_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "store"]
        verbose_name_plural = "fraud daily summaries"
        constraints = [models.UniqueConstraint(fields=["store", "date"], name="uniq_fraud_daily_summary")]

    def __str__(self) -> str:
        return f"Fraud summary {self.date}"
