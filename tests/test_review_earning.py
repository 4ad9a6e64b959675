"""Approved product reviews earn `product_review` once per review, found by the scheduled scan through the
sandbox's catalog API: pending reviews earn nothing until approved, a re-scan sends no duplicate, a store
without the optional Products scope is skipped with the reason shown, one store's reviews never reach
another's Friendbuy, and a run is bounded and resumes where it stopped."""
from datetime import timedelta

import pytest
from django.utils import timezone

from referrals.earning.events import earning_event_counts, earning_settings_save
from referrals.earning.reviews import SCOPE_MISSING, review_scan_run, review_scans_queue
from referrals.models import EarningSettings, LoyaltyEvent, ReviewScan
from sandbox import faults
from sandbox.bigcommerce import world as bc_world
from sandbox.bigcommerce.models import FakeProductReview, FakeStore
from sandbox.friendbuy import world as fb_world
from storefront.scopes import PRODUCTS_READ

pytestmark = pytest.mark.django_db(transaction=True)


def _reviews_on(store):
    store.scopes = f"{store.scopes} {PRODUCTS_READ}"
    store.save(update_fields=["scopes"])
    return EarningSettings.objects.create(store=store, reviews_enabled=True)


def _sent(merchant):
    return [e for e in fb_world.events(merchant, "custom") if e["eventType"] == "product_review"]


def test_an_approved_review_by_a_customer_earns_one_product_review_event(lc_store, lc_merchant):
    _reviews_on(lc_store)
    ada = bc_world.create_customer(lc_store.store_hash, email="ada@example.com")
    mug = bc_world.create_product(lc_store.store_hash, name="Mug")
    review = bc_world.add_review(lc_store.store_hash, mug["id"], email="ada@example.com", status="approved", rating=4)
    run = review_scan_run(store_id=lc_store.pk)
    assert run.owed == 1 and run.pass_finished and run.reason == ""
    sent = _sent(lc_merchant)
    assert len(sent) == 1
    assert sent[0]["deduplicationId"] == f"product_review:{mug['id']}:{review['id']}"
    assert sent[0]["email"] == "ada@example.com" and sent[0]["customerId"] == str(ada["id"])
    assert sent[0]["additionalProperties"]["productId"] == str(mug["id"])
    assert sent[0]["additionalProperties"]["rating"] == "4"
    assert LoyaltyEvent.objects.get(store=lc_store, event_type="product_review").state == LoyaltyEvent.State.SENT


def test_a_pending_review_earns_nothing_until_it_is_approved(lc_store, lc_merchant):
    _reviews_on(lc_store)
    mug = bc_world.create_product(lc_store.store_hash, name="Mug")
    review = bc_world.add_review(lc_store.store_hash, mug["id"], email="guest@example.com")
    assert review["status"] == "pending"
    review_scan_run(store_id=lc_store.pk)
    assert _sent(lc_merchant) == []
    bc_world.set_review_status(lc_store.store_hash, review["id"], "approved")
    review_scan_run(store_id=lc_store.pk)
    sent = _sent(lc_merchant)
    assert [e["email"] for e in sent] == ["guest@example.com"]
    assert sent[0]["customerId"] != ""  # a guest reviewer earns under the email's guest id


def test_scanning_again_sends_no_duplicate(lc_store, lc_merchant):
    _reviews_on(lc_store)
    mug = bc_world.create_product(lc_store.store_hash, name="Mug")
    bc_world.add_review(lc_store.store_hash, mug["id"], email="ada@example.com", status="approved")
    for _ in range(3):
        review_scan_run(store_id=lc_store.pk)
    # A watermark gone back (a restored backup, a reset) still sends nothing twice: the LoyaltyEvent row holds.
    ReviewScan.objects.filter(store=lc_store).update(since=timezone.now() - timedelta(days=30))
    review_scan_run(store_id=lc_store.pk)
    assert len(_sent(lc_merchant)) == 1
    assert LoyaltyEvent.objects.filter(store=lc_store, event_type="product_review").count() == 1


def test_without_the_products_scope_the_scan_is_skipped_and_the_page_says_why(lc_store, lc_merchant, client,
                                                                              load_app):
    EarningSettings.objects.create(store=lc_store, reviews_enabled=True)  # the token lacks store_v2_products…
    mug = bc_world.create_product(lc_store.store_hash, name="Mug")
    bc_world.add_review(lc_store.store_hash, mug["id"], email="ada@example.com", status="approved")
    run = review_scan_run(store_id=lc_store.pk)
    assert run.reason == SCOPE_MISSING and run.calls == 0 and _sent(lc_merchant) == []
    assert ReviewScan.objects.get(store=lc_store).reason == SCOPE_MISSING
    load_app(store_hash=lc_store.store_hash)
    body = client.get("/app/events/").content.decode()
    assert "store_v2_products_read_only" in body and "Reviews are off" in body


def test_a_token_bigcommerce_refuses_for_products_records_the_reason(lc_store, lc_merchant):
    _reviews_on(lc_store)
    FakeStore.objects.filter(store_hash=lc_store.store_hash).update(scope="store_v2_orders_read_only")
    run = review_scan_run(store_id=lc_store.pk)
    assert "403" in run.reason and "store_v2_products_read_only" in ReviewScan.objects.get(store=lc_store).reason


def test_one_stores_reviews_never_earn_in_another_store(lc_store, lc_merchant, bc_store):
    _reviews_on(lc_store)
    _reviews_on(bc_store)
    mug = bc_world.create_product(lc_store.store_hash, name="Mug")
    bc_world.add_review(lc_store.store_hash, mug["id"], email="ada@example.com", status="approved")
    other = review_scan_run(store_id=bc_store.pk)
    assert other.owed == 0 and other.pass_finished
    assert not LoyaltyEvent.objects.filter(store=bc_store).exists()
    assert review_scan_run(store_id=lc_store.pk).owed == 1
    assert LoyaltyEvent.objects.filter(event_type="product_review").get().store == lc_store


def test_switched_off_sends_nothing_and_is_not_queued(lc_store, lc_merchant):
    EarningSettings.objects.create(store=lc_store, reviews_enabled=False)
    mug = bc_world.create_product(lc_store.store_hash, name="Mug")
    bc_world.add_review(lc_store.store_hash, mug["id"], email="ada@example.com", status="approved")
    assert review_scans_queue() == 0
    assert review_scan_run(store_id=lc_store.pk).calls == 0 and _sent(lc_merchant) == []


def test_reviews_approved_before_the_switch_was_turned_on_do_not_earn(lc_store, lc_merchant):
    lc_store.scopes = f"{lc_store.scopes} {PRODUCTS_READ}"
    lc_store.save(update_fields=["scopes"])
    mug = bc_world.create_product(lc_store.store_hash, name="Mug")
    old = bc_world.add_review(lc_store.store_hash, mug["id"], email="old@example.com", status="approved")
    review = FakeProductReview.objects.get(pk=old["id"])
    review.data["date_modified"] = (timezone.now() - timedelta(days=3)).isoformat()
    review.save(update_fields=["data"])
    earning_settings_save(store=lc_store, sign_up_enabled=True, newsletter_enabled=True, reversals_enabled=True,
                          code_use_enabled=True, birthday_enabled=False, birthday_field="", reviews_enabled=True)
    bc_world.add_review(lc_store.store_hash, mug["id"], email="new@example.com", status="approved")
    review_scan_run(store_id=lc_store.pk)
    assert [e["email"] for e in _sent(lc_merchant)] == ["new@example.com"]


def test_a_run_is_bounded_and_the_next_resumes_where_it_stopped(lc_store, lc_merchant):
    _reviews_on(lc_store)
    products = [bc_world.create_product(lc_store.store_hash, name=f"Product {n}") for n in range(4)]
    bc_world.create_product(lc_store.store_hash, name="Nobody reviewed me")
    for product in products:
        bc_world.add_review(lc_store.store_hash, product["id"], email="ada@example.com", status="approved")
    # Three calls: the product list, the first product's reviews, the reviewer's customer lookup (once a run).
    first = review_scan_run(store_id=lc_store.pk, budget=3)
    assert first.calls == 3 and first.owed == 1 and not first.pass_finished
    scan = ReviewScan.objects.get(store=lc_store)
    assert scan.next_product_id == products[1]["id"] and scan.pass_started_at is not None
    runs = 1
    while not review_scan_run(store_id=lc_store.pk, budget=3).pass_finished:
        runs += 1
    assert runs == 3  # the second and third products took a run each; the next read the fourth and ended the pass
    assert len(_sent(lc_merchant)) == 4
    scan.refresh_from_db()
    assert scan.next_product_id == 0 and scan.since > timezone.now() - timedelta(minutes=1)


def test_two_pages_of_approved_reviews_of_one_product_are_all_read(lc_store, lc_merchant, monkeypatch):
    monkeypatch.setattr("referrals.earning.reviews.PAGE", 2)
    _reviews_on(lc_store)
    mug = bc_world.create_product(lc_store.store_hash, name="Mug")
    for n in range(5):
        bc_world.add_review(lc_store.store_hash, mug["id"], email=f"r{n}@example.com", status="approved")
    bc_world.add_review(lc_store.store_hash, mug["id"], email="pending@example.com")
    run = review_scan_run(store_id=lc_store.pk)
    assert run.owed == 5 and len(_sent(lc_merchant)) == 5


def test_the_schedule_queues_a_scan_of_each_store_that_switched_reviews_on(lc_store, lc_merchant):
    _reviews_on(lc_store)
    mug = bc_world.create_product(lc_store.store_hash, name="Mug")
    bc_world.add_review(lc_store.store_hash, mug["id"], email="ada@example.com", status="approved")
    assert review_scans_queue() == 1  # tasks run eagerly here: the scan ran
    assert len(_sent(lc_merchant)) == 1


def test_the_events_page_lists_product_review_with_its_switch_and_counts(client, installed_store, load_app):
    load_app()
    body = client.get("/app/events/").content.decode()
    assert "product_review" in body and 'name="reviews_enabled"' in body
    assert not EarningSettings.objects.filter(store=installed_store, reviews_enabled=True).exists()  # off by default
    client.post("/app/events/", {"reviews_enabled": "on"})
    assert EarningSettings.objects.get(store=installed_store).reviews_enabled
    assert ReviewScan.objects.get(store=installed_store).since > timezone.now() - timedelta(minutes=1)
    row = {r["event_type"]: r for r in earning_event_counts(store=installed_store)}["product_review"]
    assert row["enabled"] and row["switch"] == "reviews_enabled" and row["sent"] == 0


def test_a_bigcommerce_outage_is_recorded_and_the_next_run_picks_up_the_review(lc_store, lc_merchant):
    _reviews_on(lc_store)
    mug = bc_world.create_product(lc_store.store_hash, name="Mug")
    bc_world.add_review(lc_store.store_hash, mug["id"], email="ada@example.com", status="approved")
    faults.inject(service="bigcommerce", status=500, times=10, path_contains="/reviews")
    run = review_scan_run(store_id=lc_store.pk)
    assert "did not answer" in run.reason and _sent(lc_merchant) == []
    scan = ReviewScan.objects.get(store=lc_store)
    assert scan.next_product_id <= mug["id"] and scan.reason == run.reason and not scan.locked_until  # not past it
    faults.clear()
    assert review_scan_run(store_id=lc_store.pk).reason == ""
    assert len(_sent(lc_merchant)) == 1 and ReviewScan.objects.get(store=lc_store).reason == ""


def test_a_store_another_worker_is_scanning_is_left_to_it(lc_store, lc_merchant):
    _reviews_on(lc_store)
    review_scan_run(store_id=lc_store.pk)
    ReviewScan.objects.filter(store=lc_store).update(lock_token="other", locked_until=timezone.now()
                                                      + timedelta(minutes=5))
    run = review_scan_run(store_id=lc_store.pk)
    assert run.calls == 0 and "Another worker" in run.reason
