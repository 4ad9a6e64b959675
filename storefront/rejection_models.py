"""Widget API calls refused before their body could be read (too large, nested too deep, not JSON).

The webhook inboxes keep their refused calls in their own delivery tables; the widget API has no such
table, and its callers are anonymous shoppers' browsers (or anyone), so what it refuses is kept here,
bounded like every unauthenticated record: size, SHA-256 and the first 1 KB, rate limited per client IP.
"""

from django.db import models

__all__ = ["RejectedCall"]


class RejectedCall(models.Model):
    """One refused call to /api/storefront/v1/ whose body we would not parse."""

    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    path = models.CharField(max_length=200)
    public_id = models.CharField(max_length=64, blank=True, help_text="X-Store-Id (or ?store=) as sent.")
    remote_ip = models.GenericIPAddressField(null=True, blank=True)
    status = models.PositiveSmallIntegerField(help_text="What we answered.")
    reason = models.CharField(max_length=255)
    user_agent = models.CharField(max_length=255, blank=True)
    body_prefix = models.TextField(blank=True, help_text="The first 1 KB of the body.")
    body_size = models.PositiveIntegerField(default=0, help_text="Bytes the caller sent (or declared).")
    body_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 (hex) of the whole body; empty when too large to read."
    )

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.status} {self.path} ({self.reason[:40]})"
