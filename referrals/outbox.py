"""The outbox of calls to Friendbuy: enqueue in the domain transaction, send after commit, exactly once.

Friendbuy has no idempotency key (reference friendbuy §2.3), so "once" is ours to keep:
* one row per (store, kind, natural_key) — a database constraint, so concurrent writers insert once;
* a row is claimed (pending → sending, with a lease in `next_attempt_at`) in a short transaction
  before the HTTP call, so two workers never send the same row;
* this is the one layer that retries these POSTs: the transport does not resend a POST that may have
  arrived (storefront.http). 429, 5xx, timeouts and "not connected" go back to pending on the shared
  schedule (storefront.backoff); other 4xx are dead at once (Friendbuy refused the payload; retrying
  cannot help), response kept; every attempt is one OutboundCall row;
* after `MAX_ATTEMPTS` (≈ a day of backoff) a row is dead; dead and failed rows are replayable.

A worker that dies mid-call leaves a `sending` row whose lease expires; `outbox_dispatch_due`
then sends it again. That is the one window where Friendbuy could see a call twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from referrals.friendbuy.client import FriendbuyError
from referrals.friendbuy.clients import friendbuy_for
from referrals.friendbuy.selectors import connection_for_channel
from storefront.backoff import Backoff
from storefront.queueing import task_enqueue_on_commit
from storefront.redaction import scrubbing

from .models import FriendbuyCredentials, OutboxEvent

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
# OUTBOX_RETRY_BASE_SECONDS (60) doubling to 6 h: 12 attempts span roughly a day.
RETRY_SCHEDULE = Backoff(base=settings.OUTBOX_RETRY_BASE_SECONDS, cap=6 * 60 * 60)
SEND_LEASE = timedelta(minutes=5)
DUE_BATCH = 100
# Fields of a stored payload that identify a person; blanked by privacy erasure.
PERSONAL_FIELDS = ("email", "firstName", "lastName", "ipAddress", "userAgent")
PERSONAL_PROPERTIES = ("emailNormalizedHash", "deviceId")


def outbox_enqueue(
    *, store, kind: str, natural_key: str, payload: dict, order=None, identity=None, channel_id: int | None = None
) -> tuple[OutboxEvent, bool]:
    """The event for (store, kind, natural_key), created if new; a new event is sent after commit.

    `channel_id`: the storefront channel it is about; a channel with a Friendbuy connection of its own
    gets it sent with that connection (looked up when sent, see _deliver).

    Tries the INSERT first: callers enqueue what they believe is new (the purchase is checked under
    the order's row lock), so a lookup before it would be a second read of the same key.
    """
    try:
        with transaction.atomic():
            event = OutboxEvent.objects.create(
                store=store,
                kind=kind,
                natural_key=natural_key,
                payload=payload,
                order=order,
                identity=identity,
                channel_id=channel_id or None,
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        return OutboxEvent.objects.get(store=store, kind=kind, natural_key=natural_key), False
    task_enqueue_on_commit("referrals.outbox_send", event.pk)
    return event, True


def _claim(event_id: int, *, force: bool = False) -> OutboxEvent | None:
    """Move one due row to `sending` with a lease; None if it is not ours to send now.

    One conditional UPDATE: concurrent claimers serialise on the row, and the loser's WHERE no longer
    matches once the winner's lease is set, so exactly one of them gets the row.
    """
    now = timezone.now()
    sendable = Q(state__in=[OutboxEvent.State.PENDING, OutboxEvent.State.FAILED]) | Q(
        state=OutboxEvent.State.SENDING, next_attempt_at__lte=now
    )
    if not force:
        sendable &= Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimed = OutboxEvent.objects.filter(sendable, pk=event_id).update(
        state=OutboxEvent.State.SENDING,
        attempts=F("attempts") + 1,
        next_attempt_at=now + SEND_LEASE,
        updated_at=now,
    )
    if not claimed:
        return None
    return OutboxEvent.objects.select_related("store").get(pk=event_id)


def _call(event: OutboxEvent, connection: FriendbuyCredentials) -> dict:
    client = friendbuy_for(connection, fresh=True)
    payload = event.payload
    if event.kind == OutboxEvent.Kind.PURCHASE:
        return client.track_purchase(payload)
    if event.kind == OutboxEvent.Kind.SIGN_UP:
        return client.track_sign_up(payload)
    if event.kind == OutboxEvent.Kind.CUSTOMER:
        return client.upsert_customer(payload)
    if event.kind == OutboxEvent.Kind.ERASURE:
        # The request must name the email; the call log of it must not keep it.
        with scrubbing((payload.get("email"),)):
            return client.delete_user_data(
                email=payload.get("email") or None, customer_id=payload.get("customerId") or None
            )
    raise ValueError(f"Unknown outbox kind {event.kind!r}")


def _retry_later(event: OutboxEvent, *, status: int | None, response, error: str) -> None:
    if event.attempts >= MAX_ATTEMPTS:
        state, next_at = OutboxEvent.State.DEAD, None
    else:
        state = OutboxEvent.State.PENDING
        next_at = RETRY_SCHEDULE.next_attempt_at(event.attempts, now=timezone.now())
    _finish(event, state=state, status=status, response=response, error=error, next_attempt_at=next_at)


def _finish(
    event: OutboxEvent, *, state: str, status: int | None, response, error: str = "", next_attempt_at=None
) -> None:
    event.state, event.last_status, event.last_response = state, status, response
    event.last_error, event.next_attempt_at = error[:4000], next_attempt_at
    fields = ["state", "last_status", "last_response", "last_error", "next_attempt_at", "updated_at"]
    if state == OutboxEvent.State.SENT:
        event.sent_at = timezone.now()
        fields.append("sent_at")
        if event.kind == OutboxEvent.Kind.ERASURE:
            # The erasure request needed the email to reach Friendbuy; once accepted we forget it.
            event.payload = {**event.payload, "email": ""}
            fields.append("payload")
    event.save(update_fields=fields)


def _deliver(event: OutboxEvent) -> OutboxEvent:
    """Make the call of a claimed row and record the outcome."""
    # The channel's own Friendbuy merchant if it has one, else the store's: decided now, so a channel
    # connected or disconnected meanwhile sends its waiting events to the merchant it has today.
    connection = connection_for_channel(store_id=event.store_id, channel_id=event.channel_id)
    if connection is None:
        _retry_later(event, status=None, response=None, error="Friendbuy is not connected for this store.")
        return event
    try:
        body = _call(event, connection)
    except FriendbuyError as exc:
        error = f"{type(exc).__name__}: {exc}"
        if exc.retryable:
            _retry_later(event, status=exc.status, response=exc.body, error=error)
        else:
            _finish(event, state=OutboxEvent.State.DEAD, status=exc.status, response=exc.body, error=error)
        logger.warning("Outbox event %s (%s) not delivered: %s", event.pk, event.natural_key, error)
        return event
    except Exception as exc:
        # A bug or an unexpected answer: keep the row retryable and visible as failed.
        logger.exception("Outbox event %s crashed while sending.", event.pk)
        state = OutboxEvent.State.DEAD if event.attempts >= MAX_ATTEMPTS else OutboxEvent.State.FAILED
        _finish(
            event,
            state=state,
            status=None,
            response=None,
            error=f"{type(exc).__name__}: {exc}",
            next_attempt_at=None
            if state == OutboxEvent.State.DEAD
            else RETRY_SCHEDULE.next_attempt_at(event.attempts, now=timezone.now()),
        )
        return event
    _finish(event, state=OutboxEvent.State.SENT, status=200, response=body)
    if event.attempts > 1:
        _recovered(store_id=event.store_id)
    return event


def _recovered(*, store_id: int) -> int:
    """A retried row of this store went through: Friendbuy answers again. Rows still waiting out an outage's
    backoff (which grows to hours) are due now, so the next dispatch (every minute) sends them soon after
    recovery instead of hours later. Only after a retry succeeds, so a first send costs no extra query."""
    transient = Q(last_status__isnull=True) | Q(last_status=429) | Q(last_status__gte=500)
    now = timezone.now()
    return OutboxEvent.objects.filter(
        transient, store_id=store_id, state=OutboxEvent.State.PENDING, attempts__gt=0, next_attempt_at__gt=now
    ).update(next_attempt_at=now)


def outbox_send(*, event_id: int, force: bool = False) -> OutboxEvent | None:
    """Send one event if it is due (or `force`) and not sent or being sent; returns the row."""
    event = _claim(event_id, force=force)
    if event is None:
        return OutboxEvent.objects.filter(pk=event_id).first()
    return _deliver(event)


def outbox_dispatch_due(*, limit: int = DUE_BATCH) -> int:
    """Claim up to `limit` due rows (skipping rows another worker has locked) and send them."""
    now = timezone.now()
    due = Q(state__in=[OutboxEvent.State.PENDING, OutboxEvent.State.FAILED]) | Q(
        state=OutboxEvent.State.SENDING
    )
    with transaction.atomic():
        rows = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(due, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:limit]
        )
        for event in rows:
            event.state = OutboxEvent.State.SENDING
            event.attempts += 1
            event.next_attempt_at = now + SEND_LEASE
        OutboxEvent.objects.bulk_update(rows, ["state", "attempts", "next_attempt_at"])
    for event in rows:
        event.refresh_from_db()
        _deliver(event)
    return len(rows)


def outbox_replay(
    *,
    event_ids: list[int] | None = None,
    store=None,
    states: tuple[str, ...] = ("failed", "dead"),
    send_now: bool = True,
) -> int:
    """Give failed/dead events (never sent ones) a fresh set of attempts; returns how many were replayed."""
    queryset = OutboxEvent.objects.filter(state__in=states).exclude(state=OutboxEvent.State.SENT)
    if event_ids is not None:
        queryset = queryset.filter(pk__in=event_ids)
    if store is not None:
        queryset = queryset.filter(store=store)
    ids = list(queryset.values_list("pk", flat=True))
    OutboxEvent.objects.filter(pk__in=ids).update(
        state=OutboxEvent.State.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        last_error="",
    )
    if send_now:
        for event_id in ids:
            outbox_send(event_id=event_id)
    return len(ids)


def outbox_scrub_personal_data(*, queryset) -> int:
    """Blank the personal fields of stored payloads (privacy erasure); pending ones are cancelled."""
    changed = 0
    for event in queryset.exclude(kind=OutboxEvent.Kind.ERASURE).iterator():
        payload = {**event.payload, **{name: "" for name in PERSONAL_FIELDS if event.payload.get(name)}}
        extra = payload.get("additionalProperties")
        if isinstance(extra, dict):
            # A hash of the email still singles the shopper out.
            payload["additionalProperties"] = {k: v for k, v in extra.items() if k not in PERSONAL_PROPERTIES}
        fields = ["payload", "updated_at"]
        event.payload = payload
        if event.state != OutboxEvent.State.SENT:
            # Sending it now would re-create in Friendbuy the data the shopper asked to erase.
            event.state, event.last_error, event.next_attempt_at = (
                OutboxEvent.State.DEAD,
                "Customer erased.",
                None,
            )
            fields += ["state", "last_error", "next_attempt_at"]
        event.save(update_fields=fields)
        changed += 1
    return changed
