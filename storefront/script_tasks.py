"""Celery task for the scheduled storefront-script check (registered through storefront.tasks)."""

from celery import shared_task

from . import scripts


@shared_task(name="storefront.scripts_check_all")
def scripts_check_all() -> dict:
    return scripts.scripts_check_all()
