"""The BigCommerce webhook inbox: what POST /bigcommerce/webhooks/<public_id> records and answers
(the view, storefront.webhooks.views, only translates HTTP and queues the accepted delivery).

Order of work (DESIGN.md §3.1-3.3, 3.8): every call is stored; a valid delivery claims its dedupe key
in the same INSERT (delivery_insert), committed before we answer; its id is handed to the processing
queue (delivery_queue, which publishes tasks in batches). A delivery whose queueing fails is still
stored and is queued by the sweeper (tasks.webhook_deliveries_sweep). The body is untrusted until
the call is authenticated: nothing in it is parsed before that.

Authentication (reference §2.5): a Standard Webhooks signature keyed with the app's client secret
(signatures) when BigCommerce sends one, and the per-store secret header we registered the
hook with (`X-Webhook-Secret`, constant-time), which is the only factor when no signature arrives.
The URL's opaque public id says which store's secret to expect; the store behind it is remembered
per process for a few seconds (store_lookup).

Answers. A non-2xx lowers the success ratio of the app's whole destination domain, and under 90 %
BigCommerce blocklists every store's hooks (§2.4), so an authenticated call always gets 2xx with an
empty body, even when we cannot use it (store uninstalled, body not JSON or nested too deep, unknown
scope, no data.id where the scope has one, another store's producer): it is recorded as rejected with its
reason. `store/information/updated` carries no data.id; its resource id is `store@<created_at>`. Otherwise:
- 401: a signature that is present but bad, partial or stale (even if the secret header matches), or
  a missing or wrong secret header;
- 404: an unknown public id without a valid signature (nothing says who sent it). With a valid
  BigCommerce signature it is 200 (a hook of a store we no longer know; recorded as rejected);
- 413: a body over 1 MiB (never read whole, so never authenticated);
- 429: an unauthenticated caller over INBOUND_UNAUTHENTICATED_RATE (storefront.inbound_limits), not recorded;
- 500: our own failure while deciding, recorded with its traceback (BigCommerce retries).
Authenticated calls are stored whole; the others as size, SHA-256 and the first 1 KB
(storefront.inbound_evidence).
"""

from __future__ import annotations

import hmac
import traceback
from collections.abc import Mapping
from dataclasses import dataclass

from ..bounded_json import Body, BoundedJSONError, json_parse
from ..inbound_evidence import body_evidence, headers_evidence, text_evidence
from ..inbound_limits import unauthenticated_call_allowed
from .delivery_insert import webhook_delivery_insert
from .handlers import is_handled
from .models import WebhookDelivery
from .signatures import Signature, signature_verify
from .store_lookup import WebhookStore, webhook_store_get

SECRET_HEADER = "X-Webhook-Secret"
MAX_BODY_BYTES = 1024 * 1024
WRONG_SECRET = "Missing or wrong webhook secret."
# Scopes whose payload names no resource (webhooks.v3.yml store_information_updated: data is {type: store}).
SCOPES_WITHOUT_ID = frozenset({"store/information/updated"})


@dataclass(frozen=True)
class InboxAnswer:
    status: int
    message: str
    delivery_id: int | None
    to_process: bool = False


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
    if scope in SCOPES_WITHOUT_ID and resource_id is None and isinstance(data, dict):
        # `{"type": "store"}` only, so its hash is the same for every event: the event's time tells
        # one change from the next (a retry of the same event keeps it).
        created_at = payload.get("created_at")
        resource_id = f"{data.get('type') or 'store'}@{created_at if isinstance(created_at, int) else ''}"
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
    return scope, text_evidence(str(resource_id)[:64]), text_evidence(digest[:64])


@dataclass(frozen=True)
class _Verdict:
    status: int
    message: str
    authenticated: bool
    signature_verified: bool = False
    state: str = WebhookDelivery.Status.REJECTED
    scope: str = ""
    resource_id: str = ""
    hash: str = ""
    valid: bool = False


def _judge(store: WebhookStore | None, *, body: Body, headers: Mapping[str, str]) -> _Verdict:
    """Decide what a call deserves (see the module docstring). Pure: touches no domain data, writes nothing."""
    if body.too_large:
        return _Verdict(413, f"Body larger than {MAX_BODY_BYTES} bytes.", authenticated=False)
    signature, refusal = signature_verify(body=body.data, headers=headers)
    if signature is Signature.INVALID:
        return _Verdict(401, refusal, authenticated=False)
    signed = signature is Signature.VALID
    if store is None:
        if signed:
            return _Verdict(200, "Unknown webhook URL (signed by BigCommerce); ignored.", True, True)
        return _Verdict(404, "Unknown webhook URL.", authenticated=False)
    expected = (store.webhook_secret or "").encode()
    secret_header = headers.get(SECRET_HEADER) or ""
    if not secret_header or not expected or not hmac.compare_digest(secret_header.encode(), expected):
        return _Verdict(401, WRONG_SECRET, authenticated=False, signature_verified=signed)
    if not store.installed:
        # A hook left behind after uninstall: acknowledge so BigCommerce stops, act on nothing.
        return _Verdict(200, "Store is not installed; ignored.", True, signed)
    try:
        payload = json_parse(body.data, max_bytes=MAX_BODY_BYTES)
    except BoundedJSONError as exc:
        return _Verdict(200, str(exc), True, signed)
    checked = _validate(payload, store)
    if isinstance(checked, str):
        return _Verdict(200, checked, True, signed)
    scope, resource_id, digest = checked
    return _Verdict(
        200, "Accepted.", True, signed, WebhookDelivery.Status.RECEIVED, scope, resource_id, digest, valid=True
    )


def webhook_receive(
    *, public_id: str, body: Body, headers: Mapping[str, str], remote_ip: str | None
) -> InboxAnswer:
    """Record one inbound call and decide the answer; `to_process` says whether the caller must enqueue it.

    `headers` must look names up case-insensitively (request.headers does). The raw call and its verdict
    are written in one INSERT (one commit on the hot path). If computing the verdict fails, the call
    is still stored (bounded), with the traceback, before we answer 500 (so BigCommerce retries).
    Queueing is the caller's job once the row is committed; a row never queued is picked up by the
    sweeper (tasks.webhook_deliveries_sweep), so no accepted delivery is lost.
    """
    # A NUL can't be looked up in PostgreSQL (nor stored): such an id names no store.
    store = None if "\x00" in public_id else webhook_store_get(public_id=public_id)
    raw = {"public_id": text_evidence(public_id[:64]), "remote_ip": remote_ip}
    try:
        verdict = _judge(store, body=body, headers=headers)
        if verdict.message == WRONG_SECRET and store is not None:
            # The remembered secret may have been rotated since: ask the database before refusing.
            store = webhook_store_get(public_id=public_id, fresh=True)
            verdict = _judge(store, body=body, headers=headers)
    except Exception as exc:
        delivery_id = webhook_delivery_insert(
            values={
                **raw,
                **body_evidence(body, authenticated=False),
                "store_id": store.id if store else None,
                "headers": headers_evidence(headers, authenticated=False),
                "status": WebhookDelivery.Status.FAILED,
                "response_status": 500,
                "error": f"{type(exc).__name__}: {exc}"[:2000],
                "traceback": traceback.format_exc()[-20000:],
            },
            claim=False,
        )
        return InboxAnswer(500, "Internal error; recorded.", delivery_id)
    if not verdict.authenticated and not unauthenticated_call_allowed(ip=remote_ip):
        return InboxAnswer(429, "Too many unauthenticated calls; not recorded.", None)
    fields = {
        **raw,
        **body_evidence(body, authenticated=verdict.authenticated),
        "store_id": store.id if store else None,
        "headers": headers_evidence(headers, authenticated=verdict.authenticated),
        "authenticated": verdict.authenticated,
        "signature_verified": verdict.signature_verified,
        "scope": verdict.scope,
        "resource_id": verdict.resource_id,
        "hash": verdict.hash,
        "valid": verdict.valid,
        "status": verdict.state,
        "response_status": verdict.status,
        "error": "" if verdict.valid else text_evidence(verdict.message),
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
