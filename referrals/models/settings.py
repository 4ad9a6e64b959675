"""A store's referral settings."""
from django.db import models


class StoreSettings(models.Model):
    """Lifecycle choices a merchant (or support) can make per store."""

    class AmountField(models.TextChoices):
        SUBTOTAL_EX_TAX = "subtotal_ex_tax", "Subtotal excluding tax, minus order discounts (default)"
        SUBTOTAL_INC_TAX = "subtotal_inc_tax", "Subtotal including tax, minus order discounts"
        TOTAL_EX_TAX = "total_ex_tax", "Order total excluding tax"
        TOTAL_INC_TAX = "total_inc_tax", "Order total including tax"

    store = models.OneToOneField(
        "storefront.Store", on_delete=models.CASCADE, related_name="lifecycle_settings"
    )
    purchase_amount_field = models.CharField(
        max_length=20,
        choices=AmountField.choices,
        default=AmountField.SUBTOTAL_EX_TAX,
        help_text=(
            "Which BigCommerce total is sent to Friendbuy as the purchase amount. The default is the "
            "merchandise actually paid for: reward rules ('spend $50') are about goods, not tax or shipping."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "store settings"

    def __str__(self) -> str:
        return f"Settings for {self.store_id}"


__all__ = ["StoreSettings"]
