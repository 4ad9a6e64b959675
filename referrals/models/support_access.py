"""Which of a store's control-panel users may use the store's own support pages (lookup, review queue,
reward list), as the store owner granted: view, or view and act. The owner always acts; no row means no access."""
from django.db import models


class SupportGrant(models.Model):
    """The support role the store owner gave one other user of the same store."""

    class Role(models.TextChoices):
        NONE = "none", "No access"
        VIEW = "view", "View"
        ACT = "act", "View and act"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="support_grants")
    store_user = models.OneToOneField("storefront.StoreUser", on_delete=models.CASCADE, related_name="support_grant")
    role = models.CharField(max_length=4, choices=Role.choices, default=Role.NONE)
    granted_by = models.CharField(max_length=254, blank=True, help_text="The owner's email when it was set.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.store_user} → {self.role}"


__all__ = ["SupportGrant"]
