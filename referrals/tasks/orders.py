"""Celery tasks of the order lifecycle: send outbox events (one, and the due ones), reconcile paid orders (a task
per store), backfill a window of orders. Reconciliation and backfill are bulk work: the bulk queue
(CELERY_TASK_ROUTES), within each store's bulk slots (storefront.bulk)."""

from datetime import datetime

from celery import shared_task

from referrals import outbox
from referrals.orders.backfill import orders_backfill_window
from referrals.orders.reconciliation import orders_reconcile, stores_to_reconcile
from storefront.bulk import bulk_run
from storefront.models import Store
from storefront.queueing import task_enqueue


@shared_task(name="referrals.outbox_send")
def outbox_send(event_id: int) -> None:
    outbox.outbox_send(event_id=event_id)


@shared_task(name="referrals.outbox_dispatch_due")
def outbox_dispatch_due() -> int:
    return outbox.outbox_dispatch_due()


@shared_task(name="referrals.reconcile_orders")
def reconcile_orders() -> int:
    """Beat: one reconciliation task per connected store."""
    store_ids = stores_to_reconcile()
    for store_id in store_ids:
        task_enqueue("referrals.reconcile_store", store_id)
    return len(store_ids)


@shared_task(name="referrals.reconcile_store", bind=True)
def reconcile_store(self, store_id: int) -> int | None:
    store = Store.objects.filter(pk=store_id).first()
    if store is None or not store.is_installed:
        return None
    return bulk_run(self, store_id=store_id, args=(store_id,), run=lambda: orders_reconcile(store=store).pk)


@shared_task(name="referrals.orders_backfill_window", bind=True)
def orders_backfill_window_task(self, store_id: int, since: str, from_id: int, history_until: str) -> dict | None:
    """One window of a backfill (referrals.orders.backfill.orders_backfill_queue); queues the next one."""
    store = Store.objects.filter(pk=store_id).first()
    if store is None or not store.is_installed:
        return None
    args = (store_id, since, from_id, history_until)
    done = bulk_run(self, store_id=store_id, args=args, run=lambda: orders_backfill_window(
        store=store, since=datetime.fromisoformat(since), from_id=from_id,
        history_until=datetime.fromisoformat(history_until)))
    if done is None:
        return None  # queued again: the store's bulk slots were taken
    counts, next_id = done
    if next_id is not None:  # after the slot is free again, so the next window can take it
        task_enqueue("referrals.orders_backfill_window", store_id, since, next_id, history_until)
    return {**counts, "next_id": next_id}
