"""Processing of stored BigCommerce webhook deliveries: run, record, retry, dead-letter, replay.

The inbox task calls `delivery_process()` or `deliveries_process_received()`, which run the handlers
the other apps registered for each delivery's scope (storefront.webhooks.handlers) and record the outcome
on the delivery rows.

A resource handler re-fetches the resource and acts on its current state, not on what the delivery
said (BigCommerce payloads carry only ids). So one run serves every delivery of the same store and
resource in a batch: placing an order fires created, statusUpdated and updated within milliseconds,
and the inbox's queue hands them to one task, where they cost one re-fetch instead of three. That
saves the store's API rate limit as much as our CPU.

Nothing fails forever in silence: a failed run (e.g. BigCommerce answered 5xx to the re-fetch) leaves
its deliveries "failed" with `next_attempt_at` on the shared schedule (storefront.backoff), and
`deliveries_retry_due` (beat) runs them again; after MAX_ATTEMPTS they are dead letters, counted in
the admin and replayable there or with `manage.py replay --queue webhooks`.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, TextField, Value
from django.db.models.functions import Concat, Left
from django.utils import timezone

from ..backoff import DELIVERY_MAX_ATTEMPTS, DELIVERY_RETRY_SCHEDULE
from ..models import Store
from ..redaction import scrub
from .handlers import DeliveryRejected, DeliveryRetryLater, handlers_group_key, handlers_run
from .models import WebhookDelivery

logger = logging.getLogger(__name__)

MAX_ATTEMPTS, RETRY_SCHEDULE = DELIVERY_MAX_ATTEMPTS, DELIVERY_RETRY_SCHEDULE
# A claimed retry is not claimed again by the next run for this long (a worker that dies mid-run
# leaves the rows to a later run instead of to nobody).
RETRY_LEASE = timedelta(minutes=10)
RETRY_BATCH = 200


def _refuse_uninstalled(deliveries: Sequence[WebhookDelivery]) -> None:
    # The inbox may have accepted them from its few-second store memory (store_lookup) just as the
    # store was uninstalled: act on nothing, as the inbox itself does for an uninstalled store.
    WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        status=WebhookDelivery.Status.REJECTED,
        error="The store was not installed when this delivery was processed; ignored.",
        next_attempt_at=None,
    )


def _process_group(deliveries: Sequence[WebhookDelivery]) -> None:
    """Run the handlers once for these deliveries (one, or one resource's) and record the outcome on each."""
    ids = [delivery.pk for delivery in deliveries]
    WebhookDelivery.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1)
    try:
        handlers_run(deliveries)
    except DeliveryRejected as exc:
        logger.warning("Webhook deliveries %s (%s) rejected: %s", ids, deliveries[0].scope, exc)
        WebhookDelivery.objects.filter(pk__in=ids).update(
            status=WebhookDelivery.Status.REJECTED, error=scrub(str(exc))[:2000], traceback=""
        )
    except DeliveryRetryLater as exc:
        logger.warning("Webhook deliveries %s (%s) wait for a retry: %s", ids, deliveries[0].scope, exc)
        _record_failure(ids, error=scrub(f"Will retry: {exc}"), trace="")
    except Exception as exc:
        logger.exception("Webhook deliveries %s (%s) failed.", ids, deliveries[0].scope)
        _record_failure(
            ids, error=scrub(f"{type(exc).__name__}: {exc}"), trace=scrub(traceback.format_exc())
        )
    else:
        WebhookDelivery.objects.filter(pk__in=ids).update(
            status=WebhookDelivery.Status.PROCESSED,
            error="",
            traceback="",
            processed_at=timezone.now(),
            next_attempt_at=None,
        )


def _record_failure(ids: list[int], *, error: str, trace: str) -> None:
    """Failed, due again on the schedule of each row's attempts; or a dead letter once they are used up."""
    now = timezone.now()
    for delivery_id, attempts in WebhookDelivery.objects.filter(pk__in=ids).values_list("pk", "attempts"):
        dead = attempts >= MAX_ATTEMPTS
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=WebhookDelivery.Status.DEAD if dead else WebhookDelivery.Status.FAILED,
            next_attempt_at=None if dead else RETRY_SCHEDULE.next_attempt_at(attempts, now=now),
            error=error[:2000],
            traceback=trace[-20000:],
        )


def _processable(delivery: WebhookDelivery) -> bool:
    return delivery.valid and delivery.status != WebhookDelivery.Status.DUPLICATE


def delivery_process(*, delivery_id: int, only_received: bool = False) -> WebhookDelivery | None:
    """Process one valid, non-duplicate delivery and record processed/failed with the traceback.

    Safe to run again (admin replay): handlers re-fetch the resource and write idempotently. With
    `only_received`, a delivery that has already been processed, failed or been refused is left alone.
    """
    delivery = WebhookDelivery.objects.select_related("store").filter(pk=delivery_id).first()
    if delivery is None or not _processable(delivery):
        return delivery
    if only_received and delivery.status != WebhookDelivery.Status.RECEIVED:
        return delivery
    if delivery.store.status != Store.Status.INSTALLED:
        _refuse_uninstalled([delivery])
    else:
        _process_group([delivery])
    delivery.refresh_from_db()
    return delivery


def deliveries_process_received(*, delivery_ids: list[int]) -> None:
    """Process those of these deliveries still waiting ("received"), a batch from the inbox, in order of
    arrival; deliveries of one resource handled by resource handlers share one run (see the module doc).

    A batch message delivered twice (the worker died before acknowledging it) skips what was done.
    """
    _process_in_groups(
        WebhookDelivery.objects.select_related("store")
        .filter(pk__in=delivery_ids, status=WebhookDelivery.Status.RECEIVED)
        .order_by("received_at", "id")
    )


def _process_in_groups(deliveries) -> None:
    waiting = [delivery for delivery in deliveries if _processable(delivery)]
    refused = [delivery for delivery in waiting if delivery.store.status != Store.Status.INSTALLED]
    if refused:
        _refuse_uninstalled(refused)
    groups: dict[tuple, list[WebhookDelivery]] = {}
    for delivery in waiting:
        if delivery.store.status == Store.Status.INSTALLED:
            groups.setdefault(handlers_group_key(delivery), []).append(delivery)
    for group in groups.values():
        _process_group(group)


def deliveries_retry_due(*, limit: int = RETRY_BATCH) -> int:
    """Process again the failed deliveries whose next attempt is due (beat); returns how many were run.

    Claimed under row locks (skipping rows another run holds) with a lease in `next_attempt_at`, so two
    runs never take the same rows; deliveries of one resource still share one re-fetch.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookDelivery.Status.FAILED, valid=True, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=now + RETRY_LEASE)
    _process_in_groups(
        WebhookDelivery.objects.select_related("store").filter(pk__in=ids).order_by("received_at", "id")
    )
    return len(ids)


def deliveries_dead_letter_stuck(*, received_before: datetime, max_attempts: int) -> int:
    """Dead-letter valid deliveries still waiting after `max_attempts` processing runs (each one was
    killed mid-way, or a handler asked to retry later: the sweeper must not feed them forever); the last
    reason is kept after the verdict. Returns how many."""
    verdict = f"Dead letter: still waiting after {max_attempts} processing attempts. "
    return WebhookDelivery.objects.filter(
        valid=True,
        status=WebhookDelivery.Status.RECEIVED,
        received_at__lt=received_before,
        attempts__gte=max_attempts,
    ).update(
        status=WebhookDelivery.Status.DEAD,
        next_attempt_at=None,
        error=Left(Concat(Value(verdict), F("error"), output_field=TextField()), 2000),
    )


def deliveries_unprocessed(*, received_before: datetime, max_attempts: int, limit: int) -> list[int]:
    """Ids of valid deliveries still waiting to be processed, oldest first (the sweeper's read).

    "Received" and older than `received_before` means their enqueue failed or was lost, or a worker
    died while processing one; a delivery started `max_attempts` times is dead-lettered instead
    (`deliveries_dead_letter_stuck`).
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
    """Process the given valid deliveries again, dead letters included (one more attempt: a replayed dead
    letter that fails again is dead again); duplicates and rejected calls are skipped. Returns the count."""
    replayed = 0
    for delivery_id in (
        WebhookDelivery.objects.filter(pk__in=delivery_ids, valid=True)
        .exclude(status=WebhookDelivery.Status.DUPLICATE)
        .values_list("pk", flat=True)
    ):
        delivery_process(delivery_id=delivery_id)
        replayed += 1
    return replayed
