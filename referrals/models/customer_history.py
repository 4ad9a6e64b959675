"""What BigCommerce told us about a customer's orders before we saw any: one row per store and customer."""
from django.db import models


class CustomerOrderHistory(models.Model):
    """Whether a customer had an earlier order in BigCommerce than the first paid one we saw (isNewCustomer).

    Asked once per customer (referrals.orders.customer_history); afterwards our own order snapshots,
    which hold that first order, answer. The key is the Friendbuy customerId (the BigCommerce id, or the
    guest surrogate `guest-<hash>`), so the row holds no email.
    """

    class Source(models.TextChoices):
        BIGCOMMERCE = "bigcommerce", "BigCommerce's order list"
        LOCAL = "local", "Our own order history (no call needed)"
        FAILED = "failed", "Lookup failed (isNewCustomer was guessed from our own history)"

    store = models.ForeignKey(
        "storefront.Store", on_delete=models.CASCADE, related_name="customer_order_histories"
    )
    customer_key = models.CharField(
        max_length=64, help_text="Friendbuy customerId: the BigCommerce customer id, or guest-<hash> for guests."
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    asked_for_order_id = models.BigIntegerField(
        help_text="The order whose earlier orders were looked for (the answer covers lower order ids)."
    )
    earlier_order_id = models.BigIntegerField(
        null=True, blank=True, help_text="The first earlier order that counts; empty: none (a new customer)."
    )
    error = models.TextField(blank=True, help_text="Why the lookup failed (source 'failed').")
    checked_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "customer order histories"
        constraints = [
            models.UniqueConstraint(fields=["store", "customer_key"], name="uniq_customer_order_history")
        ]

    def __str__(self) -> str:
        return f"Order history of customer {self.customer_key}"

    @property
    def answered(self) -> bool:
        return self.source != self.Source.FAILED


__all__ = ["CustomerOrderHistory"]
