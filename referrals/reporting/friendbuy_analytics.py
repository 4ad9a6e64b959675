"""Nightly copy of Friendbuy's analytics (shares, clicks, sign-ups, purchases, distributed advocate
rewards) into FriendbuyAnalyticsDay: counted per store, day, kind and campaign.

Idempotent: each run replaces the rows of the days it fetched, so re-running a day (or a late
Friendbuy correction) never double-counts.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction

from referrals.friendbuy.client import FriendbuyError
from referrals.friendbuy.clients import friendbuy_for
from referrals.models import FriendbuyAnalyticsDay, FriendbuyConnection

logger = logging.getLogger(__name__)

KINDS = [kind for kind, _ in FriendbuyAnalyticsDay.Kind.choices]
# The money field each kind carries (reference friendbuy §2.7).
AMOUNT_FIELD = {"purchases": "amount", "distributed-advocate-rewards": "rewardAmount"}


def _day_of(value: str | None) -> date | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC).date()
    except (TypeError, ValueError):
        return None


def _amount(value) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def analytics_count(records, *, kind: str) -> dict[tuple[date, str], tuple[int, Decimal]]:
    """(day, campaignId) → (count, amount) for a stream of analytics records."""
    counts: dict[tuple[date, str], list] = defaultdict(lambda: [0, Decimal(0)])
    field = AMOUNT_FIELD.get(kind)
    for record in records:
        day = _day_of(record.get("createdOn"))
        if day is None:
            continue
        bucket = counts[(day, str(record.get("campaignId") or "")[:64])]
        bucket[0] += 1
        if field:
            bucket[1] += _amount(record.get(field))
    return {key: (value[0], value[1]) for key, value in counts.items()}


def analytics_sync(*, connection: FriendbuyConnection, start: date, end: date, client=None) -> int:
    """Fetch [start, end] (whole UTC days) for every kind and replace those days' rows; returns rows written."""
    client = client or friendbuy_for(connection)
    from_dt = datetime.combine(start, time.min, tzinfo=UTC)
    to_dt = datetime.combine(end, time.max, tzinfo=UTC)
    written = 0
    for kind in KINDS:
        counts = analytics_count(client.iter_analytics(kind, from_date=from_dt, to_date=to_dt), kind=kind)
        with transaction.atomic():
            FriendbuyAnalyticsDay.objects.filter(store_id=connection.store_id, kind=kind,
                                                 day__gte=start, day__lte=end).delete()
            FriendbuyAnalyticsDay.objects.bulk_create([
                FriendbuyAnalyticsDay(store_id=connection.store_id, day=day, kind=kind, campaign_id=campaign,
                                      count=count, amount=amount)
                for (day, campaign), (count, amount) in counts.items()
            ])
        written += len(counts)
    return written


def analytics_sync_all(*, days: int = 2, today: date | None = None) -> dict[str, int]:
    """Every connected store: the last `days` whole days (yesterday and the day before by default, so a
    late-arriving record is picked up the next night). One store failing does not stop the others."""
    today = today or datetime.now(UTC).date()
    start, end = today - timedelta(days=days), today - timedelta(days=1)
    result = {}
    for connection in FriendbuyConnection.objects.select_related("store").filter(store__status="installed"):
        try:
            result[connection.store.store_hash] = analytics_sync(connection=connection, start=start, end=end)
        except FriendbuyError as exc:
            logger.warning("Friendbuy analytics sync failed for %s: %s", connection.store.store_hash, exc)
            result[connection.store.store_hash] = -1
    return result
