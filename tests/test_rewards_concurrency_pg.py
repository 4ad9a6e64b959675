"""Concurrency on PostgreSQL: the same reward webhook 20 times at once gets exactly one code; a hundred
rewards of the same amount at once get a hundred distinct one-time codes from one pool (SKIP LOCKED)."""
import threading

import pytest
from django.conf import settings
from django.db import connection, connections

from coupons.models import CouponCode
from referrals.models import Reward
from sandbox.bigcommerce.models import FakeCouponCode, FakePromotion
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
    assert Reward.objects.count() == 1
    assert CouponCode.objects.filter(source_key__isnull=False).count() == 1
    reward = Reward.objects.get()
    assert reward.state == Reward.State.ISSUED
    assert FakeCouponCode.objects.filter(code=reward.coupon.code).count() == 1
    # One batch was generated for the empty pool, however many deliveries found it empty.
    assert FakeCouponCode.objects.count() == CouponCode.objects.count() == settings.COUPON_REWARD_POOL_SIZE


def test_a_hundred_rewards_of_the_same_amount_at_once_get_a_hundred_distinct_codes(friendbuy, settings):
    settings.COUPON_REWARD_POOL_SIZE, settings.COUPON_REWARD_POOL_LOW = 40, 10  # so the pool refills midway
    items = [fb.reward_payload(email=f"a{n}@example.com", customer_id=str(n), amount="10.00") for n in range(100)]
    barrier = threading.Barrier(20)
    errors = []

    def deliver(chunk):
        try:
            barrier.wait()
            for item in chunk:
                friendbuy.webhook("advocateReward", [item])
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(items[n::20],)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    rewards = list(Reward.objects.select_related("coupon"))
    assert len(rewards) == 100 and {r.state for r in rewards} == {Reward.State.ISSUED}
    codes = [r.coupon.code for r in rewards]
    assert len(set(codes)) == 100
    remote = FakeCouponCode.objects.filter(code__in=codes)
    assert remote.count() == 100 and {(c.max_uses, c.max_uses_per_customer) for c in remote} == {(1, 1)}
    assert FakePromotion.objects.count() == 1 and FakePromotion.objects.get().data["coupon_type"] == "BULK"
    # No code was generated twice over: every code BigCommerce has is known here, held or waiting.
    assert FakeCouponCode.objects.count() == CouponCode.objects.count()


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
    assert FakePromotion.objects.count() == 1
    codes = {r.coupon.code for r in Reward.objects.select_related("coupon")}
    assert len(codes) == 10 and FakeCouponCode.objects.filter(code__in=codes).count() == 10
