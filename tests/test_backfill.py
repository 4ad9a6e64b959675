"""Backfill and reconciliation: the same service as webhooks, so running them again sends only what is missing."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from referrals.models import OrderSnapshot, OutboxEvent, ReconciliationRun
from referrals.orders.reconciliation import orders_reconcile
from sandbox import faults
from sandbox.bigcommerce import world as bc_world

pytestmark = pytest.mark.django_db(transaction=True)


def _history(store):
    old = datetime(2023, 12, 1, tzinfo=UTC)
    bc_world.create_order(store.store_hash, email="old@example.com", status_id=10, date_created=old)
    paid = [
        bc_world.create_order(
            store.store_hash,
            email=f"p{n}@example.com",
            status_id=s,
            date_created=datetime(2024, 2, 1 + n, tzinfo=UTC),
        )
        for n, s in enumerate((11, 2, 10))
    ]
    bc_world.create_order(
        store.store_hash, email="x@example.com", status_id=0, date_created=datetime(2024, 2, 10, tzinfo=UTC)
    )
    bc_world.create_order(
        store.store_hash, email="y@example.com", status_id=5, date_created=datetime(2024, 2, 11, tzinfo=UTC)
    )
    return paid


def test_backfill_sends_paid_orders_since_the_date_and_is_safe_to_run_twice(lc_store, purchases):
    paid = _history(lc_store)
    call_command("backfill_orders", lc_store.store_hash, "--since", "2024-01-01", "--no-progress")
    assert sorted(p["orderId"] for p in purchases()) == sorted(str(o["id"]) for o in paid)
    assert OrderSnapshot.objects.count() == 5
    call_command("backfill_orders", lc_store.store_hash, "--since", "2024-01-01", "--no-progress")
    assert len(purchases()) == 3


def test_backfill_fills_history_for_is_new_customer(lc_store, purchases):
    for day in (1, 2):
        bc_world.create_order(
            lc_store.store_hash,
            email="rep@example.com",
            status_id=10,
            date_created=datetime(2024, 3, day, tzinfo=UTC),
        )
    call_command("backfill_orders", lc_store.store_hash, "--since", "2024-01-01", "--no-progress")
    assert [p["isNewCustomer"] for p in purchases()] == [True, False]


def test_backfill_sends_only_what_is_missing(lc_store, purchases):
    first = bc_world.create_order(
        lc_store.store_hash,
        email="a@example.com",
        status_id=11,
        date_created=datetime(2024, 2, 1, tzinfo=UTC),
    )
    bc_world.fire_order_event(lc_store.store_hash, first["id"])
    bc_world.create_order(
        lc_store.store_hash,
        email="b@example.com",
        status_id=11,
        date_created=datetime(2024, 2, 2, tzinfo=UTC),
    )
    call_command("backfill_orders", lc_store.store_hash, "--since", "2024-01-01", "--no-progress")
    assert len(purchases()) == 2


def test_reconciliation_requeues_missing_and_dead_purchase_events(lc_store, purchases):
    recent = timezone.now() - timedelta(hours=2)
    sent = bc_world.create_order(
        lc_store.store_hash, email="a@example.com", status_id=11, date_created=recent
    )
    bc_world.fire_order_event(lc_store.store_hash, sent["id"])
    missed = bc_world.create_order(
        lc_store.store_hash, email="b@example.com", status_id=11, date_created=recent
    )
    faults.inject(service="friendbuy", status=422, times=1, path_contains="/event/purchase")
    dead = bc_world.create_order(
        lc_store.store_hash, email="c@example.com", status_id=11, date_created=recent
    )
    bc_world.fire_order_event(lc_store.store_hash, dead["id"])
    assert OutboxEvent.objects.get(natural_key=f"purchase:{dead['id']}").state == "dead"
    bc_world.create_order(lc_store.store_hash, email="d@example.com", status_id=1, date_created=recent)

    run = orders_reconcile(store=lc_store, days=3)
    assert (run.orders_checked, run.gaps_found, run.requeued, run.errors) == (3, 2, 2, "")
    assert sorted(p["orderId"] for p in purchases()) == sorted(str(o["id"]) for o in (sent, missed, dead))
    call_command("reconcile_orders", "--store", lc_store.store_hash)
    assert ReconciliationRun.objects.latest("started_at").gaps_found == 0
    assert len(purchases()) == 3


def test_reconcile_all_runs_for_every_connected_store(lc_store):
    call_command("reconcile_orders")
    assert ReconciliationRun.objects.filter(store=lc_store).count() == 1


def test_repair_webhooks_command(lc_store, capsys):
    call_command("repair_webhooks", "--store", lc_store.store_hash)
    assert "store/order/created: hook" in capsys.readouterr().out
    call_command("repair_webhooks")


def test_backfill_reads_products_and_addresses_from_the_order_pages(lc_store, purchases):
    from storefront.models import OutboundCall

    paid = _history(lc_store)
    call_command("backfill_orders", lc_store.store_hash, "--since", "2024-01-01", "--no-progress")

    # The window pages (a probe for the next id asks for one bare order).
    pages = OutboundCall.objects.filter(method="GET", path__regex=r"^/v2/orders\?.*max_id=")
    assert pages.exists() and all("include=consignments.line_items" in call.path for call in pages)
    assert not OutboundCall.objects.filter(path__regex=r"/orders/\d+/(products|shipping_addresses)").exists()
    snapshots = OrderSnapshot.objects.filter(store=lc_store, bc_order_id__in=[o["id"] for o in paid])
    assert all(snapshot.line_items and snapshot.shipping_addresses for snapshot in snapshots)
