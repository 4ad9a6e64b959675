"""Reconciliation: find orders whose webhooks never came and sync them."""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from referrals.models import (
    FriendbuyConnection,
    OutboxEvent,
    ReconciliationRun,
)
from referrals.orders import selectors
from referrals.orders.backfill import iter_orders_since
from referrals.orders.sync import order_sync
from referrals.outbox import outbox_replay
from storefront.clients import bigcommerce_for
from storefront.models import Store

logger = logging.getLogger(__name__)


def orders_reconcile(*, store: Store, days: int | None = None) -> ReconciliationRun:
    """Compare the last `days` of paid BigCommerce orders with purchase events and re-queue the gaps.

    A gap is a paid order without a purchase event, or whose event is failed/dead. Pending and
    sending events are in flight, not gaps.
    """
    days = days or settings.LIFECYCLE_RECONCILE_DAYS
    run = ReconciliationRun.objects.create(store=store, days=days)
    errors: list[str] = []
    client = bigcommerce_for(store)
    since = timezone.now() - timedelta(days=days)
    try:
        for order in iter_orders_since(client, since=since):
            status = int(order.get("status_id") or 0)
            if not selectors.status_is_paid(status):
                continue
            run.orders_checked += 1
            order_id = int(order["id"])
            event = selectors.purchase_event_for(store=store, bc_order_id=order_id)
            if event is None and selectors.order_is_history(store=store, bc_order_id=order_id):
                continue  # A backfill recorded it as past history: never sent, so not a gap.
            if event is not None and event.state in (
                OutboxEvent.State.SENT,
                OutboxEvent.State.PENDING,
                OutboxEvent.State.SENDING,
            ):
                continue
            run.gaps_found += 1
            try:
                if event is None:
                    order_sync(store=store, order_id=order_id, order=order, client=client)
                    run.requeued += int(
                        selectors.purchase_event_for(store=store, bc_order_id=order_id) is not None
                    )
                else:
                    run.requeued += outbox_replay(event_ids=[event.pk])
            except Exception as exc:
                errors.append(f"order {order_id}: {type(exc).__name__}: {exc}")
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
        logger.exception("Reconciliation of store %s failed.", store.store_hash)
    run.finished_at = timezone.now()
    run.errors = "\n".join(errors)[:20000]
    run.save()
    return run


def stores_to_reconcile() -> list[int]:
    """Ids of the installed stores connected to Friendbuy (beat queues one reconciliation for each)."""
    return [
        connection.store_id
        for connection in FriendbuyConnection.objects.select_related("store")
        .filter(store__status=Store.Status.INSTALLED)
        .iterator()
        if connection.store.is_installed
    ]


def reconcile_all(*, days: int | None = None) -> list[ReconciliationRun]:
    """orders_reconcile for every installed store connected to Friendbuy, here and now (the command)."""
    return [orders_reconcile(store=Store.objects.get(pk=pk), days=days) for pk in stores_to_reconcile()]
