"""The registry that carries verified BigCommerce webhook deliveries to the apps that act on them.

storefront is the ground floor: it must not import referrals (or coupons, fraud). Those apps call
`register()` from their AppConfig.ready(); the inbox task calls `delivery_process()`, which runs
the handlers of the delivery's scope and records the outcome on the delivery row.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import datetime

from django.db.models import F
from django.utils import timezone

from .models import Store, WebhookDelivery

logger = logging.getLogger(__name__)

Handler = Callable[[WebhookDelivery], None]
_registry: list[tuple[str, Handler]] = []


def register(scope_prefix: str, handler: Handler) -> None:
    """Run `handler` for every verified delivery whose scope starts with `scope_prefix` (idempotent)."""
    if (scope_prefix, handler) not in _registry:
        _registry.append((scope_prefix, handler))


def handlers_for(scope: str) -> list[Handler]:
    return [handler for prefix, handler in _registry if scope.startswith(prefix)]


def is_handled(scope: str) -> bool:
    """True when some app subscribed to this scope; the inbox answers 400 to any other scope."""
    return bool(scope) and bool(handlers_for(scope))


def dispatch(delivery: WebhookDelivery) -> None:
    """Run every handler of the delivery's scope; exceptions propagate to the caller."""
    handlers = handlers_for(delivery.scope)
    if not handlers:
        raise LookupError(f"No handler is registered for scope {delivery.scope!r}.")
    for handler in handlers:
        handler(delivery)


def delivery_process(*, delivery_id: int, only_received: bool = False) -> WebhookDelivery | None:
    """Process one valid, non-duplicate delivery and record processed/failed with the traceback.

    Safe to run again (admin replay): handlers re-fetch the resource and write idempotently. With
    `only_received`, a delivery that has already been processed, failed or been refused is left alone.
    """
    delivery = WebhookDelivery.objects.select_related("store").filter(pk=delivery_id).first()
    if delivery is None or not delivery.valid or delivery.status == WebhookDelivery.Status.DUPLICATE:
        return delivery
    if only_received and delivery.status != WebhookDelivery.Status.RECEIVED:
        return delivery
    if delivery.store.status != Store.Status.INSTALLED:
        # The inbox may have accepted it from its few-second store memory (webhook_stores) just as the
        # store was uninstalled: act on nothing, as the inbox itself does for an uninstalled store.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.REJECTED,
            error="The store was not installed when this delivery was processed; ignored.",
        )
        delivery.refresh_from_db()
        return delivery
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
    try:
        dispatch(delivery)
    except Exception as exc:
        logger.exception("Webhook delivery %s (%s) failed.", delivery.pk, delivery.scope)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            traceback=traceback.format_exc()[-20000:],
        )
    else:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.PROCESSED,
            error="",
            traceback="",
            processed_at=timezone.now(),
        )
    delivery.refresh_from_db()
    return delivery


def deliveries_process_received(*, delivery_ids: list[int]) -> None:
    """Process, in turn, those of these deliveries still waiting ("received") (a batch from the inbox).

    A batch message delivered twice (the worker died before acknowledging it) skips what was done.
    """
    for delivery_id in delivery_ids:
        delivery_process(delivery_id=delivery_id, only_received=True)


def deliveries_unprocessed(*, received_before: datetime, max_attempts: int, limit: int) -> list[int]:
    """Ids of valid deliveries still waiting to be processed, oldest first (the sweeper's read).

    "Received" and older than `received_before` means their enqueue failed or was lost, or a worker
    died while processing one; a delivery tried `max_attempts` times is left for a person to replay.
    """
    return list(
        WebhookDelivery.objects.filter(
            valid=True,
            status=WebhookDelivery.Status.RECEIVED,
            received_at__lt=received_before,
            attempts__lt=max_attempts,
        )
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def deliveries_replay(*, delivery_ids: list[int]) -> int:
    """Process the given valid deliveries again; duplicates and rejected calls are skipped. Returns the count."""
    replayed = 0
    for delivery_id in (
        WebhookDelivery.objects.filter(pk__in=delivery_ids, valid=True)
        .exclude(status=WebhookDelivery.Status.DUPLICATE)
        .values_list("pk", flat=True)
    ):
        delivery_process(delivery_id=delivery_id)
        replayed += 1
    return replayed
