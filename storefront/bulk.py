"""Bulk work (backfill, reconciliation, analytics sync, pool refills) runs on its own Celery queue, and each
store's share of it is capped, so one store's backfill starves neither live work nor other stores.

Live work (webhooks, rewards, the validation callback, outbox sends) is on the default queue (`celery`),
bulk work on `bulk` (config/settings/base.py: CELERY_TASK_ROUTES); production runs a worker per queue, the
demo's one worker takes both. Within `bulk`, a task of a store first takes one of the store's
BULK_PER_STORE slots (a BulkLease row: the database's unique constraint makes it exact across every worker);
when all are held the task is queued again `BULK_REQUEUE_SECONDS` later, behind other stores' tasks, instead of
holding a worker while it waits. A slot left by a killed worker is taken over after BULK_LEASE_SECONDS.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import BulkLease, Store
from .queueing import task_enqueue_later, tasks_run_inline


@contextlib.contextmanager
def bulk_slot(*, store_id: int, task: str = "") -> Iterator[bool]:
    """Hold one of the store's bulk slots for the block: yields True, or False when all are taken."""
    holder = bulk_slot_take(store_id=store_id, task=task)
    try:
        yield holder is not None
    finally:
        if holder is not None:
            BulkLease.objects.filter(holder=holder).delete()


def bulk_slot_take(*, store_id: int, task: str = "") -> str | None:
    """Take a free slot of the store (its holder token), or None when BULK_PER_STORE are held."""
    now = timezone.now()
    BulkLease.objects.filter(store_id=store_id, expires_at__lt=now).delete()  # holders that died
    holder = secrets.token_hex(16)
    expires_at = now + timedelta(seconds=settings.BULK_LEASE_SECONDS)
    for slot in range(settings.BULK_PER_STORE):
        try:
            with transaction.atomic():
                BulkLease.objects.create(store_id=store_id, slot=slot, holder=holder, task=task[:100],
                                         expires_at=expires_at)
            return holder
        except IntegrityError:
            continue
    return None


def bulk_run(task, *, store_id: int, args: tuple, run) -> object:
    """Run `run()` in a slot of the store, or queue `task(*args)` again later when none is free (None).

    Tasks run inline (no broker: tests, a management command) run at once: there is no pool to share."""
    if tasks_run_inline():
        return run()
    if not Store.objects.filter(pk=store_id).exists():
        return None  # gone (its leases with it): nothing to run, nothing to queue again
    with bulk_slot(store_id=store_id, task=task.name) as held:
        if held:
            return run()
    task_enqueue_later(task.name, *args, countdown=settings.BULK_REQUEUE_SECONDS)
    return None
