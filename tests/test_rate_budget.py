"""The BigCommerce rate budget per store (storefront.rate_budget): its rules, kept alike in this process and in
Redis; its fall-back while Redis is down; the sandbox's per-store quota it is fed by; and a client that
slows down before the quota runs out instead of meeting 429."""

import os
import time

import pytest

from sandbox.bigcommerce import world
from storefront import rate_budget
from storefront.models import OutboundCall
from storefront.rate_budget import Budgets, Limits, LocalBudgets, RateBudget, RedisBudgets

REDIS_URL = os.environ.get("TEST_CELERY_BROKER_URL", "")


def _backends():
    yield pytest.param(LocalBudgets, id="local")
    yield pytest.param(
        lambda: RedisBudgets(REDIS_URL), id="redis",
        marks=pytest.mark.skipif(not REDIS_URL.startswith("redis://"), reason="TEST_CELERY_BROKER_URL unset"),
    )


@pytest.fixture(params=list(_backends()))
def backend(request):
    budgets = request.param()
    budgets.clear()
    yield budgets
    budgets.clear()


KEY = "bc-rate:test-store"
T0 = 1_800_000_000_000  # ms


def _limits(left, *, reset_ms=1000, quota=10, window_ms=1000):
    return Limits(left=left, reset_ms=reset_ms, quota=quota, window_ms=window_ms)


def test_a_store_not_heard_from_yet_goes_at_once(backend):
    assert backend.take(KEY, now=T0, reserve=0.2, pace_below=0.5) == (True, 0)


def test_the_budget_stops_at_the_reserve_and_waits_for_the_window_to_refill(backend):
    backend.observe(KEY, now=T0, limits=_limits(10))
    goes = [backend.take(KEY, now=T0, reserve=0.2, pace_below=0.0) for _ in range(8)]
    assert goes == [(True, 0)] * 8
    assert backend.take(KEY, now=T0 + 100, reserve=0.2, pace_below=0.0) == (False, 900)
    # Refilled when the API said it would be.
    assert backend.take(KEY, now=T0 + 1000, reserve=0.2, pace_below=0.0) == (True, 0)


def test_below_the_pace_mark_the_rest_is_spread_over_the_window(backend):
    backend.observe(KEY, now=T0, limits=_limits(10, reset_ms=1000))
    slots = [backend.take(KEY, now=T0, reserve=0.0, pace_below=0.5) for _ in range(7)]
    # Five go at once; from left 5 each waits a share of the time left: 1000/5, then 1000/4 more.
    assert slots[:5] == [(True, 0)] * 5
    assert slots[5] == (True, 0) and slots[6] == (True, 200)


def test_in_one_window_the_lower_count_wins_and_a_new_window_takes_the_apis_figures(backend):
    backend.observe(KEY, now=T0, limits=_limits(10, reset_ms=1000))
    for _ in range(5):
        backend.take(KEY, now=T0, reserve=0.0, pace_below=0.0)  # ours: 5 left
    backend.observe(KEY, now=T0 + 10, limits=_limits(8, reset_ms=990))  # answer to an early call: 8 left
    assert [backend.take(KEY, now=T0 + 10, reserve=0.0, pace_below=0.0)[0] for _ in range(6)] == [True] * 5 + [False]
    backend.observe(KEY, now=T0 + 20, limits=_limits(2, reset_ms=980))  # other apps spent more: 2 left
    # A stale answer from the window before changes nothing.
    backend.observe(KEY, now=T0 + 30, limits=_limits(9, reset_ms=-2000 + 970))
    backend.observe(KEY, now=T0 + 1100, limits=_limits(7, reset_ms=900))  # the next window
    assert [backend.take(KEY, now=T0 + 1100, reserve=0.0, pace_below=0.0)[0] for _ in range(8)] == [True] * 7 + [False]


def test_local_and_redis_keep_the_same_rules():
    if not REDIS_URL.startswith("redis://"):
        pytest.skip("TEST_CELERY_BROKER_URL unset")
    local, shared = LocalBudgets(), RedisBudgets(REDIS_URL)
    shared.clear()
    steps = [("observe", 0, _limits(20, reset_ms=1000, quota=20))]
    steps += [("take", 5 * n, None) for n in range(30)]
    steps += [("observe", 300, _limits(3, reset_ms=700, quota=20)), ("take", 310, None), ("take", 1200, None)]
    for kind, at, limits in steps:
        if kind == "observe":
            local.observe(KEY, now=T0 + at, limits=limits)
            shared.observe(KEY, now=T0 + at, limits=limits)
        else:
            assert local.take(KEY, now=T0 + at, reserve=0.1, pace_below=0.5) == shared.take(
                KEY, now=T0 + at, reserve=0.1, pace_below=0.5)
    shared.clear()


def test_with_redis_down_each_process_paces_itself_and_never_blocks():
    budgets = Budgets("redis://127.0.0.1:1/0")  # nothing listens on port 1
    budgets.local.clear()
    started = time.monotonic()
    budgets.observe(KEY, now=T0, limits=_limits(10))
    assert budgets.take(KEY, now=T0, reserve=0.0, pace_below=0.0) == (True, 0)
    assert time.monotonic() - started < 2.0
    budgets.local.clear()


def test_a_wait_is_capped_at_max_wait(monkeypatch):
    slept = []
    budget = RateBudget(store_hash="capped", reserve=0.5, pace_below=0.0, max_wait=3.0, url="")
    budget.observe({"X-Rate-Limit-Requests-Left": "1", "X-Rate-Limit-Time-Reset-Ms": "30000",
                    "X-Rate-Limit-Requests-Quota": "2", "X-Rate-Limit-Time-Window-Ms": "30000"}, now=T0)
    assert budget.acquire(sleep=slept.append, now=T0) == 3.0
    assert sum(slept) == 3.0


def test_answers_without_the_headers_teach_the_budget_nothing():
    assert Limits.from_headers({"X-Rate-Limit-Time-Reset-Ms": "10"}) is None


# --- the sandbox's quota, and a client against it --------------------------------------------------------


def test_a_metered_sandbox_store_counts_down_and_answers_429_past_its_quota(bc_store, bc_client, settings):
    settings.HTTP_RETRY = {"max_attempts": 1, "base_delay": 0.0, "max_delay": 0.0}
    world.set_rate_limit(bc_store.store_hash, quota=3, window_ms=60_000)
    transport = bc_client.transport
    transport.budget = None  # the raw API
    answers = [transport.request("GET", "/v3/hooks", headers=bc_client._headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-Rate-Limit-Requests-Left"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["X-Rate-Limit-Requests-Quota"] for a in answers} == {"3"}
    assert all(0 < int(a.headers["X-Rate-Limit-Time-Reset-Ms"]) <= 60_000 for a in answers)


def test_an_unmetered_sandbox_store_shows_a_quota_it_never_reaches(bc_store, bc_client):
    response = bc_client.request("GET", "/v3/hooks")
    assert int(response.headers["X-Rate-Limit-Requests-Quota"]) >= 1_000_000


def test_the_client_slows_down_before_the_quota_runs_out_instead_of_meeting_429(bc_store, bc_client, settings):
    settings.BIGCOMMERCE_RATE_BUDGET = {**settings.BIGCOMMERCE_RATE_BUDGET, "url": "", "reserve": 0.0}
    world.set_rate_limit(bc_store.store_hash, quota=4, window_ms=1000)
    bc_client.transport.budget = RateBudget.for_store(bc_store.store_hash)
    started = time.monotonic()
    for _ in range(10):
        bc_client.list_hooks()
    statuses = list(OutboundCall.objects.filter(store=bc_store).order_by("id").values_list("status", flat=True))
    assert statuses == [200] * 10
    assert time.monotonic() - started >= 1.0  # ten calls at four a second wait for at least one refill


def test_rate_budget_keys_are_per_store():
    assert RateBudget(store_hash="a").key != RateBudget(store_hash="b").key
    assert RateBudget(store_hash="a").key.startswith(rate_budget.KEY_PREFIX)
