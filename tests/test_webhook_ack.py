"""The webhook acknowledgement's fast path: one INSERT per accepted delivery, the store remembered per
process (and forgotten when it changes), processing queued in batches, and the sweeper behind it."""

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals.models import OrderSnapshot
from sandbox.bigcommerce import world as bc_world
from storefront.bounded_json import Body
from storefront.models import Store, WebhookDelivery
from storefront.tasks import webhooks as tasks
from storefront.webhooks import delivery_queue, store_lookup
from storefront.webhooks.inbox import webhook_receive
from tests.fixtures_lifecycle import order_webhook

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published(monkeypatch):
    """Record each processing message (a list of delivery ids) instead of sending it."""
    messages: list[list[int]] = []
    monkeypatch.setattr(tasks.process_webhook_deliveries, "delay", lambda ids: messages.append(list(ids)))
    return messages


@pytest.fixture
def queued(published):
    """Call it for the delivery ids published so far, in order, whatever the batches."""
    return lambda: [delivery_id for batch in published for delivery_id in batch]


@pytest.fixture
def batching(monkeypatch):
    """A broker-backed setting (not eager): ids wait in this process's queue for the publishing thread."""
    conf = tasks.process_webhook_deliveries.app.conf
    saved, conf.task_always_eager = conf.task_always_eager, False
    monkeypatch.setattr(delivery_queue, "FLUSH_SECONDS", 0.3)
    try:
        yield
    finally:
        conf.task_always_eager = saved
        delivery_queue._pending.take()  # nothing left over for another test


def _wait_until(condition, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def clock(monkeypatch):
    """Move the store memory's clock forward by hand."""
    now = [1000.0]
    monkeypatch.setattr(store_lookup, "monotonic", lambda: now[0])
    return now


def _rotate_secret_elsewhere(store: Store, secret: str) -> None:
    # update() sends no signal: this is what another process's change looks like from here.
    Store.objects.filter(pk=store.pk).update(webhook_secret=secret)


def test_an_accepted_delivery_from_a_remembered_store_is_one_insert(lc_store, post_webhook, queued):
    assert post_webhook(lc_store, order_webhook(lc_store, 1, hash="a")).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = post_webhook(lc_store, order_webhook(lc_store, 2, hash="b"))
    assert response.status_code == 200
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
    delivery = WebhookDelivery.objects.get(resource_id="2")
    assert delivery.valid and delivery.status == "received" and delivery.store_id == lc_store.pk
    assert delivery.headers["X-Webhook-Secret"] != lc_store.webhook_secret
    assert json.loads(delivery.body)["hash"] == "b" and delivery.received_at is not None
    assert queued() == [WebhookDelivery.objects.get(resource_id="1").pk, delivery.pk]


def test_ids_are_published_in_batches_by_one_background_thread(lc_store, post_webhook, published, batching):
    for n in range(3):
        assert post_webhook(lc_store, order_webhook(lc_store, n, hash=f"h{n}")).status_code == 200
    assert published == []  # answered before anything was published
    _wait_until(lambda: published)
    ids = sorted(WebhookDelivery.objects.values_list("pk", flat=True))
    assert published == [ids]
    assert [t for t in threading.enumerate() if t.name == "webhook-queue"]


def test_more_ids_than_a_batch_holds_go_out_in_several_messages(published, batching, monkeypatch):
    monkeypatch.setattr(delivery_queue, "BATCH_MAX", 2)
    assert delivery_queue.webhook_deliveries_publish(delivery_ids=[1, 2, 3, 4, 5]) == 5
    assert published == [[1, 2], [3, 4], [5]]


def test_ids_still_waiting_are_published_by_a_flush(published, batching, monkeypatch):
    monkeypatch.setattr(delivery_queue, "FLUSH_SECONDS", 3.0)
    delivery_queue.webhook_delivery_queue(delivery_id=41)
    delivery_queue.webhook_delivery_queue(delivery_id=42)
    assert delivery_queue.webhook_queue_flush() == 2
    assert published == [[41, 42]]


def test_a_refused_publish_is_logged_and_never_raises(monkeypatch, caplog):
    def broker_down(ids):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.process_webhook_deliveries, "delay", broker_down)
    assert delivery_queue.webhook_deliveries_publish(delivery_ids=[7, 8]) == 0
    assert "the sweeper will" in caplog.text


def test_a_redelivered_batch_skips_what_was_already_processed(lc_store, post_webhook, purchases):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    assert post_webhook(lc_store, order_webhook(lc_store, order["id"])).status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "processed" and delivery.attempts == 1
    tasks.process_webhook_deliveries([delivery.pk])
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and len(purchases()) == 1


def test_refused_and_duplicate_deliveries_are_never_queued(lc_store, post_webhook, queued):
    payload = order_webhook(lc_store, 3, hash="same")
    assert post_webhook(lc_store, payload).status_code == 200
    assert post_webhook(lc_store, payload).status_code == 200
    assert post_webhook(lc_store, payload, secret="wrong").status_code == 401
    assert post_webhook(lc_store, None, raw="{not json").status_code == 200  # authenticated: recorded, refused
    original = WebhookDelivery.objects.get(status="received")
    assert queued() == [original.pk]
    assert sorted(WebhookDelivery.objects.values_list("status", flat=True)) == [
        "duplicate", "received", "rejected", "rejected"
    ]


@pytest.mark.django_db(transaction=False)
def test_a_duplicate_inside_a_callers_transaction_leaves_the_transaction_usable(lc_store):
    payload = json.dumps(order_webhook(lc_store, 4, hash="dup")).encode()
    common = dict(
        public_id=lc_store.public_id, body=Body(payload, len(payload), False),
        headers={"X-Webhook-Secret": lc_store.webhook_secret}, remote_ip="127.0.0.1",
    )
    with transaction.atomic():
        first = webhook_receive(**common)
        second = webhook_receive(**common)
        assert WebhookDelivery.objects.count() == 2  # the transaction still answers queries
    assert first.to_process and not second.to_process
    assert WebhookDelivery.objects.get(pk=second.delivery_id).status == "duplicate"


def test_a_secret_rotated_elsewhere_works_at_once(lc_store, post_webhook, queued):
    assert post_webhook(lc_store, order_webhook(lc_store, 1, hash="1")).status_code == 200  # remembered
    _rotate_secret_elsewhere(lc_store, "rotated-secret-0123456789")
    response = post_webhook(lc_store, order_webhook(lc_store, 2, hash="2"), secret="rotated-secret-0123456789")
    assert response.status_code == 200
    assert WebhookDelivery.objects.get(resource_id="2").valid and len(queued()) == 2


def test_a_secret_rotated_elsewhere_retires_the_old_one_when_the_memory_expires(
    lc_store, post_webhook, queued, clock
):
    old = lc_store.webhook_secret
    assert post_webhook(lc_store, order_webhook(lc_store, 1, hash="1"), secret=old).status_code == 200
    _rotate_secret_elsewhere(lc_store, "rotated-secret-0123456789")
    clock[0] += store_lookup.WEBHOOK_STORE_SECONDS + 0.1
    response = post_webhook(lc_store, order_webhook(lc_store, 2, hash="2"), secret=old)
    assert response.status_code == 401
    assert WebhookDelivery.objects.get(response_status=401).status == "rejected"
    assert len(queued()) == 1


def test_a_store_saved_in_this_process_is_forgotten_at_once(lc_store, post_webhook, queued):
    old = lc_store.webhook_secret
    assert post_webhook(lc_store, order_webhook(lc_store, 1, hash="1")).status_code == 200  # remembered
    lc_store.webhook_secret = "saved-here-0123456789"
    lc_store.save()
    # Were it still remembered, the old secret would pass for a few more seconds.
    assert post_webhook(lc_store, order_webhook(lc_store, 2, hash="2"), secret=old).status_code == 401
    assert post_webhook(lc_store, order_webhook(lc_store, 3, hash="3")).status_code == 200  # remembered again
    lc_store.status = Store.Status.UNINSTALLED
    lc_store.save()
    response = post_webhook(lc_store, order_webhook(lc_store, 4, hash="4"))
    assert response.status_code == 200 and response.content == b""
    assert WebhookDelivery.objects.latest("id").error == "Store is not installed; ignored."
    assert WebhookDelivery.objects.latest("id").status == "rejected"
    assert len(queued()) == 2


def test_a_deleted_store_is_forgotten_at_once(lc_store, post_webhook, queued):
    assert post_webhook(lc_store, order_webhook(lc_store, 1, hash="1")).status_code == 200
    public_id = lc_store.public_id
    Store.objects.get(pk=lc_store.pk).delete()
    assert post_webhook(lc_store, order_webhook(lc_store, 2), public_id=public_id).status_code == 404


def test_an_uninstall_elsewhere_is_refused_by_the_task_then_at_the_door(lc_store, post_webhook, clock):
    first = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    second = bc_world.create_order(lc_store.store_hash, email="bob@example.com", status_id=11)
    assert post_webhook(lc_store, order_webhook(lc_store, first["id"])).status_code == 200
    assert OrderSnapshot.objects.filter(bc_order_id=first["id"]).exists()
    Store.objects.filter(pk=lc_store.pk).update(status=Store.Status.UNINSTALLED)
    # Still remembered as installed here: accepted, but the task (run eagerly) acts on nothing.
    assert post_webhook(lc_store, order_webhook(lc_store, second["id"])).status_code == 200
    accepted = WebhookDelivery.objects.get(resource_id=str(second["id"]))
    assert accepted.valid and accepted.status == "rejected" and "not installed" in accepted.error
    assert not OrderSnapshot.objects.filter(bc_order_id=second["id"]).exists()
    clock[0] += store_lookup.WEBHOOK_STORE_SECONDS + 0.1
    response = post_webhook(lc_store, order_webhook(lc_store, second["id"], hash="later"))
    assert response.status_code == 200 and response.content == b""
    assert WebhookDelivery.objects.latest("id").error == "Store is not installed; ignored."
    assert not WebhookDelivery.objects.latest("id").valid


def test_uninstalled_and_unknown_stores_are_not_remembered(lc_store, post_webhook, queued):
    Store.objects.filter(pk=lc_store.pk).update(status=Store.Status.UNINSTALLED)
    assert post_webhook(lc_store, order_webhook(lc_store, 1, hash="1")).status_code == 200
    assert WebhookDelivery.objects.latest("id").error.startswith("Store is not")
    Store.objects.filter(pk=lc_store.pk).update(status=Store.Status.INSTALLED)  # re-installed elsewhere
    assert post_webhook(lc_store, order_webhook(lc_store, 2, hash="2")).status_code == 200
    assert WebhookDelivery.objects.latest("id").valid
    assert post_webhook(lc_store, order_webhook(lc_store, 3), public_id="not-yet-a-store").status_code == 404
    Store.objects.filter(pk=lc_store.pk).update(public_id="not-yet-a-store")
    assert post_webhook(lc_store, order_webhook(lc_store, 3), public_id="not-yet-a-store").status_code == 200
    assert len(queued()) == 2


def test_a_failed_enqueue_still_answers_200_and_the_sweeper_processes_the_delivery(
    lc_store, post_webhook, purchases, monkeypatch
):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)

    def broker_down(delivery_ids):
        raise ConnectionError("broker unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(tasks.process_webhook_deliveries, "delay", broker_down)
        assert post_webhook(lc_store, order_webhook(lc_store, order["id"])).status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.valid and delivery.status == "received" and purchases() == []
    assert tasks.webhook_deliveries_sweep() == 0  # too recent: its task may just be queued behind others
    WebhookDelivery.objects.update(received_at=timezone.now() - tasks.SWEEP_AFTER - timedelta(seconds=1))
    assert tasks.webhook_deliveries_sweep() == 1
    delivery.refresh_from_db()
    assert delivery.status == "processed" and len(purchases()) == 1
    assert tasks.webhook_deliveries_sweep() == 0


def test_the_sweeper_queues_only_valid_deliveries_left_unprocessed(lc_store, post_webhook, published, queued):
    for n in range(5):
        assert post_webhook(lc_store, order_webhook(lc_store, n, hash=f"h{n}")).status_code == 200
    post_webhook(lc_store, order_webhook(lc_store, 0, hash="h0"))  # duplicate
    post_webhook(lc_store, order_webhook(lc_store, 9), secret="wrong")  # rejected
    rows = {d.resource_id: d for d in WebhookDelivery.objects.filter(status="received")}
    WebhookDelivery.objects.filter(pk=rows["1"].pk).update(status="processed")
    WebhookDelivery.objects.filter(pk=rows["2"].pk).update(status="failed")
    WebhookDelivery.objects.filter(pk=rows["3"].pk).update(attempts=tasks.SWEEP_MAX_ATTEMPTS)
    WebhookDelivery.objects.exclude(pk=rows["4"].pk).update(
        received_at=timezone.now() - tasks.SWEEP_AFTER - timedelta(minutes=1)
    )
    published.clear()
    assert tasks.webhook_deliveries_sweep() == 1
    assert queued() == [rows["0"].pk]


def test_the_sweeper_is_scheduled(settings):
    from config.celery import app

    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "storefront.webhook_deliveries_sweep"]
    assert entries and entries[0]["schedule"] <= tasks.SWEEP_AFTER.total_seconds()
    assert "storefront.webhook_deliveries_sweep" in app.tasks
