"""Celery task: delete evidence past its retention (storefront.retention), in bounded batches."""

from celery import shared_task

from storefront.retention import retention_prune_all


@shared_task(name="storefront.retention_prune")
def retention_prune() -> dict[str, int]:
    return retention_prune_all()
