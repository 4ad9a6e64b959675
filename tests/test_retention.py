"""Retention: each class of evidence is kept for its configured days, then pruned in bounded batches
on the beat schedule; pending deliveries and the rows pointing at pruned ones survive; the admin says so."""

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals.models import FriendbuyDelivery, OrderEvent, Reward, ValidationCallback
from sandbox.bigcommerce import world as bc_world
from storefront.models import OutboundCall, RejectedCall, WebhookDelivery
from storefront.retention import retention_prune_all, retention_rules, rule_prune
from storefront.tasks.retention import retention_prune

pytestmark = pytest.mark.django_db(transaction=True)


def _aged(model, days: int, date_field: str = "received_at", **fields):
    row = model.objects.create(**fields)
    model.objects.filter(pk=row.pk).update(**{date_field: timezone.now() - timedelta(days=days)})
    return row.pk


_ids = itertools.count(1)


def _webhook(days: int, **fields) -> int:
    return _aged(WebhookDelivery, days, resource_id=str(next(_ids)), **fields)


def _alive(model, *pks) -> set[int]:
    return set(model.objects.filter(pk__in=pks).values_list("pk", flat=True))


def test_each_class_of_webhook_delivery_is_kept_for_its_own_days(lc_store):
    processed_old = _webhook(31, store=lc_store, authenticated=True, valid=True, status="processed")
    processed_young = _webhook(29, store=lc_store, authenticated=True, valid=True, status="processed")
    duplicate_old = _webhook(31, store=lc_store, authenticated=True, status="duplicate")
    rejected_mid = _webhook(31, store=lc_store, authenticated=True, status="rejected")
    failed_old = _webhook(91, store=lc_store, authenticated=True, valid=True, status="failed")
    dead_old = _webhook(91, store=lc_store, authenticated=True, valid=True, status="dead")
    unauthenticated_old = _webhook(15, public_id="nobody", status="rejected")
    unauthenticated_young = _webhook(13, public_id="nobody", status="rejected")
    pending_ancient = _webhook(400, store=lc_store, authenticated=True, valid=True, status="received")
    retention_prune()
    assert _alive(WebhookDelivery, processed_old, processed_young, duplicate_old, rejected_mid, failed_old, dead_old,
                  unauthenticated_old, unauthenticated_young, pending_ancient) == {
        processed_young, rejected_mid, unauthenticated_young, pending_ancient}


def test_outbound_calls_and_refused_widget_calls_are_pruned_by_their_rules(lc_store):
    call = {"store": lc_store, "service": "bigcommerce", "method": "GET", "path": "/v2/orders/1", "url": "x"}
    ok_old = _aged(OutboundCall, 31, "created_at", status=200, **call)
    failed_mid = _aged(OutboundCall, 31, "created_at", status=500, **call)
    timeout_old = _aged(OutboundCall, 91, "created_at", status=None, error="timeout", **call)
    refused_old = _aged(RejectedCall, 15, path="/api/storefront/v1/capture", status=413, reason="too large")
    refused_young = _aged(RejectedCall, 1, path="/api/storefront/v1/capture", status=413, reason="too large")
    counts = retention_prune_all()
    assert _alive(OutboundCall, ok_old, failed_mid, timeout_old) == {failed_mid}
    assert _alive(RejectedCall, refused_old, refused_young) == {refused_young}
    assert counts["outbound_calls_ok"] == 1 and counts["outbound_calls_failed"] == 1 and counts["rejected_calls"] == 1


def test_friendbuy_failures_and_dead_letters_are_kept_ninety_days(reward_store):
    common = {"store": reward_store, "kind": "webhook", "public_id": "x", "valid": True}
    dead_mid = _aged(FriendbuyDelivery, 60, status="dead", **common)
    dead_old = _aged(FriendbuyDelivery, 91, status="dead", **common)
    failed_old = _aged(FriendbuyDelivery, 91, status="failed", **common)
    processed_old = _aged(FriendbuyDelivery, 31, status="processed", **common)
    pending_old = _aged(FriendbuyDelivery, 400, status="received", **common)
    retention_prune()
    assert _alive(FriendbuyDelivery, dead_mid, dead_old, failed_old, processed_old, pending_old) == {
        dead_mid, pending_old}


def test_pruning_deletes_in_bounded_batches_and_the_next_run_goes_on(lc_store):
    pks = [_webhook(31, store=lc_store, authenticated=True, status="processed") for _ in range(10)]
    (rule,) = [r for r in retention_rules(model=WebhookDelivery) if r.key == "webhook_deliveries_processed"]
    with CaptureQueriesContext(connection) as queries:
        assert rule_prune(rule, now=timezone.now(), batch=3, max_batches=2) == 6
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    # One DELETE per batch, each bounded by an id range (ON DELETE SET NULL updates aside).
    assert len([sql for sql in deletes if "webhookdelivery" in sql.lower()]) == 2
    assert len(_alive(WebhookDelivery, *pks)) == 4
    assert rule_prune(rule, now=timezone.now(), batch=3, max_batches=2) == 4
    assert not _alive(WebhookDelivery, *pks)


def test_zero_days_keeps_a_class_forever(lc_store, settings):
    settings.RETENTION_PROCESSED_DAYS = 0
    kept = _webhook(3650, store=lc_store, authenticated=True, status="processed")
    retention_prune()
    assert _alive(WebhookDelivery, kept) == {kept}


def test_pruned_deliveries_leave_the_order_events_and_rewards_they_caused(lc_store, friendbuy, purchases):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    bc_world.fire_order_event(lc_store.store_hash, order["id"])
    friendbuy.reward(amount="20.00")
    WebhookDelivery.objects.update(received_at=timezone.now() - timedelta(days=31))
    FriendbuyDelivery.objects.update(received_at=timezone.now() - timedelta(days=31))
    events = OrderEvent.objects.filter(order__bc_order_id=order["id"]).count()
    assert events and Reward.objects.count() == 1
    retention_prune()
    assert not WebhookDelivery.objects.exists() and not FriendbuyDelivery.objects.exists()
    assert OrderEvent.objects.filter(order__bc_order_id=order["id"], delivery=None).count() == events
    assert Reward.objects.get().delivery is None


def test_a_validation_callback_is_kept_ninety_days_with_its_delivery(friendbuy, reward_store):
    order = bc_world.create_order(reward_store.store_hash, email="fred@example.com", status_id=11)
    from sandbox.friendbuy import world as fb

    body = fb.purchase_validation_body(order_id=str(order["id"]), amount=40, email="fred@example.com",
                                       customer_id="", advocate_email="ada@example.com", advocate_customer_id="1")
    assert friendbuy.validate(body).status_code == 200
    FriendbuyDelivery.objects.update(received_at=timezone.now() - timedelta(days=60))
    retention_prune()
    assert ValidationCallback.objects.count() == 1
    FriendbuyDelivery.objects.update(received_at=timezone.now() - timedelta(days=91))
    retention_prune()
    assert not ValidationCallback.objects.exists() and not FriendbuyDelivery.objects.exists()


def test_the_prune_runs_hourly_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["storefront-retention-prune"]
    assert entry["task"] == "storefront.retention_prune" and entry["schedule"] == 60 * 60


@pytest.mark.parametrize(
    "url, text",
    [
        ("/admin/storefront/webhookdelivery/", "processed and duplicate deliveries 30 days"),
        ("/admin/storefront/outboundcall/", "failed calls 90 days"),
        ("/admin/storefront/rejectedcall/", "refused calls 14 days"),
        ("/admin/referrals/friendbuydelivery/", "verified validation callbacks 90 days"),
        ("/admin/referrals/validationcallback/", "verified validation callbacks 90 days"),
    ],
)
def test_each_evidence_changelist_says_how_long_rows_are_kept(admin_client, url, text):
    response = admin_client.get(url)
    assert response.status_code == 200
    assert text in response.content.decode()
