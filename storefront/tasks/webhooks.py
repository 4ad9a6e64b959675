"""Celery tasks for BigCommerce webhooks: process stored deliveries, sweep the unqueued ones, retry the failed
ones on their schedule, repair hooks."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from storefront.webhooks import processing, registration
from storefront.webhooks.delivery_queue import webhook_deliveries_publish

# A delivery still unprocessed this long after it arrived was not queued (or its message was lost).
# Long enough that a queue merely running behind is rarely swept twice; processing is idempotent if it is.
SWEEP_AFTER = timedelta(minutes=5)
SWEEP_MAX_ATTEMPTS = 3
SWEEP_BATCH = 500


@shared_task(name="storefront.process_webhook_deliveries")
def process_webhook_deliveries(delivery_ids: list[int]) -> None:
    """A batch from the inbox's queue (storefront.webhooks.delivery_queue), processed in turn."""
    processing.deliveries_process_received(delivery_ids=delivery_ids)


@shared_task(name="storefront.webhook_deliveries_sweep")
def webhook_deliveries_sweep() -> int:
    """Queue valid deliveries still unprocessed SWEEP_AFTER after they arrived (dead-lettering those whose
    processing started SWEEP_MAX_ATTEMPTS times and never finished); returns how many were queued."""
    received_before = timezone.now() - SWEEP_AFTER
    processing.deliveries_dead_letter_stuck(received_before=received_before, max_attempts=SWEEP_MAX_ATTEMPTS)
    delivery_ids = processing.deliveries_unprocessed(
        received_before=received_before, max_attempts=SWEEP_MAX_ATTEMPTS, limit=SWEEP_BATCH
    )
    return webhook_deliveries_publish(delivery_ids=delivery_ids)


@shared_task(name="storefront.webhook_deliveries_retry")
def webhook_deliveries_retry() -> int:
    """Process again the failed deliveries whose next attempt is due; returns how many were run."""
    return processing.deliveries_retry_due()


@shared_task(name="storefront.webhooks_repair_all")
def webhooks_repair_all() -> dict:
    return registration.webhooks_repair_all()
