"""One BigCommerce rate budget per store, shared by every process that calls the store's API.

BigCommerce's quota is per store and shared by all apps and all of our processes (reference bigcommerce §8):
every response says how many requests are left in the window (`X-Rate-Limit-Requests-Left`), when it refills
(`X-Rate-Limit-Time-Reset-Ms`), the quota and the window's length. Each worker process reading only its own
responses would spend the quota as if it were alone, and N of them would all meet 429 and sleep. Instead the
budget lives in Redis, one hash per store, and every call goes through it:

* `acquire()` before each attempt takes one request from the budget, atomically (a Lua script). Plenty
  left: go at once. Below `pace_below` of the quota: the remaining requests are spread over the time left
  in the window (each caller gets a slot and sleeps until it). At the reserve (`reserve` of the quota, kept
  for other apps on the store and for requests already in flight): wait for the window to refill.
* `observe()` after each response feeds the headers back. In the same window the budget keeps the lower of
  its own count and the API's (the API's counts every app; ours counts the requests still in flight); a
  new window takes the API's figures as they are; an answer from an earlier window is ignored.

Nothing is known about a store until its first answer: the first call goes. A wait never exceeds
`max_wait` in all: then the request is sent anyway and the transport's 429 handling takes over, so a
budget can slow a caller down but never hold it forever.

Without Redis (the demo's embedded default: RATE_BUDGET_URL unset and no Redis cache) the budget is kept in
this process, shared by its threads, which is exact for a single worker process. While Redis is unreachable
the same local budget stands in (each process then paces itself alone, as before this budget existed) and
Redis is tried again every RETRY_AFTER_SECONDS.

Knows HTTP headers and nothing of the domain; keyed by store hash. Times are milliseconds; Redis uses its
own clock (TIME), so processes on hosts with skewed clocks still agree.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "bc-rate:"
RETRY_AFTER_SECONDS = 2.0
WARN_EVERY_SECONDS = 30.0
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)

# State of one store: left, reset_at (ms), quota, window (ms), next_at (ms: the next paced slot).
FIELDS = ("left", "reset_at", "quota", "window", "next_at")


@dataclass(frozen=True)
class Limits:
    """The rate-limit headers of one answer (every one of them present and numeric, else None)."""

    left: int
    reset_ms: int
    quota: int
    window_ms: int

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Limits | None:
        try:
            return cls(
                left=int(headers["X-Rate-Limit-Requests-Left"]),
                reset_ms=int(headers["X-Rate-Limit-Time-Reset-Ms"]),
                quota=int(headers["X-Rate-Limit-Requests-Quota"]),
                window_ms=int(headers["X-Rate-Limit-Time-Window-Ms"]),
            )
        except (KeyError, TypeError, ValueError):
            return None  # e.g. a 429 without them: platform load, not our quota (reference §8)


# --- the rules, once in Python (the local budget) and once in Lua (Redis); tests hold them equal ---------


def take(state: dict | None, *, now: int, reserve: float, pace_below: float) -> tuple[dict | None, bool, int]:
    """(new state, taken?, ms to wait). Taken: send after the wait. Not taken: wait, then ask again."""
    if state is None:
        return None, True, 0
    state = dict(state)
    if now >= state["reset_at"]:  # the window refilled, as the API said it would
        state.update(left=state["quota"], reset_at=now + state["window"], next_at=now)
    kept = math.floor(state["quota"] * reserve)
    if state["left"] <= kept:
        return state, False, state["reset_at"] - now
    slot = max(now, state["next_at"])
    interval = 0
    if state["left"] <= state["quota"] * pace_below:
        interval = (state["reset_at"] - now) // (state["left"] - kept)
    state.update(left=state["left"] - 1, next_at=slot + interval)
    return state, True, slot - now


def observe(state: dict | None, *, now: int, limits: Limits) -> dict | None:
    """The budget after an answer carrying `limits` (None: nothing to learn)."""
    reset_at = now + limits.reset_ms
    if state is None:
        return {"left": limits.left, "reset_at": reset_at, "quota": limits.quota, "window": limits.window_ms,
                "next_at": now}
    tolerance = min(1000, limits.window_ms // 4)
    state = dict(state, quota=limits.quota, window=limits.window_ms)
    if reset_at > state["reset_at"] + tolerance:  # a new window: the API's figures as they are
        state.update(left=limits.left, reset_at=reset_at)
    elif reset_at >= state["reset_at"] - limits.window_ms // 2:  # this window: the lower count wins
        state.update(left=min(state["left"], limits.left), reset_at=reset_at)
    return state  # else an answer from an earlier window: nothing new


_LUA_COMMON = """
local now = tonumber(ARGV[1])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local s = redis.call('HMGET', KEYS[1], 'left', 'reset_at', 'quota', 'window', 'next_at')
local left, reset_at, quota, window, next_at =
  tonumber(s[1]), tonumber(s[2]), tonumber(s[3]), tonumber(s[4]), tonumber(s[5])
local function save()
  redis.call('HSET', KEYS[1], 'left', left, 'reset_at', reset_at, 'quota', quota, 'window', window,
             'next_at', next_at)
  redis.call('PEXPIRE', KEYS[1], math.max(1000, reset_at - now + 2 * window))
end
"""

TAKE_LUA = _LUA_COMMON + """
if left == nil then return {1, 0} end
local reserve, pace_below = tonumber(ARGV[2]), tonumber(ARGV[3])
if now >= reset_at then left = quota; reset_at = now + window; next_at = now end
local kept = math.floor(quota * reserve)
if left <= kept then save(); return {0, reset_at - now} end
local slot = math.max(now, next_at)
local interval = 0
if left <= quota * pace_below then interval = math.floor((reset_at - now) / (left - kept)) end
left = left - 1
next_at = slot + interval
save()
return {1, slot - now}
"""

OBSERVE_LUA = _LUA_COMMON + """
local h_left, h_reset, h_quota, h_window = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]),
  tonumber(ARGV[5])
local h_reset_at = now + h_reset
if left == nil then
  left, reset_at, quota, window, next_at = h_left, h_reset_at, h_quota, h_window, now
  save(); return 1
end
quota, window = h_quota, h_window
local tolerance = math.min(1000, math.floor(h_window / 4))
if h_reset_at > reset_at + tolerance then
  left = h_left; reset_at = h_reset_at
elseif h_reset_at >= reset_at - math.floor(h_window / 2) then
  left = math.min(left, h_left); reset_at = h_reset_at
end
save()
return 1
"""


# --- where the state lives ------------------------------------------------------------------------------


class LocalBudgets:
    """This process's budgets, shared by its threads (the rules above under one lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, dict] = {}

    def take(self, key: str, *, now: int | None, reserve: float, pace_below: float) -> tuple[bool, int]:
        with self._lock:
            state, taken, wait = take(self._states.get(key), now=_now(now), reserve=reserve,
                                      pace_below=pace_below)
            if state is not None:
                self._states[key] = state
            return taken, wait

    def observe(self, key: str, *, now: int | None, limits: Limits) -> None:
        with self._lock:
            self._states[key] = observe(self._states.get(key), now=_now(now), limits=limits)

    def clear(self) -> None:
        with self._lock:
            self._states.clear()


class RedisBudgets:
    """Budgets in Redis, one hash per store, changed only by the two scripts (atomic across processes)."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1.0)
        self._take = self.client.register_script(TAKE_LUA)
        self._observe = self.client.register_script(OBSERVE_LUA)

    def take(self, key: str, *, now: int | None, reserve: float, pace_below: float) -> tuple[bool, int]:
        taken, wait = self._take(keys=[key], args=["" if now is None else now, reserve, pace_below])
        return bool(taken), int(wait)

    def observe(self, key: str, *, now: int | None, limits: Limits) -> None:
        self._observe(keys=[key], args=["" if now is None else now, limits.left, limits.reset_ms, limits.quota,
                                        limits.window_ms])

    def clear(self) -> None:
        for key in self.client.scan_iter(f"{KEY_PREFIX}*"):
            self.client.delete(key)


def _now(now: int | None) -> int:
    return int(time.time() * 1000) if now is None else now


_local = LocalBudgets()


class Budgets:
    """Redis when configured and reachable, else this process's budgets (see the module docstring)."""

    def __init__(self, url: str) -> None:
        self.shared = RedisBudgets(url) if url.startswith(("redis://", "rediss://", "unix://")) else None
        self.local = _local
        self._down_until = 0.0
        self._warned_at = -math.inf

    def _call(self, name: str, *args, **kwargs):
        if self.shared is not None and time.monotonic() >= self._down_until:
            try:
                return getattr(self.shared, name)(*args, **kwargs)
            except REDIS_ERRORS as exc:
                self._went_down(exc)
        return getattr(self.local, name)(*args, **kwargs)

    def _went_down(self, exc: BaseException) -> None:
        now = time.monotonic()
        self._down_until = now + RETRY_AFTER_SECONDS
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            logger.warning("BigCommerce rate budget: Redis unavailable (%s); each process paces itself until "
                           "it is back (retrying every %.0f s).", type(exc).__name__, RETRY_AFTER_SECONDS)

    def take(self, key: str, **kwargs) -> tuple[bool, int]:
        return self._call("take", key, **kwargs)

    def observe(self, key: str, **kwargs) -> None:
        self._call("observe", key, **kwargs)


@cache
def budgets(url: str) -> Budgets:
    return Budgets(url)


def rate_budgets_clear() -> None:
    """Forget every budget (tests: a store hash reused by the next test starts unknown)."""
    _local.clear()
    url = settings.BIGCOMMERCE_RATE_BUDGET["url"]
    if url:
        budgets(url)._call("clear")  # Redis down: the local one again, already cleared


@dataclass
class RateBudget:
    """The budget of one store, as the HTTP transport uses it (storefront.http.HttpTransport.budget)."""

    store_hash: str
    reserve: float = 0.05
    pace_below: float = 0.5
    max_wait: float = 60.0
    url: str = ""

    @classmethod
    def for_store(cls, store_hash: str) -> RateBudget:
        return cls(store_hash=store_hash, **settings.BIGCOMMERCE_RATE_BUDGET)

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}{self.store_hash}"

    def acquire(self, *, sleep: Callable[[float], None] = time.sleep, now: int | None = None) -> float:
        """Take one request from the budget, sleeping as it says; returns the seconds slept (≤ max_wait)."""
        waited = 0.0
        while True:
            taken, wait_ms = budgets(self.url).take(self.key, now=now, reserve=self.reserve,
                                                    pace_below=self.pace_below)
            wait = wait_ms / 1000 if taken else wait_ms / 1000 + random.uniform(0, 0.05)  # no herd at the refill
            wait = min(max(0.0, wait), self.max_wait - waited)
            if wait > 0:
                sleep(wait)
                waited += wait
            if taken or waited >= self.max_wait:
                return waited

    def observe(self, headers: Mapping[str, str], *, now: int | None = None) -> None:
        limits = Limits.from_headers(headers)
        if limits is not None:
            budgets(self.url).observe(self.key, now=now, limits=limits)
