"""Receiving a Friendbuy call (webhook or validation callback): the body stored before the answer, the signature
checked in constant time, unauthenticated calls recorded bounded; the views in inbox/views.py answer."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.http import JsonResponse
from django.utils import timezone

from referrals.friendbuy.selectors import channel_webhook_secrets
from referrals.friendbuy.signatures import SIGNATURE_HEADER, verify_friendbuy_signature
from referrals.inbox.process import D
from referrals.models import (
    FriendbuyDelivery,
)
from storefront.bounded_json import Body, BoundedJSONError, json_parse
from storefront.inbound_evidence import body_evidence, headers_evidence, text_evidence
from storefront.inbound_limits import unauthenticated_call_allowed
from storefront.models import Store

MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class Received:
    """One inbound call's outcome: its row (None when it was over the unauthenticated limit), the answer's
    status and message, and the parsed body when it is verified and well formed."""

    delivery: FriendbuyDelivery | None
    http_status: int
    error: str
    payload: dict | None = None


def _verdict(*, kind: str, store: Store | None, secret: str, body: Body,
             signature: str | None) -> tuple[bool, str, int, str, dict | None]:
    """(signature verified, status, HTTP status, error, payload). Pure: nothing is written."""
    if body.too_large:
        return False, D.Status.MALFORMED, 413, f"Body larger than {MAX_BODY} bytes", None
    if store is None:
        return False, D.Status.UNKNOWN_STORE, 404, "Unknown store", None
    if not verify_friendbuy_signature(body.data, signature, secret):
        error = "Store not connected to Friendbuy" if not secret else "Bad or missing signature"
        return False, D.Status.BAD_SIGNATURE, 401, error, None
    try:
        payload = json_parse(body.data, max_bytes=MAX_BODY)
    except BoundedJSONError as exc:
        return True, D.Status.MALFORMED, 400, str(exc), None
    if not isinstance(payload, dict) or (kind == D.Kind.WEBHOOK and not isinstance(payload.get("data"), list)):
        return True, D.Status.MALFORMED, 400, "Body is not the documented JSON envelope", None
    return True, D.Status.RECEIVED, 200, "", payload


def delivery_receive(*, kind: str, public_id: str, body: Body, headers: Mapping[str, str],
                     remote_ip: str | None) -> Received:
    """Verify the call and store it before anything is answered or processed.

    Verified calls are stored whole; the others (unknown store, bad signature, oversized) as size,
    SHA-256 and first 1 KB, and not at all past INBOUND_UNAUTHENTICATED_RATE per client IP (429).
    `headers` must look names up case-insensitively (request.headers does).
    """
    # A NUL can't be looked up in PostgreSQL (nor stored): such an id names no store.
    known = public_id and "\x00" not in public_id
    store = Store.objects.select_related("friendbuy").filter(public_id=public_id).first() if known else None
    connection = getattr(store, "friendbuy", None) if store is not None else None
    secret = connection.webhook_secret if connection is not None else ""
    signature = headers.get(SIGNATURE_HEADER)
    if secret and signature and not body.too_large and not verify_friendbuy_signature(body.data, signature, secret):
        # Not the store's merchant: maybe a storefront channel's own (asked only then, so the usual call
        # costs no query for it).
        secret = next((other for other in channel_webhook_secrets(store=store)
                       if verify_friendbuy_signature(body.data, signature, other)), secret)
    valid, status, http_status, error, payload = _verdict(
        kind=kind, store=store, secret=secret, body=body, signature=signature)
    if not valid and not unauthenticated_call_allowed(ip=remote_ip):
        return Received(None, 429, "Too many unauthenticated calls; not recorded")
    delivery = FriendbuyDelivery.objects.create(
        store=store, kind=kind, public_id=text_evidence(public_id[:64]), headers=headers_evidence(headers, authenticated=valid),
        **body_evidence(body, authenticated=valid),
        remote_ip=remote_ip or None, valid=valid, status=status, http_status=http_status, error=text_evidence(error),
        webhook_id=text_evidence(str((payload or {}).get("id") or "")[:64]),
        event_type=text_evidence(str((payload or {}).get("type") or (payload or {}).get("eventType") or "")[:40]),
        processed_at=timezone.now() if http_status != 200 else None,
    )
    return Received(delivery, http_status, error, payload)


def refusal_response(received: Received, *, key: str) -> JsonResponse:
    """The answer to a call we will not act on: {key: reason}, with Retry-After when it was over the limit."""
    response = JsonResponse({key: received.error}, status=received.http_status)
    if received.http_status == 429:
        response["Retry-After"] = "60"
    return response
