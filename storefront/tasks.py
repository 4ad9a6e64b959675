"""Celery tasks of the storefront app: thin wrappers that take ids."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import handlers, services, webhook_registration
from .models import Store

# A delivery still unprocessed this long after it arrived was not queued (or its message was lost).
# Long enough that a queue merely running behind is rarely swept twice; processing is idempotent if it is.
SWEEP_AFTER = timedelta(minutes=5)
SWEEP_MAX_ATTEMPTS = 3
SWEEP_BATCH = 500


@shared_task(name="storefront.process_webhook_delivery")
def process_webhook_delivery(delivery_id: int) -> None:
    handlers.delivery_process(delivery_id=delivery_id)


@shared_task(name="storefront.process_webhook_deliveries")
def process_webhook_deliveries(delivery_ids: list[int]) -> None:
    """A batch from the inbox's queue (webhook_queue), processed in turn."""
    handlers.deliveries_process_received(delivery_ids=delivery_ids)


@shared_task(name="storefront.webhook_deliveries_sweep")
def webhook_deliveries_sweep() -> int:
    """Queue valid deliveries still unprocessed SWEEP_AFTER after they arrived; returns how many were queued."""
    from .webhook_queue import webhook_deliveries_publish

    delivery_ids = handlers.deliveries_unprocessed(
        received_before=timezone.now() - SWEEP_AFTER, max_attempts=SWEEP_MAX_ATTEMPTS, limit=SWEEP_BATCH
    )
    return webhook_deliveries_publish(delivery_ids=delivery_ids)


@shared_task(name="storefront.store_provision")
def store_provision(store_id: int) -> dict:
    store = Store.objects.filter(pk=store_id, status=Store.Status.INSTALLED).first()
    return services.store_provision(store=store) if store and store.access_token else {}


@shared_task(name="storefront.scripts_sync")
def scripts_sync(store_id: int) -> int:
    """Re-run the scripts installer (e.g. after the Friendbuy merchant id changed)."""
    from .scripts import scripts_ensure

    store = Store.objects.filter(pk=store_id, status=Store.Status.INSTALLED).first()
    return len(scripts_ensure(store=store)) if store and store.access_token else 0


@shared_task(name="storefront.webhooks_repair_all")
def webhooks_repair_all() -> dict:
    return webhook_registration.webhooks_repair_all()


from .script_tasks import scripts_check_all  # noqa: E402, F401  (registers the scheduled script check)
