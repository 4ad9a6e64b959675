"""Celery tasks for the storefront scripts: re-run one store's installer, retry failed scripts when due,
and the scheduled check of all."""

from celery import shared_task

from storefront import scripts
from storefront.models import Store


@shared_task(name="storefront.scripts_sync")
def scripts_sync(store_id: int) -> int:
    """Re-run the scripts installer (e.g. after the Friendbuy merchant id changed)."""
    store = Store.objects.filter(pk=store_id, status=Store.Status.INSTALLED).first()
    return len(scripts.scripts_ensure(store=store)) if store and store.access_token else 0


@shared_task(name="storefront.scripts_check_all")
def scripts_check_all() -> dict:
    return scripts.scripts_check_all()


@shared_task(name="storefront.scripts_retry_due")
def scripts_retry_due() -> dict:
    return scripts.scripts_retry_due()
