"""Celery tasks of the storefront app: thin wrappers that take ids."""

from celery import shared_task

from . import handlers, services, webhook_registration
from .models import Store


@shared_task(name="storefront.process_webhook_delivery")
def process_webhook_delivery(delivery_id: int) -> None:
    handlers.delivery_process(delivery_id=delivery_id)


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
