"""Backfill and reconciliation: the same service as webhooks; a backfill records history and sends no
purchase unless asked, and reconciliation sends only what is missing."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
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


def test_backfill_records_history_without_sending_a_purchase_and_is_safe_to_run_twice(lc_store, purchases):
    paid = _history(lc_store)
    call_command("backfill_orders", lc_store.store_hash, "--since", "2024-01-01", "--no-progress")
    assert purchases() == []
    assert OrderSnapshot.objects.count() == 5
    history = OrderSnapshot.objects.filter(is_history=True)
    assert sorted(history.values_list("bc_order_id", flat=True)) == sorted(o["id"] for o in paid)
    assert all(snapshot.first_paid_at and snapshot.identity_id for snapshot in history)
    call_command("backfill_orders", lc_store.store_hash, "--since", "2024-01-01", "--no-progress")
    assert purchases() == [] and not OutboxEvent.objects.exists()


def test_a_backfilled_order_stays_unsent_when_a_webhook_or_reconciliation_sees_it_again(lc_store, purchases):
    recent = timezone.now() - timedelta(hours=2)
    order = bc_world.create_order(lc_store.store_hash, email="a@example.com", status_id=11, date_created=recent)
    call_command("backfill_orders", lc_store.store_hash, "--since", "2024-01-01", "--no-progress")
    bc_world.set_order_status(lc_store.store_hash, order["id"], 2)
    bc_world.fire_order_event(lc_store.store_hash, order["id"], scope="store/order/statusUpdated")
    run = orders_reconcile(store=lc_store, days=3)
    assert (run.orders_checked, run.gaps_found, run.requeued) == (1, 0, 0)
    assert purchases() == []


def test_send_purchases_sends_only_orders_paid_after_the_merchants_date_with_a_warning(
    lc_store, purchases, capsys
):
    paid = _history(lc_store)  # paid 2024-02-01, 02-02, 02-03 (and one of 2023, before --since)
    call_command(
        "backfill_orders",
        lc_store.store_hash,
        "--since",
        "2024-01-01",
        "--send-purchases",
        "--send-after",
        "2024-02-02",
        "--no-progress",
    )
    assert sorted(p["orderId"] for p in purchases()) == sorted(str(o["id"]) for o in paid[1:])
    assert OrderSnapshot.objects.get(bc_order_id=paid[0]["id"]).is_history
    err = capsys.readouterr().err
    assert "Loyalty earning rules" in err and "2024-02-02" in err


def test_send_purchases_needs_a_date_and_a_date_needs_send_purchases(lc_store):
    with pytest.raises(CommandError, match="--send-after"):
        call_command("backfill_orders", lc_store.store_hash, "--since", "2024-01-01", "--send-purchases")
    with pytest.raises(CommandError, match="--send-purchases"):
        call_command("backfill_orders", lc_store.store_hash, "--since", "2024-01-01", "--send-after", "2024-02-02")


def test_a_live_order_of_a_backfilled_customer_is_not_new(lc_store, purchases):
    for day in (1, 2):
        bc_world.create_order(
            lc_store.store_hash,
            email="rep@example.com",
            status_id=10,
            date_created=datetime(2024, 3, day, tzinfo=UTC),
        )
    call_command("backfill_orders", lc_store.store_hash, "--since", "2024-01-01", "--no-progress")
    live = bc_world.create_order(lc_store.store_hash, email="Rep@example.com", status_id=11)
    bc_world.fire_order_event(lc_store.store_hash, live["id"])
    [sent] = purchases()
    assert sent["orderId"] == str(live["id"]) and sent["isNewCustomer"] is False


def test_backfill_leaves_the_purchases_of_live_orders_as_they_are(lc_store, purchases):
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
    assert [p["orderId"] for p in purchases()] == [str(first["id"])]
    assert not OrderSnapshot.objects.get(bc_order_id=first["id"]).is_history


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
