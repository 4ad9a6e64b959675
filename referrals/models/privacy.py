"""Email opt-outs reported by Friendbuy."""
from django.db import models


class EmailOptOut(models.Model):
    """A friend unsubscribed from share emails (emailOptOut webhook)."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="friendbuy_opt_outs")
    email = models.CharField(max_length=254)
    campaign_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "email", "campaign_id"], name="uniq_email_opt_out"),
        ]

    def __str__(self) -> str:
        return f"Opt-out {self.pk}"


__all__ = ["EmailOptOut"]
