"""Per-store slots for bulk work (storefront.bulk): one row per slot held, unique per store and slot."""

from django.db import models

__all__ = ["BulkLease"]


class BulkLease(models.Model):
    """A bulk task of this store running now. The (store, slot) constraint caps how many run at once, across
    every worker; a row whose holder died is taken over once `expires_at` has passed."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="bulk_leases")
    slot = models.PositiveSmallIntegerField()
    holder = models.CharField(max_length=32, unique=True, help_text="Random token of the task holding it.")
    task = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "slot"], name="storefront_bulk_lease_slot")]

    def __str__(self) -> str:
        return f"{self.task or 'bulk'} on store {self.store_id} (slot {self.slot})"
