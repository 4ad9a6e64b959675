"""Loyalty earning events: each store's switches for the custom events this app tells Friendbuy of.

The events themselves are LoyaltyEvent rows (one per store and deduplication id, sent once as Friendbuy
custom events); a store without a row here has the defaults.
"""
from django.db import models

__all__ = ["EarningSettings"]


class EarningSettings(models.Model):
    """Per-store switches of the earning and reversal events."""

    store = models.OneToOneField("storefront.Store", on_delete=models.CASCADE, related_name="earning_settings")
    newsletter_enabled = models.BooleanField(
        default=True, help_text="Send newsletter_subscribed when BigCommerce reports a new newsletter subscriber.")
    reversals_enabled = models.BooleanField(
        default=True, help_text="Tell Friendbuy of refunds, partial refunds, cancellations and chargebacks.")
    code_use_enabled = models.BooleanField(
        default=True, help_text="Tell Friendbuy when a referral or friend code is used at checkout.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "earning settings"

    def __str__(self) -> str:
        return f"Earning settings of {self.store_id}"
