"""Faults the sandbox can inject into its own answers, so tests can prove the retry rules."""
from django.db import models


class SandboxFault(models.Model):
    """The next `remaining` matching requests get this answer instead of the real one."""

    class Kind(models.TextChoices):
        STATUS = "status", "HTTP status"
        TIMEOUT = "timeout", "Timeout"

    service = models.CharField(max_length=16, help_text="bigcommerce or friendbuy")
    method = models.CharField(max_length=8, blank=True, help_text="Empty matches every method.")
    path_contains = models.CharField(max_length=255, blank=True, help_text="Empty matches every path.")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.STATUS)
    status = models.PositiveSmallIntegerField(default=503)
    headers = models.JSONField(default=dict, blank=True)
    body = models.JSONField(null=True, blank=True)
    remaining = models.PositiveIntegerField(default=1)
    hits = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.service} {self.method or '*'} {self.path_contains or '*'} → {self.kind} {self.status}"
