"""Sending loyalty custom events to Friendbuy, each once (LoyaltyEvent's deduplication id)."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from referrals.friendbuy.client import FriendbuyError
from referrals.friendbuy.clients import friendbuy_for
from referrals.models import (
    FriendbuyConnection,
    LoyaltyEvent,
)
from storefront.models import Store
from storefront.queueing import task_enqueue_on_commit

# A loyalty custom event that failed this many times is no longer retried (the admin index counts it).
LOYALTY_MAX_ATTEMPTS = 12


def loyalty_custom_event(*, store: Store, customer_id: str, email: str, event_type: str, deduplication_id: str,
                         properties: dict | None = None) -> LoyaltyEvent:
    """Owe Friendbuy a custom earning event (POST /v1/event/custom), once per deduplication id.

    The lifecycle outbox has no "custom" kind, so this keeps its own idempotency row (LoyaltyEvent)
    and sends after commit; Friendbuy also dedupes on (eventType, deduplicationId) (§2.5.3).
    """
    existing = LoyaltyEvent.objects.filter(store=store, deduplication_id=deduplication_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            event = LoyaltyEvent.objects.create(
                store=store, deduplication_id=deduplication_id[:120], event_type=event_type[:60],
                customer_id=str(customer_id)[:64], email=email, properties=properties or {},
            )
    except IntegrityError:
        return LoyaltyEvent.objects.get(store=store, deduplication_id=deduplication_id)
    task_enqueue_on_commit("referrals.loyalty_event_send", event.pk)
    return event


def loyalty_event_send(*, event: LoyaltyEvent) -> LoyaltyEvent:
    """Send one pending custom event; failures stay pending/failed for the next try."""

    if event.state == LoyaltyEvent.State.SENT:
        return event
    connection = FriendbuyConnection.objects.filter(store_id=event.store_id).select_related("store").first()
    if connection is None:
        LoyaltyEvent.objects.filter(pk=event.pk).update(state=LoyaltyEvent.State.FAILED,
                                                        last_error="Store not connected to Friendbuy")
        event.refresh_from_db()
        return event
    payload = {"email": event.email, "eventType": event.event_type, "customerId": event.customer_id,
               "deduplicationId": event.deduplication_id}
    if event.properties:
        payload["additionalProperties"] = {str(k): str(v) for k, v in event.properties.items()}
    try:
        answer = friendbuy_for(connection).track_custom_event(payload)
    except FriendbuyError as exc:
        LoyaltyEvent.objects.filter(pk=event.pk).update(state=LoyaltyEvent.State.FAILED, last_error=str(exc)[:2000],
                                                        attempts=event.attempts + 1)
        event.refresh_from_db()
        return event
    LoyaltyEvent.objects.filter(pk=event.pk).update(
        state=LoyaltyEvent.State.SENT, sent_at=timezone.now(), attempts=event.attempts + 1, last_error="",
        friendbuy_event_id=str((answer or {}).get("eventId") or "")[:64],
    )
    event.refresh_from_db()
    return event
