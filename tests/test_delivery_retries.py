"""Nothing fails forever in silence: a webhook delivery whose processing failed (BigCommerce 5xx on the
re-fetch, a crash in a Friendbuy item) is retried on the shared schedule until it succeeds or becomes a
dead letter; dead letters are counted in the admin and replayable from the admin and the command."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from referrals.earning.send import LOYALTY_MAX_ATTEMPTS
from referrals.inbox import process as inbox_process
from referrals.inbox.process import _process_item, deliveries_retry_due
from referrals.models import FriendbuyDelivery, FriendbuyWebhookItem, LoyaltyEvent, OutboxEvent, Reward
from referrals.tasks import rewards as reward_tasks
from sandbox import faults
from sandbox.bigcommerce import world as bc_world
from storefront.models import WebhookDelivery
from storefront.tasks import webhooks as webhook_tasks
from storefront.webhooks import processing
from tests.fixtures_lifecycle import order_webhook

pytestmark = pytest.mark.django_db(transaction=True)

# Each processing attempt re-fetches the order with one GET, which the transport itself tries 5 times.
GETS_PER_ATTEMPT = 5


def _due(model):
    model.objects.exclude(next_attempt_at=None).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def superuser_client(client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    return client


def _failing_order(store, *, failed_attempts):
    order = bc_world.create_order(store.store_hash, email="ann@example.com", status_id=11)
    faults.inject(service="bigcommerce", status=503, times=failed_attempts * GETS_PER_ATTEMPT,
                  path_contains=f"/orders/{order['id']}")
    return order


# --- BigCommerce webhook deliveries ------------------------------------------------------------


def test_a_delivery_failing_twice_is_retried_on_schedule_and_processed_once(lc_store, post_webhook, purchases):
    order = _failing_order(lc_store, failed_attempts=2)
    assert post_webhook(lc_store, order_webhook(lc_store, order["id"])).status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1 and "503" in delivery.error
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=29)
    # Not due yet: the beat run leaves it alone.
    assert processing.deliveries_retry_due() == 0

    _due(WebhookDelivery)
    assert processing.deliveries_retry_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 2
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=59)  # the schedule grows

    _due(WebhookDelivery)
    assert processing.deliveries_retry_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("processed", 3, None)
    assert [p["orderId"] for p in purchases()] == [str(order["id"])]
    assert OutboxEvent.objects.filter(kind="purchase").count() == 1
    _due(WebhookDelivery)
    assert processing.deliveries_retry_due() == 0


def test_a_delivery_failing_forever_becomes_a_dead_letter_after_the_max(lc_store, post_webhook, monkeypatch):
    monkeypatch.setattr(processing, "MAX_ATTEMPTS", 3)
    order = _failing_order(lc_store, failed_attempts=1_000)
    post_webhook(lc_store, order_webhook(lc_store, order["id"]))
    for _ in range(5):
        _due(WebhookDelivery)
        webhook_tasks.webhook_deliveries_retry()  # what beat runs every minute
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("dead", 3, None)
    assert "503" in delivery.error


def test_a_dead_letter_is_counted_in_the_admin_and_replayed_behind_the_confirmation_page(
    lc_store, post_webhook, monkeypatch, superuser_client, purchases
):
    monkeypatch.setattr(processing, "MAX_ATTEMPTS", 1)
    order = _failing_order(lc_store, failed_attempts=1)
    post_webhook(lc_store, order_webhook(lc_store, order["id"]))
    delivery = WebhookDelivery.objects.get(status="dead")

    index = superuser_client.get("/admin/").content.decode()
    assert "Dead letters" in index and "1 bigcommerce webhook deliveries" in index
    assert "/admin/storefront/webhookdelivery/?status__exact=dead" in index
    listing = superuser_client.get("/admin/storefront/webhookdelivery/").content.decode()
    assert "1 dead letter(s)" in listing

    url = "/admin/storefront/webhookdelivery/"
    page = superuser_client.post(url, {"action": "replay_deliveries", "_selected_action": [delivery.pk]})
    assert page.status_code == 200 and b"Yes, replay them" in page.content
    delivery.refresh_from_db()
    assert delivery.status == "dead"
    done = superuser_client.post(
        url, {"action": "replay_deliveries", "_selected_action": [delivery.pk], "confirm": "yes"}
    )
    assert done.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "processed" and len(purchases()) == 1
    assert LogEntry.objects.filter(object_id=str(delivery.pk), change_message__contains="Replayed").exists()
    assert "Dead letters" not in superuser_client.get("/admin/").content.decode()


def test_the_replay_command_processes_dead_webhook_deliveries(lc_store, post_webhook, monkeypatch, purchases):
    monkeypatch.setattr(processing, "MAX_ATTEMPTS", 1)
    order = _failing_order(lc_store, failed_attempts=1)
    post_webhook(lc_store, order_webhook(lc_store, order["id"]))
    assert WebhookDelivery.objects.get().status == "dead"

    call_command("replay", "--queue", "webhooks", "--dead", "--store", lc_store.store_hash)

    assert WebhookDelivery.objects.get().status == "processed"
    assert len(purchases()) == 1


def test_a_read_only_role_sees_dead_letters_but_cannot_replay_them(lc_store, post_webhook, monkeypatch,
                                                                    auditor_client):
    monkeypatch.setattr(processing, "MAX_ATTEMPTS", 1)
    order = _failing_order(lc_store, failed_attempts=1)
    post_webhook(lc_store, order_webhook(lc_store, order["id"]))
    delivery = WebhookDelivery.objects.get(status="dead")

    listing = auditor_client.get("/admin/storefront/webhookdelivery/")
    assert listing.status_code == 200 and b"1 dead letter(s)" in listing.content
    assert b"replay_deliveries" not in listing.content
    refused = auditor_client.post("/admin/storefront/webhookdelivery/", {
        "action": "replay_deliveries", "_selected_action": [delivery.pk], "confirm": "yes"})
    assert refused.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == "dead" and delivery.attempts == 1


def test_processing_that_never_finishes_is_dead_lettered_not_swept_forever(lc_store, post_webhook):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    post_webhook(lc_store, order_webhook(lc_store, order["id"]))
    # As if three workers had each died mid-way through it.
    WebhookDelivery.objects.update(status="received", attempts=3,
                                   received_at=timezone.now() - timedelta(minutes=10))

    assert webhook_tasks.webhook_deliveries_sweep() == 0

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "dead" and delivery.error.startswith("Dead letter: still waiting after 3")


# --- Friendbuy webhook deliveries ---------------------------------------------------------------


@pytest.fixture
def crashing_items(monkeypatch):
    """The first `n` item runs crash (as a bug or a lost database connection would), the rest succeed."""
    real = _process_item
    state = {"left": 0}

    def process(*args):
        if state["left"]:
            state["left"] -= 1
            raise RuntimeError("database connection lost")
        return real(*args)

    monkeypatch.setattr(inbox_process, "_process_item", process)

    def arm(n):
        state["left"] = n

    return arm


def test_a_friendbuy_delivery_failing_twice_is_retried_and_processed_once(friendbuy, crashing_items):
    crashing_items(2)
    item, response = friendbuy.reward(amount="10.00")
    assert response.status_code == 200
    delivery = FriendbuyDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=29)
    assert deliveries_retry_due() == 0

    for expected in ("failed", "processed"):
        _due(FriendbuyDelivery)
        assert deliveries_retry_due() == 1
        delivery.refresh_from_db()
        assert delivery.status == expected
    assert delivery.attempts == 3 and delivery.next_attempt_at is None
    assert Reward.objects.filter(friendbuy_reward_id=item["rewardId"]).count() == 1
    assert Reward.objects.get().state == Reward.State.ISSUED
    assert list(FriendbuyWebhookItem.objects.values_list("index", "status")) == [(0, "processed")]


def test_a_friendbuy_delivery_failing_forever_becomes_a_dead_letter_then_replays(
    friendbuy, crashing_items, monkeypatch, superuser_client
):
    monkeypatch.setattr(inbox_process, "MAX_ATTEMPTS", 3)
    crashing_items(1_000)
    friendbuy.reward(amount="10.00")
    for _ in range(5):
        _due(FriendbuyDelivery)
        reward_tasks.friendbuy_deliveries_retry_task()  # what beat runs every minute
    delivery = FriendbuyDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("dead", 3, None)
    assert not Reward.objects.exists()
    index = superuser_client.get("/admin/").content.decode()
    assert "1 friendbuy webhook deliveries" in index
    assert b"1 dead letter(s)" in superuser_client.get("/admin/referrals/friendbuydelivery/").content

    crashing_items(0)
    url = "/admin/referrals/friendbuydelivery/"
    page = superuser_client.post(url, {"action": "replay", "_selected_action": [delivery.pk]})
    assert page.status_code == 200 and b"Yes, replay them" in page.content
    assert FriendbuyDelivery.objects.get().status == "dead"
    superuser_client.post(url, {"action": "replay", "_selected_action": [delivery.pk], "confirm": "yes"})
    delivery.refresh_from_db()
    assert delivery.status == "processed"
    assert Reward.objects.get().state == Reward.State.ISSUED


def test_the_replay_command_processes_dead_friendbuy_deliveries(friendbuy, crashing_items, monkeypatch):
    monkeypatch.setattr(inbox_process, "MAX_ATTEMPTS", 1)
    crashing_items(1)
    friendbuy.reward(amount="10.00")
    assert FriendbuyDelivery.objects.get().status == "dead"

    call_command("replay", "--queue", "friendbuy", "--dead")

    assert FriendbuyDelivery.objects.get().status == "processed"
    assert Reward.objects.count() == 1


def test_a_verified_friendbuy_delivery_whose_processing_was_never_queued_is_swept(friendbuy, monkeypatch):
    monkeypatch.setattr(reward_tasks.friendbuy_delivery_process_task, "delay", lambda delivery_id: None)
    friendbuy.reward(amount="10.00")
    delivery = FriendbuyDelivery.objects.get()
    assert delivery.status == "received"
    assert deliveries_retry_due() == 0  # may merely be queued behind others

    FriendbuyDelivery.objects.update(received_at=timezone.now() - timedelta(minutes=6))
    assert deliveries_retry_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == "processed" and Reward.objects.count() == 1


def test_loyalty_events_whose_retries_ran_out_are_counted_on_the_admin_index(lc_store, superuser_client):
    event = LoyaltyEvent.objects.create(store=lc_store, deduplication_id="review-1", event_type="review",
                                        customer_id="7", state=LoyaltyEvent.State.FAILED, attempts=1)
    assert "loyalty events" not in superuser_client.get("/admin/").content.decode()  # still retried

    LoyaltyEvent.objects.filter(pk=event.pk).update(attempts=LOYALTY_MAX_ATTEMPTS)

    assert "1 loyalty events whose retries ran out" in superuser_client.get("/admin/").content.decode()
