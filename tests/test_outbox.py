"""The outbox: sent after commit, once; retried with backoff through a Friendbuy outage; 4xx is dead;
dead and failed events are replayable from the command and the admin."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from referrals.models import OutboxEvent
from referrals.outbox import MAX_ATTEMPTS, RETRY_SCHEDULE, outbox_dispatch_due
from sandbox import faults
from sandbox.bigcommerce import world as bc_world
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _paid_order(store):
    order = bc_world.create_order(store.store_hash, email="ann@example.com", status_id=11)
    bc_world.fire_order_event(store.store_hash, order["id"])
    return order


def _make_due():
    OutboxEvent.objects.filter(state="pending").update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_friendbuy_outage_loses_nothing_and_delivers_each_event_once(lc_store, purchases):
    # Three failed attempts per event: the transport does not resend a POST answered 5xx, the outbox does.
    faults.inject(service="friendbuy", status=503, times=6, path_contains="/event/purchase")
    orders = [_paid_order(lc_store) for _ in range(2)]
    assert purchases() == []
    events = OutboxEvent.objects.filter(kind="purchase")
    assert events.count() == 2
    assert all(
        e.state == "pending" and e.last_status == 503 and e.next_attempt_at > timezone.now() for e in events
    )
    # Not due yet: the beat task leaves them alone.
    assert outbox_dispatch_due() == 0
    for _ in range(5):
        _make_due()
        outbox_dispatch_due()
    assert sorted(p["orderId"] for p in purchases()) == sorted(str(o["id"]) for o in orders)
    assert set(events.values_list("state", flat=True)) == {"sent"}
    assert set(events.values_list("attempts", flat=True)) == {4}
    _make_due()
    assert outbox_dispatch_due() == 0
    assert len(purchases()) == 2


def test_a_refused_payload_is_dead_at_once_with_the_response_kept(lc_store, purchases):
    faults.inject(
        service="friendbuy",
        status=400,
        times=1,
        path_contains="/event/purchase",
        body={"error": "Bad Request", "message": "amount is invalid", "code": 400, "reference": "r1"},
    )
    _paid_order(lc_store)
    event = OutboxEvent.objects.get(kind="purchase")
    assert event.state == "dead" and event.attempts == 1 and event.last_status == 400
    assert event.last_response["message"] == "amount is invalid"


def test_replay_command_sends_dead_events_and_never_resends_sent_ones(lc_store, purchases):
    faults.inject(service="friendbuy", status=422, times=1, path_contains="/event/purchase")
    _paid_order(lc_store)
    _paid_order(lc_store)
    assert OutboxEvent.objects.filter(state="dead").count() == 1
    call_command("replay", "--failed", "--dead", "--store", lc_store.store_hash)
    assert set(OutboxEvent.objects.values_list("state", flat=True)) == {"sent"}
    assert len(purchases()) == 2
    call_command("replay", "--failed", "--dead")
    assert len(purchases()) == 2


def test_replay_one_event_by_id(lc_store, purchases):
    faults.inject(service="friendbuy", status=422, times=1, path_contains="/event/purchase")
    _paid_order(lc_store)
    event = OutboxEvent.objects.get()
    call_command("replay", "--event", str(event.pk))
    event.refresh_from_db()
    assert event.state == "sent" and len(purchases()) == 1


def test_after_an_outage_the_first_retry_that_succeeds_makes_the_stores_waiting_events_due(lc_store, purchases):
    faults.inject(service="friendbuy", status=503, times=3, path_contains="/event/purchase")
    orders = [_paid_order(lc_store) for _ in range(3)]
    hours_away = timezone.now() + timedelta(hours=3)
    OutboxEvent.objects.update(next_attempt_at=hours_away)  # a long outage's backoff
    other_store = StoreFactory()
    untouched = OutboxEvent.objects.create(store=other_store, kind="purchase", natural_key="other:1", payload={},
                                           attempts=2, last_status=503, next_attempt_at=hours_away)
    first = OutboxEvent.objects.order_by("pk").first()
    OutboxEvent.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))

    assert outbox_dispatch_due() == 1  # the probe goes through: Friendbuy is back
    assert outbox_dispatch_due() == 2  # the rest were made due at once, not in three hours
    assert sorted(p["orderId"] for p in purchases()) == sorted(str(o["id"]) for o in orders)
    untouched.refresh_from_db()
    assert untouched.next_attempt_at == hours_away


def test_retries_stop_after_max_attempts(lc_store):
    faults.inject(service="friendbuy", status=503, times=10_000, path_contains="/event/purchase")
    _paid_order(lc_store)
    for _ in range(MAX_ATTEMPTS):
        _make_due()
        outbox_dispatch_due()
    event = OutboxEvent.objects.get()
    assert event.state == "dead" and event.attempts == MAX_ATTEMPTS


def test_outbox_schedule_starts_at_a_minute_and_is_capped_at_six_hours():
    assert RETRY_SCHEDULE.ceiling(1) == 60
    assert RETRY_SCHEDULE.ceiling(20) == 6 * 60 * 60
    # Twelve attempts span roughly a day, so a Friendbuy outage of hours loses nothing.
    assert 12 * 3600 <= sum(RETRY_SCHEDULE.ceiling(n) for n in range(1, MAX_ATTEMPTS)) <= 48 * 3600


def test_admin_replay_asks_for_confirmation_then_replays_and_audits(lc_store, client, purchases):
    faults.inject(service="friendbuy", status=422, times=1, path_contains="/event/purchase")
    _paid_order(lc_store)
    event = OutboxEvent.objects.get()
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    url = "/admin/referrals/outboxevent/"
    page = client.post(url, {"action": "replay_events", "_selected_action": [event.pk]})
    assert page.status_code == 200 and b"Yes, send them again" in page.content
    event.refresh_from_db()
    assert event.state == "dead"
    done = client.post(url, {"action": "replay_events", "_selected_action": [event.pk], "confirm": "yes"})
    assert done.status_code == 302
    event.refresh_from_db()
    assert event.state == "sent" and len(purchases()) == 1
    assert LogEntry.objects.filter(object_id=str(event.pk), change_message__contains="Replayed").exists()


def test_admin_pages_render(lc_store, client):
    _paid_order(lc_store)
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    for path in (
        "storefront/webhookdelivery",
        "storefront/webhooksubscription",
        "referrals/ordersnapshot",
        "referrals/outboxevent",
        "referrals/customeridentity",
        "referrals/reconciliationrun",
        "referrals/storesettings",
        "referrals/orderevent",
    ):
        assert client.get(f"/admin/{path}/").status_code == 200, path
    from referrals.models import OrderSnapshot
    from storefront.models import WebhookDelivery

    snapshot = OrderSnapshot.objects.get()
    assert client.get(f"/admin/referrals/ordersnapshot/{snapshot.pk}/change/").status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert client.get(f"/admin/storefront/webhookdelivery/{delivery.pk}/change/").status_code == 200
