"""Backfill: walk a store's past orders (oldest id windows first) and record each as history.

Past orders are snapshots, identities and first-paid dates for the app (new-customer checks,
reports), not purchases for Friendbuy: Friendbuy's purchase event carries no date, so a replayed
order would count as a purchase made today (and a loyalty earning rule may pay out on it). Only
when the merchant asks (`send_after`) are the orders first paid since that date sent.

Run here (`orders_backfill`, the command's progress bar) or in the workers (`orders_backfill_queue`): one task
per window of ID_WINDOW ids on the bulk queue, each queueing the next, within the store's bulk slots
(storefront.bulk), so a big store's backfill neither holds a worker for hours nor starves live orders.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from django.db import reset_queries
from django.utils import timezone

from referrals.orders.sync import order_sync
from storefront.bigcommerce import ORDER_WITH_CONSIGNMENTS, BigCommerceClient
from storefront.clients import bigcommerce_for
from storefront.models import Store
from storefront.queueing import task_enqueue

logger = logging.getLogger(__name__)

# Below the 250 page limit, so a full window never costs a second (empty) page request.
ID_WINDOW = 200


def iter_orders_since(
    client: BigCommerceClient, *, since: datetime, with_consignments: bool = False
) -> Iterator[dict]:
    """Every order created since `since`, oldest id first, fetched in id windows (keyset paging).

    Windows of `min_id`/`max_id` rather than page numbers: orders created or archived while we read
    don't shift later pages, and each request asks BigCommerce for a bounded slice. An empty window
    is followed by one probe (`min_id` only, limit 1) to jump over gaps in the ids or learn we're done.
    `with_consignments`: each order comes with its products and shipping addresses (order_sync then
    needs no call for them), for callers that sync every order; heavier pages otherwise.
    """
    includes = ORDER_WITH_CONSIGNMENTS if with_consignments else {}
    next_id = 1
    while True:
        found = False
        for order in client.iter_orders(
            min_date_created=since, min_id=next_id, max_id=next_id + ID_WINDOW - 1, **includes
        ):
            found = True
            yield order
        if found:
            next_id += ID_WINDOW
            continue
        probe = next(iter(client.iter_orders(min_date_created=since, min_id=next_id, limit=1)), None)
        if probe is None:
            return
        next_id = int(probe["id"])


def orders_backfill(
    *,
    store: Store,
    since: datetime,
    on_order: Callable[[int], None] | None = None,
    send_after: datetime | None = None,
) -> dict:
    """Sync every order created since `since`, oldest first, streaming one API page at a time.

    No purchase is sent for an order first paid before `send_after` (default: before the backfill
    started, so none); those are marked history and stay unsent. Memory stays flat: no list of
    orders, no per-order cache; Django's debug query log is reset as we go. Safe to run again:
    order_sync only adds what is missing.
    """
    history_until = send_after or timezone.now()
    client = bigcommerce_for(store)
    counts = {"orders": 0, "paid": 0, "errors": 0}
    for order in iter_orders_since(client, since=since, with_consignments=True):
        _backfill_one(store=store, order=order, client=client, history_until=history_until, counts=counts)
        if on_order is not None:
            on_order(int(order["id"]))
        if counts["orders"] % 500 == 0:
            reset_queries()
    return counts


def orders_backfill_queue(*, store: Store, since: datetime, send_after: datetime | None = None) -> None:
    """Backfill in the workers, window by window from the first id (see the module docstring)."""
    history_until = send_after or timezone.now()
    task_enqueue("referrals.orders_backfill_window", store.pk, since.isoformat(), 1, history_until.isoformat())


def orders_backfill_window(
    *, store: Store, since: datetime, from_id: int, history_until: datetime
) -> tuple[dict, int | None]:
    """Sync the orders created since `since` with ids in [from_id, from_id + ID_WINDOW): their counts, and the
    first id of the next window (None: no order left), as iter_orders_since walks them."""
    client = bigcommerce_for(store)
    counts = {"orders": 0, "paid": 0, "errors": 0}
    for order in client.iter_orders(
        min_date_created=since, min_id=from_id, max_id=from_id + ID_WINDOW - 1, **ORDER_WITH_CONSIGNMENTS
    ):
        _backfill_one(store=store, order=order, client=client, history_until=history_until, counts=counts)
    if counts["orders"]:
        return counts, from_id + ID_WINDOW
    probe = next(iter(client.iter_orders(min_date_created=since, min_id=from_id, limit=1)), None)
    return counts, int(probe["id"]) if probe is not None else None


def _backfill_one(*, store: Store, order: dict, client: BigCommerceClient, history_until: datetime,
                  counts: dict) -> None:
    order_id = int(order["id"])
    try:
        snapshot = order_sync(store=store, order_id=order_id, order=order, client=client,
                              history_until=history_until)
    except Exception:
        logger.exception("Backfill of order %s (store %s) failed.", order_id, store.store_hash)
        counts["errors"] += 1
        snapshot = None
    counts["orders"] += 1
    counts["paid"] += int(bool(snapshot and snapshot.first_paid_at))
