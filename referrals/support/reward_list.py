"""The reward list of one store's support pages (reads only): its rewards newest first, optionally in one
state, for the page (bounded) and for the CSV export (the same filter, more rows). Always one store:
the caller passes the session's store, never a store taken from the request."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from referrals.models import Reward
from referrals.support.words import money

PAGE_LIMIT = 200
CSV_LIMIT = 50_000
CSV_COLUMNS = ("created_at", "friendbuy_reward_id", "recipient", "email", "customer_id", "campaign_id", "amount",
               "unit", "state", "code", "code_state", "bc_order_id", "friend_email")


def reward_state(value: str) -> str:
    """The state filter as given when it is a known one, else "" (every state)."""
    return value if value in Reward.State.values else ""


def store_rewards(*, store_id: int, state: str = "") -> QuerySet[Reward]:
    """The store's rewards, newest first, in `state` when it is a known one."""
    rows = Reward.objects.filter(store_id=store_id).select_related("coupon").order_by("-created_at", "-id")
    state = reward_state(state)
    return rows.filter(state=state) if state else rows


def reward_amount(reward: Reward) -> str:
    """'$10.00' for money, '15 %' for a percentage, else the amount and its unit."""
    if reward.currency or len(reward.unit or "") == 3:
        return money(reward.amount, reward.currency or reward.unit)
    return f"{reward.amount.normalize():f} {reward.unit}".strip()


def _cell(value: str) -> str:
    # A shopper-typed value opening with = + - @ would be a formula in a spreadsheet: quote it.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


def reward_csv_rows(*, store_id: int, state: str = "") -> Iterator[list[str]]:
    """The header, then one row per reward of the filter (at most CSV_LIMIT)."""
    yield list(CSV_COLUMNS)
    for r in store_rewards(store_id=store_id, state=state)[:CSV_LIMIT].iterator(chunk_size=1000):
        yield [r.created_at.isoformat(), _cell(r.friendbuy_reward_id), r.recipient, _cell(r.email),
               _cell(r.customer_id), _cell(r.campaign_id), str(r.amount), _cell(r.unit), r.state,
               r.coupon.code if r.coupon else "", r.coupon.state if r.coupon else "", str(r.bc_order_id or ""),
               _cell(r.friend_email)]
