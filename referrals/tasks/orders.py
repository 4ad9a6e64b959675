"""Celery tasks of the order lifecycle: send outbox events (one, and the due ones), reconcile paid orders."""

from celery import shared_task

from referrals import outbox
from referrals.orders.reconciliation import reconcile_all


@shared_task(name="referrals.outbox_send")
def outbox_send(event_id: int) -> None:
    outbox.outbox_send(event_id=event_id)


@shared_task(name="referrals.outbox_dispatch_due")
def outbox_dispatch_due() -> int:
    return outbox.outbox_dispatch_due()


@shared_task(name="referrals.reconcile_orders")
def reconcile_orders() -> int:
    return len(reconcile_all())
