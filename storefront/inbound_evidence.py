"""What an inbound call leaves behind: bounded headers and body.

Authenticated calls (a webhook whose signature or secret checked out) are evidence we may replay, so
their body is kept whole (it is already capped by the endpoint's size limit). Anyone can make an
unauthenticated call, so it keeps only what an investigation needs: the size, the SHA-256 of the
whole body and its first 1 KB, with fewer and shorter headers. Together with the per-IP limit
(inbound_limits) that bounds what a flood can add to the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from .bounded_json import Body
from .redaction import redact_headers

UNAUTHENTICATED_BODY_BYTES = 1024
# (how many headers, how long each value): a caller controls both.
HEADER_LIMITS = {True: (64, 1024), False: (24, 256)}


def text_evidence(value: str) -> str:
    """A caller's text made storable: PostgreSQL text and JSON refuse NUL, so it becomes U+FFFD."""
    return value.replace("\x00", "\ufffd")


def headers_evidence(headers: Mapping[str, str], *, authenticated: bool) -> dict[str, str]:
    """The request's headers (e.g. request.headers), bounded and with secrets redacted."""
    count, length = HEADER_LIMITS[authenticated]
    shown = {
        text_evidence(str(name)[:64]): text_evidence(str(value)[:length]) for name, value in list(headers.items())[:count]
    }
    return redact_headers(shown)


def body_evidence(body: Body, *, authenticated: bool) -> dict:
    """The body columns of a delivery row: body, body_size, body_truncated, body_sha256."""
    kept = body.data if authenticated and not body.too_large else body.data[:UNAUTHENTICATED_BODY_BYTES]
    return {
        "body": text_evidence(kept.decode("utf-8", errors="replace")),
        "body_size": body.size,
        "body_truncated": len(kept) < body.size,
        "body_sha256": "" if body.too_large else hashlib.sha256(body.data).hexdigest(),
    }
