"""Control-panel load tokens already used: a signed /load link opens the app once."""

from django.db import models

__all__ = ["UsedSignedPayload"]


class UsedSignedPayload(models.Model):
    """One verified `signed_payload_jwt` that opened the app, kept until the token itself expires.

    `key` is sha256 of the token's `jti` (or of `iat`, `sub` and the user when it has none), so the table
    holds no token and a replay of the same link, from any process, hits the unique constraint.
    """

    key = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Load token {self.key[:12]}… (until {self.expires_at:%Y-%m-%d %H:%M})"
