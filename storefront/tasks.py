"""Celery tasks of the storefront app: thin wrappers that take ids."""

from celery import shared_task

from . import handlers, webhook_registration


@shared_task(name="storefront.process_webhook_delivery")
def process_webhook_delivery(delivery_id: int) -> None:
    handlers.delivery_process(delivery_id=delivery_id)


@shared_task(name="storefront.webhooks_repair_all")
def webhooks_repair_all() -> dict:
    return webhook_registration.webhooks_repair_all()


from .script_tasks import scripts_check_all  # noqa: E402, F401  (registers the scheduled script check)
