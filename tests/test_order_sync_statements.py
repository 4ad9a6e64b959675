"""The hot path's database cost: a new guest's paid order (re-fetch, snapshot, identity, events, customer
history, attribution, fraud signals, outbox row, eager send) in a bounded number of SQL statements, and
sent once. Guards issue 19's cuts (bench/processing.py measures the same path's CPU)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals.models import CustomerOrderHistory, OutboxEvent
from referrals.orders.sync import order_sync
from sandbox.bigcommerce import world as bc_world

pytestmark = pytest.mark.django_db(transaction=True)

# 49 before issue 19's cuts; BEGIN/COMMIT/SAVEPOINT count, the sandbox's own tables don't.
MAX_STATEMENTS = 38


def _app_statements(captured: list[dict]) -> list[str]:
    return [q["sql"] for q in captured if '"sandbox_' not in q["sql"]]


def test_a_new_guests_paid_order_is_synced_and_sent_once_in_at_most_38_statements(lc_store, purchases):
    warm = bc_world.create_order(lc_store.store_hash, email="warm@example.com", status_id=11)
    order_sync(store=lc_store, order_id=warm["id"])
    order = bc_world.create_order(lc_store.store_hash, email="new.guest@example.com", status_id=11)

    with CaptureQueriesContext(connection) as queries:
        order_sync(store=lc_store, order_id=order["id"])

    statements = _app_statements(queries.captured_queries)
    assert len(statements) <= MAX_STATEMENTS, "\n".join(s[:120] for s in statements)
    assert OutboxEvent.objects.get(natural_key=f"purchase:{order['id']}").state == OutboxEvent.State.SENT
    assert [p["orderId"] for p in purchases()].count(str(order["id"])) == 1
    assert CustomerOrderHistory.objects.filter(store=lc_store).count() == 2


def test_a_second_sync_of_the_paid_order_sends_nothing_more(lc_store, purchases):
    order = bc_world.create_order(lc_store.store_hash, email="again@example.com", status_id=11)
    order_sync(store=lc_store, order_id=order["id"])
    order_sync(store=lc_store, order_id=order["id"])

    assert OutboxEvent.objects.filter(natural_key=f"purchase:{order['id']}").count() == 1
    assert [p["orderId"] for p in purchases()].count(str(order["id"])) == 1
