"""The one retry schedule (storefront.backoff): exponential, capped, jittered within half its ceiling."""
import random
from datetime import UTC, datetime, timedelta

import pytest

from storefront.backoff import Backoff
from storefront.http import RetryPolicy


def test_the_ceiling_doubles_from_the_base_and_stops_at_the_cap():
    schedule = Backoff(base=60, cap=600)
    assert [schedule.ceiling(n) for n in range(1, 7)] == [60, 120, 240, 480, 600, 600]


@pytest.mark.parametrize("failures", [1, 2, 5, 12, 40, 10_000])
def test_every_delay_lies_between_half_its_ceiling_and_the_ceiling(failures):
    schedule = Backoff(base=0.5, cap=30)
    ceiling = schedule.ceiling(failures)
    delays = [schedule.wait(failures) for _ in range(200)]
    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)


def test_the_jitter_spreads_rows_that_failed_together():
    random.seed(7)
    delays = {round(Backoff(base=60, cap=3600).wait(3), 3) for _ in range(50)}
    assert len(delays) > 40


def test_no_failure_yet_or_a_zero_base_waits_nothing_more_than_the_base():
    assert Backoff(base=60, cap=600).ceiling(0) == 60
    assert Backoff(base=0, cap=0).wait(5) == 0


def test_next_attempt_at_is_now_plus_the_delay():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    due = Backoff(base=60, cap=60).next_attempt_at(4, now=now)
    assert now + timedelta(seconds=30) <= due <= now + timedelta(seconds=60)


def test_the_transport_waits_on_the_same_schedule():
    policy = RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=30.0)
    assert all(1.0 <= policy.backoff(3) <= 2.0 for _ in range(100))
    assert all(15.0 <= policy.backoff(50) <= 30.0 for _ in range(100))
