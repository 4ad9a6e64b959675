"""The same reward webhook 20 times at once → exactly one code in BigCommerce (PostgreSQL row locks)."""
import threading

import pytest
from django.db import connection, connections

from coupons.models import CouponCode
from referrals.models import Reward
from sandbox.bigcommerce.models import FakeCouponCode
from sandbox.friendbuy import world as fb

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (set DATABASE_URL)")


def test_same_reward_webhook_20_times_concurrently_mints_exactly_one_code(friendbuy):
    item = fb.reward_payload(email="ada@example.com", customer_id="101", amount="10.00")
    barrier = threading.Barrier(20)
    statuses, errors = [], []

    def deliver():
        try:
            barrier.wait()
            statuses.append(friendbuy.webhook("advocateReward", [item]).status_code)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and statuses == [200] * 20
    assert Reward.objects.count() == 1 and CouponCode.objects.count() == 1
    assert FakeCouponCode.objects.count() == 1
    reward = Reward.objects.get()
    # Whichever delivery held the lease finished the mint; at most a sweep is needed if it didn't.
    if reward.state != Reward.State.ISSUED:
        from datetime import timedelta

        from django.utils import timezone

        from coupons.services import coupon_reconcile_minting

        coupon_reconcile_minting(now=timezone.now() + timedelta(minutes=5))
        reward.refresh_from_db()
    assert reward.state == Reward.State.ISSUED
    assert FakeCouponCode.objects.get().code == reward.coupon.code


def test_different_rewards_for_the_same_amount_share_one_promotion(friendbuy):
    items = [fb.reward_payload(email=f"a{n}@example.com", customer_id=str(n), amount="10.00") for n in range(10)]
    barrier = threading.Barrier(10)

    def deliver(item):
        try:
            barrier.wait()
            friendbuy.webhook("advocateReward", [item])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    from sandbox.bigcommerce.models import FakePromotion

    assert FakePromotion.objects.count() == 1
    assert FakeCouponCode.objects.count() == 10
