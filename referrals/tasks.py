"""Celery tasks of the lifecycle: thin wrappers that take ids."""

from celery import shared_task

from . import lifecycle, outbox


@shared_task(name="referrals.outbox_send")
def outbox_send(event_id: int) -> None:
    outbox.outbox_send(event_id=event_id)


@shared_task(name="referrals.outbox_dispatch_due")
def outbox_dispatch_due() -> int:
    return outbox.outbox_dispatch_due()


@shared_task(name="referrals.reconcile_orders")
def reconcile_orders() -> int:
    return len(lifecycle.reconcile_all())
