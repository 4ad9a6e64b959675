"""Single use for the control panel's `signed_payload_jwt` on /load (a copied or logged link can't be
replayed for the token's lifetime): the first use claims the token's key in the database (one row per
token, unique), which holds across every web process; expired keys are deleted as new ones arrive.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .jwt import LEEWAY_SECONDS, InvalidSignedPayload
from .replay_models import UsedSignedPayload


def _key(claims: dict) -> str:
    jti = claims.get("jti")
    if jti:
        basis = f"jti:{jti}"
    else:
        user = claims.get("user") if isinstance(claims.get("user"), dict) else {}
        basis = f"iat:{claims.get('iat')}:{claims.get('sub')}:{user.get('id')}"
    return hashlib.sha256(basis.encode()).hexdigest()


def signed_payload_use_once(*, claims: dict) -> None:
    """Claim a verified token for its one use; InvalidSignedPayload when it was used before."""
    expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=UTC) + timedelta(seconds=LEEWAY_SECONDS)
    UsedSignedPayload.objects.filter(expires_at__lt=timezone.now()).delete()
    try:
        with transaction.atomic():
            UsedSignedPayload.objects.create(key=_key(claims), expires_at=expires_at)
    except IntegrityError as exc:
        raise InvalidSignedPayload("this signed link was already used") from exc
