"""The merchant's settings changes: who changed which setting of the app, from what to what, when."""
from django.db import models


class SettingsChange(models.Model):
    """One saved settings form on the merchant's page (only fields that really changed are listed)."""

    class Section(models.TextChoices):
        REWARD_CODES = "reward_codes", "Reward codes"
        FRAUD = "fraud", "Fraud checks"
        PURCHASE_AMOUNT = "purchase_amount", "Amount sent to Friendbuy"
        PROGRAM = "program", "Program on/off"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="settings_changes")
    store_user = models.ForeignKey("storefront.StoreUser", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    user_email = models.CharField(max_length=254, blank=True, help_text="Kept if the user is removed.")
    section = models.CharField(max_length=20, choices=Section.choices, db_index=True)
    changes = models.JSONField(default=list, help_text='[{"field", "label", "before", "after"}] as shown.')
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_section_display()} changed by {self.user_email or 'unknown'}"


__all__ = ["SettingsChange"]
