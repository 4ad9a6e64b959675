"""Exactly once under concurrency (PostgreSQL): the same webhook fired 20 times at once sends one purchase."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from referrals.models import OrderSnapshot, OutboxEvent
from sandbox.bigcommerce import world as bc_world
from storefront.models import WebhookDelivery
from tests.fixtures_lifecycle import order_webhook

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks and concurrent transactions)")


def _fire_concurrently(count, make_request):
    barrier = threading.Barrier(count)
    statuses, errors = [], []

    def worker(n):
        try:
            barrier.wait(timeout=30)
            statuses.append(make_request(n))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return statuses


def test_the_same_webhook_twenty_times_at_once_sends_one_purchase(lc_store, purchases):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    body = order_webhook(lc_store, order["id"], hash="concurrent")

    def post(n):
        return (
            Client()
            .post(
                f"/bigcommerce/webhooks/{lc_store.public_id}",
                data=body,
                content_type="application/json",
                headers={"X-Webhook-Secret": lc_store.webhook_secret},
            )
            .status_code
        )

    statuses = _fire_concurrently(20, post)
    assert statuses == [200] * 20
    assert WebhookDelivery.objects.filter(status="processed").count() == 1
    assert WebhookDelivery.objects.filter(status="duplicate").count() == 19
    assert len(purchases()) == 1
    assert OutboxEvent.objects.filter(kind="purchase", state="sent").count() == 1


def test_different_webhooks_for_one_order_at_once_still_send_one_purchase(lc_store, purchases):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    scopes = ["store/order/created", "store/order/updated", "store/order/statusUpdated"]

    def post(n):
        body = order_webhook(lc_store, order["id"], scope=scopes[n % 3], hash=f"h{n}")
        return (
            Client()
            .post(
                f"/bigcommerce/webhooks/{lc_store.public_id}",
                data=body,
                content_type="application/json",
                headers={"X-Webhook-Secret": lc_store.webhook_secret},
            )
            .status_code
        )

    assert _fire_concurrently(12, post) == [200] * 12
    assert OrderSnapshot.objects.count() == 1
    assert WebhookDelivery.objects.filter(status="failed").count() == 0
    assert len(purchases()) == 1


def test_many_senders_racing_for_one_pending_event_send_it_once(lc_store, purchases):
    from django.utils import timezone

    from referrals.outbox import outbox_send

    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    bc_world.fire_order_event(lc_store.store_hash, order["id"])
    event = OutboxEvent.objects.get(kind="purchase")
    # Make it look never sent: as if the worker died before its first claim.
    OutboxEvent.objects.filter(pk=event.pk).update(state="pending", attempts=0, next_attempt_at=timezone.now())
    before = len(purchases())

    _fire_concurrently(10, lambda n: outbox_send(event_id=event.pk))

    assert len(purchases()) == before + 1
    event.refresh_from_db()
    assert (event.state, event.attempts) == ("sent", 1)
