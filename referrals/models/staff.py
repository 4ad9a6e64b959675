"""What staff did: the audit log, manual attributions, and the proxy models behind the support pages."""
from django.conf import settings
from django.db import models


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
        # Custom permissions behind the support pages (granted to groups by referrals.support.roles).
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


__all__ = ["ManualAttribution", "StaffAuditLog", "SupportLookup", "SupportReports"]
