"""Support and reporting data: the staff audit log, manual referral links made by support, and the
Friendbuy analytics counts synced nightly (one row per store, day, kind and campaign).

The audit log is evidence: rows are written once and never edited (the admin shows them read-only).
"""

from django.conf import settings
from django.db import models

__all__ = ["CampaignDay", "FriendbuyAnalyticsDay", "ManualAttribution", "ReportDay", "StaffAuditLog", "SupportLookup",
           "SupportReports"]


class StaffAuditLog(models.Model):
    """One staff action taken from the support pages: who, on which store, what, on what, why, outcome."""

    class Result(models.TextChoices):
        OK = "ok", "Done"
        FAILED = "failed", "Failed"
        REFUSED = "refused", "Refused (no permission)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    username = models.CharField(max_length=150, blank=True, help_text="Kept if the user is deleted.")
    store = models.ForeignKey("storefront.Store", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="staff_audit_log")
    action = models.CharField(max_length=40, db_index=True)
    target = models.CharField(max_length=200, help_text="What was acted on, e.g. outbox:12, reward:RW-1.")
    reason = models.TextField()
    result = models.CharField(max_length=8, choices=Result.choices)
    detail = models.TextField(blank=True, help_text="What happened (error text when it failed).")
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "staff audit log entry"
        verbose_name_plural = "staff audit log"
        # Custom permissions behind the support pages (granted to groups by referrals.roles).
        permissions = [
            ("use_support_lookup", "Can use the support lookup and reports"),
            ("run_support_actions", "Can run support actions (resend, replay, re-issue, approve…)"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target} by {self.username or '?'} ({self.result})"


class ManualAttribution(models.Model):
    """Support linked an order to an advocate's referral by hand (the friend's order carried no signal)."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="manual_attributions")
    bc_order_id = models.BigIntegerField()
    referral_code = models.CharField(max_length=128)
    advocate_customer_id = models.CharField(max_length=64, blank=True)
    campaign_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    reason = models.TextField()
    outbox_event = models.ForeignKey("referrals.OutboxEvent", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["store", "bc_order_id"], name="uniq_manual_attribution")]

    def __str__(self) -> str:
        return f"Order {self.bc_order_id} → {self.referral_code} (manual)"


class FriendbuyAnalyticsDay(models.Model):
    """Friendbuy's analytics for one store, day, kind (shares, clicks, …) and campaign: a count and amount."""

    class Kind(models.TextChoices):
        SHARES = "shares", "Shares"
        CLICKS = "clicks", "Clicks"
        SIGN_UPS = "account-sign-ups", "Sign-ups"
        PURCHASES = "purchases", "Purchases"
        REWARDS = "distributed-advocate-rewards", "Advocate rewards distributed"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="friendbuy_analytics")
    day = models.DateField()
    kind = models.CharField(max_length=40, choices=Kind.choices)
    campaign_id = models.CharField(max_length=64, blank=True)
    count = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "kind"]
        verbose_name_plural = "Friendbuy analytics days"
        constraints = [
            models.UniqueConstraint(fields=["store", "day", "kind", "campaign_id"], name="uniq_fb_analytics_day"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.day}: {self.count}"


class SupportLookup(StaffAuditLog):
    """Admin index entry for the customer lookup (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "customer lookup (where's my reward?)"
        verbose_name_plural = "customer lookup (where's my reward?)"


class SupportReports(StaffAuditLog):
    """Admin index entry for the attribution reports (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "referral reports"
        verbose_name_plural = "referral reports"


class ReportDay(models.Model):
    """One store's paid orders and rewards of one UTC day, per display currency (the reports' rollup).

    Rows with an empty currency_code carry the day's reward metrics; the others the orders paid in that
    currency (money in the store's default currency, plus the referred amount as paid). Rebuilt by
    referrals.report_rollup (nightly for recent days, on demand for today)."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="report_days")
    day = models.DateField()
    currency_code = models.CharField(max_length=3, blank=True)
    orders = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=4, default=0)
    referred_orders = models.PositiveIntegerField(default=0)
    referred_revenue = models.DecimalField(max_digits=16, decimal_places=4, default=0)
    referred_display_total = models.DecimalField(max_digits=16, decimal_places=4, default=0)
    new_customers = models.PositiveIntegerField(default=0)
    min_rate = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    max_rate = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    rewards_issued = models.PositiveIntegerField(default=0)
    rewards_redeemed = models.PositiveIntegerField(default=0)
    reward_cost = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    redeemed_cost = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "currency_code"]
        constraints = [
            models.UniqueConstraint(fields=["store", "day", "currency_code"], name="uniq_report_day"),
        ]

    def __str__(self) -> str:
        return f"Report day {self.day} {self.currency_code or 'rewards'}"


class CampaignDay(models.Model):
    """One store's rewards of one UTC day per Friendbuy campaign, with the orders that earned them."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="campaign_days")
    day = models.DateField()
    campaign_id = models.CharField(max_length=64, blank=True)
    rewards = models.PositiveIntegerField(default=0)
    rewards_issued = models.PositiveIntegerField(default=0)
    rewards_redeemed = models.PositiveIntegerField(default=0)
    reward_cost = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    referred_orders = models.PositiveIntegerField(default=0)
    referred_revenue = models.DecimalField(max_digits=16, decimal_places=4, default=0)
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "campaign_id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "day", "campaign_id"], name="uniq_campaign_day"),
        ]

    def __str__(self) -> str:
        return f"Campaign {self.campaign_id or '-'} {self.day}"
