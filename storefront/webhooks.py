"""Inbound BigCommerce webhooks: POST /bigcommerce/webhooks/<public_id>.

Order of work (DESIGN.md §3.1-3.3, 3.8): the raw delivery is always stored, with the verdict of the
per-store secret check (constant time) and the payload validation; a valid delivery claims its dedupe
key in the same INSERT (webhook_rows), committed before we answer; its id is handed to the processing
queue (webhook_queue, which publishes tasks in batches) and we answer 200. A delivery whose queueing
fails is still stored and is queued by the sweeper (tasks.webhook_deliveries_sweep). The body is
untrusted until the secret matches: nothing in it is looked at before that check except to record it.

BigCommerce signs nothing (reference §2.5): the secret travels as a custom header we set when we
registered the hook, and the URL's opaque public id tells us which store's secret to expect. The
store behind a public id is remembered per process for a few seconds (webhook_stores, which says
why an uninstall and a rotated secret still take effect promptly).
"""

from __future__ import annotations

import hmac
import json
import traceback
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .client_ip import client_ip
from .handlers import is_handled
from .models import WebhookDelivery
from .redaction import redact_headers
from .webhook_queue import webhook_delivery_queue
from .webhook_rows import webhook_delivery_insert
from .webhook_stores import WebhookStore, webhook_store_get

SECRET_HEADER = "X-Webhook-Secret"
MAX_BODY_BYTES = 1024 * 1024
STORED_PREFIX_BYTES = 4096
# Headers are evidence, but a caller controls them: keep a bounded number of bounded values.
MAX_HEADERS, MAX_HEADER_VALUE = 64, 1024


@dataclass(frozen=True)
class InboxAnswer:
    status: int
    message: str
    delivery_id: int
    to_process: bool = False


def _headers(request: HttpRequest) -> dict[str, str]:
    shown = {}
    for name, value in list(request.headers.items())[:MAX_HEADERS]:
        shown[name] = str(value)[:MAX_HEADER_VALUE]
    return redact_headers(shown)


def _read_body(request: HttpRequest) -> tuple[bytes, bool, int]:
    """(body, too_large, bytes_read): read at most the limit + 1 so a huge body never sits in memory."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        prefix = request.read(STORED_PREFIX_BYTES)
        return prefix, True, int(declared)
    body = request.read(MAX_BODY_BYTES + 1)
    return body, len(body) > MAX_BODY_BYTES, len(body)


def _validate(payload: object, store: WebhookStore) -> tuple[str, str, str] | str:
    """(scope, resource id, hash) of a well-formed payload for this store, else the reason it is not."""
    if not isinstance(payload, dict):
        return "The body is not a JSON object."
    scope = payload.get("scope")
    if not isinstance(scope, str) or not scope:
        return "The payload has no scope."
    if not is_handled(scope):
        return f"Unknown scope {scope[:100]!r}."
    data = payload.get("data")
    resource_id = data.get("id") if isinstance(data, dict) else None
    if (
        isinstance(resource_id, bool)
        or not isinstance(resource_id, int | str)
        or str(resource_id).strip() == ""
    ):
        return "The payload has no data.id."
    if payload.get("producer") != f"stores/{store.store_hash}":
        return "The payload's producer does not match this store."
    digest = payload.get("hash")
    digest = digest if isinstance(digest, str) else ""
    return scope, str(resource_id)[:64], digest[:64]


@dataclass(frozen=True)
class _Verdict:
    status: int
    message: str
    state: str = WebhookDelivery.Status.REJECTED
    scope: str = ""
    resource_id: str = ""
    hash: str = ""
    valid: bool = False


def _judge(store: WebhookStore | None, *, body: bytes, too_large: bool, secret_header: str | None) -> _Verdict:
    """Decide what a call deserves. Pure: reads the body, touches no domain data, writes nothing."""
    if store is None:
        return _Verdict(404, "Unknown webhook URL.")
    if too_large:
        return _Verdict(413, f"Body larger than {MAX_BODY_BYTES} bytes.")
    expected = (store.webhook_secret or "").encode()
    if not secret_header or not expected or not hmac.compare_digest(secret_header.encode(), expected):
        return _Verdict(401, "Missing or wrong webhook secret.")
    if not store.installed:
        # A hook left behind after uninstall: acknowledge so BigCommerce stops, act on nothing.
        return _Verdict(200, "Store is not installed; ignored.")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _Verdict(400, "The body is not valid JSON.")
    checked = _validate(payload, store)
    if isinstance(checked, str):
        return _Verdict(400, checked)
    scope, resource_id, digest = checked
    return _Verdict(200, "Accepted.", WebhookDelivery.Status.RECEIVED, scope, resource_id, digest, valid=True)


def webhook_receive(
    *,
    public_id: str,
    body: bytes,
    too_large: bool,
    size: int,
    headers: dict[str, str],
    secret_header: str | None,
    remote_ip: str | None,
) -> InboxAnswer:
    """Record one inbound call and decide the answer; `to_process` says whether the caller must enqueue it.

    The raw call and its verdict are written in one INSERT (one commit on the hot path). The verdict
    is computed first but is pure, and if computing it fails the raw call is still stored, with the
    traceback, before we answer 500 (so BigCommerce retries). Queueing is the caller's job, once the
    row is committed: a row that is never queued is picked up by the sweeper
    (tasks.webhook_deliveries_sweep), so no accepted delivery is lost.
    """
    store = webhook_store_get(public_id=public_id)
    raw = {
        "store_id": store.id if store else None,
        "public_id": public_id[:64],
        "remote_ip": remote_ip,
        "headers": headers,
        "body": body[: STORED_PREFIX_BYTES if too_large else MAX_BODY_BYTES].decode(
            "utf-8", errors="replace"
        ),
        "body_size": size,
        "body_truncated": too_large,
    }
    try:
        verdict = _judge(store, body=body, too_large=too_large, secret_header=secret_header)
        if verdict.status == 401 and store is not None:
            # The remembered secret may have been rotated since: ask the database before refusing.
            store = webhook_store_get(public_id=public_id, fresh=True)
            raw["store_id"] = store.id if store else None
            verdict = _judge(store, body=body, too_large=too_large, secret_header=secret_header)
    except Exception as exc:
        delivery_id = webhook_delivery_insert(
            values={
                **raw,
                "status": WebhookDelivery.Status.FAILED,
                "response_status": 500,
                "error": f"{type(exc).__name__}: {exc}"[:2000],
                "traceback": traceback.format_exc()[-20000:],
            },
            claim=False,
        )
        return InboxAnswer(500, "Internal error; recorded.", delivery_id)
    fields = {
        **raw,
        "scope": verdict.scope,
        "resource_id": verdict.resource_id,
        "hash": verdict.hash,
        "valid": verdict.valid,
        "status": verdict.state,
        "response_status": verdict.status,
        "error": "" if verdict.status == 200 else verdict.message,
    }
    if not verdict.valid:
        return InboxAnswer(verdict.status, verdict.message, webhook_delivery_insert(values=fields, claim=False))
    delivery_id = webhook_delivery_insert(values=fields, claim=True)
    if delivery_id is None:
        # A valid copy already holds (store, scope, resource id, hash): keep this one as evidence only.
        duplicate = {**fields, "status": WebhookDelivery.Status.DUPLICATE}
        return InboxAnswer(
            200, "Duplicate delivery; already received.", webhook_delivery_insert(values=duplicate, claim=False)
        )
    return InboxAnswer(200, verdict.message, delivery_id, to_process=True)


@csrf_exempt
@require_POST
@transaction.non_atomic_requests  # the row must be committed before we answer, whatever the settings
def bigcommerce_webhook(request: HttpRequest, public_id: str) -> HttpResponse:
    body, too_large, size = _read_body(request)
    result = webhook_receive(
        public_id=public_id,
        body=body,
        too_large=too_large,
        size=size,
        headers=_headers(request),
        secret_header=request.headers.get(SECRET_HEADER),
        remote_ip=client_ip(request),
    )
    if result.to_process:
        webhook_delivery_queue(delivery_id=result.delivery_id)
    return JsonResponse({"status": result.status, "message": result.message}, status=result.status)
