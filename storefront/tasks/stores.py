"""Celery task run after an install: register the store's webhooks and scripts."""

from celery import shared_task

from storefront import services
from storefront.models import Store


@shared_task(name="storefront.store_provision")
def store_provision(store_id: int) -> dict:
    store = Store.objects.filter(pk=store_id, status=Store.Status.INSTALLED).first()
    return services.store_provision(store=store) if store and store.access_token else {}
