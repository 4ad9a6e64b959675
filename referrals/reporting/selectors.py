"""Attribution reporting (reads only): referred orders and revenue, new customers, rewards issued and
redeemed, reward cost and ROI — by day, week or month and by campaign — plus the currency conversions
behind the totals and Friendbuy's share → click → sign-up → purchase funnel.

Reports read the daily rollup (ReportDay, CampaignDay; built by referrals.reporting.rollup with grouped
`values().annotate()` queries over (store, first_paid_at) / (store, created_at)), so a year is a few
hundred rows whatever the order volume. Money is in the store's default currency as each order snapshot
stores it (`default_currency_total`, BigCommerce's conversion at `exchange_rate`); the conversions
table shows the amounts as paid next to them. `referred_q` defines a referred order for the rollup.

Split by storefront channel (`channel_id=N`): the period and currency reports then read ChannelDay, the same
order figures per channel (orders without a channel count on channel 1, the default storefront). Rewards are
not split by channel (a reward belongs to a campaign, not a storefront): a channel's rows carry None for the
reward figures and ROI, and the campaign report and Friendbuy's funnel stay the store's. Without a channel
(`channel_id=None`, the default) every report reads the all-channels rows exactly as before.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import DecimalField, Max, Min, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from coupons.models import Redemption
from referrals.attribution.services import accepted_referral_links
from referrals.models import (
    CampaignDay,
    ChannelDay,
    FriendbuyAnalyticsDay,
    ManualAttribution,
    ReportDay,
    Reward,
)
from storefront.models import DEFAULT_CHANNEL_ID
from storefront.selectors import store_channel_names

GRAINS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
FUNNEL = [FriendbuyAnalyticsDay.Kind.SHARES, FriendbuyAnalyticsDay.Kind.CLICKS, FriendbuyAnalyticsDay.Kind.SIGN_UPS,
          FriendbuyAnalyticsDay.Kind.PURCHASES, FriendbuyAnalyticsDay.Kind.REWARDS]
ISSUED_STATES = (Reward.State.ISSUED, Reward.State.REDEEMED, Reward.State.CLAWBACK_FLAGGED)
REDEEMED_STATES = (Reward.State.REDEEMED, Reward.State.CLAWBACK_FLAGGED)
ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=20, decimal_places=4))


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    grain: str = "month"


def report_window(*, months: int = 12, grain: str = "month", now: datetime | None = None,
                  start: date | None = None, end: date | None = None) -> Window:
    """[start, end) covering the last `months` months up to now (or up to `end` when only it is given), or the
    given dates (end inclusive)."""
    now = now or timezone.now()
    grain = grain if grain in GRAINS else "month"
    end_dt = now if end is None else datetime(end.year, end.month, end.day, tzinfo=timezone.get_current_timezone()
                                              ) + timedelta(days=1)
    if start is None:
        start_dt = (min(now, end_dt) - timedelta(days=31 * months)).replace(day=1, hour=0, minute=0, second=0,
                                                                             microsecond=0)
    else:
        start_dt = datetime(start.year, start.month, start.day, tzinfo=timezone.get_current_timezone())
    return Window(start=start_dt, end=end_dt, grain=grain)


@contextlib.contextmanager
def report_session():
    """On PostgreSQL give the grouping and the hashed `IN (subquery)` lookups room to stay in memory."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
        yield


def referred_order_ids(*, store_id: int):
    """The ids of a store's referred orders, as one UNION subquery (PostgreSQL plans it as a hashed
    semi-join). An order is referred when a link attribution accepts credits it (a link that proves the
    order, to a signed referral: referrals.attribution.accepted_referral_links), it used one of our codes,
    earned an advocate reward, or support linked it by hand."""
    links = accepted_referral_links(store_id=store_id).values("bc_order_id").order_by()
    redeemed = Redemption.objects.filter(store_id=store_id).values("bc_order_id").order_by()
    earned = Reward.objects.filter(store_id=store_id, recipient=Reward.Recipient.ADVOCATE,
                                   bc_order_id__isnull=False).values("bc_order_id").order_by()
    manual = ManualAttribution.objects.filter(store_id=store_id).values("bc_order_id").order_by()
    # Default model orderings are cleared: SQL forbids ORDER BY inside the parts of a UNION.
    return links.union(redeemed, earned, manual)


def referred_q(*, store_id: int) -> Q:
    return Q(bc_order_id__in=referred_order_ids(store_id=store_id))


def _roi(revenue: Decimal, cost: Decimal) -> Decimal | None:
    return ((revenue - cost) / cost).quantize(Decimal("0.01")) if cost else None


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _days(store_id: int, window: Window, channel_id: int | None = None):
    """The window's rollup rows: all channels (ReportDay), or one channel's (ChannelDay)."""
    days = {"store_id": store_id, "day__gte": window.start.date(), "day__lt": _end_day(window)}
    if channel_id is None:
        return ReportDay.objects.filter(**days)
    return ChannelDay.objects.filter(channel_id=channel_id, **days)


def _end_day(window: Window) -> date:
    """The first day after the window (an end at midnight excludes that day)."""
    end = window.end
    return end.date() if end.time() == datetime.min.time() else end.date() + timedelta(days=1)


ORDER_SUMS = ("orders", "revenue", "referred_orders", "referred_revenue", "new_customers")
REWARD_SUMS = ("rewards_issued", "rewards_redeemed", "reward_cost", "redeemed_cost")


def period_report(*, store_id: int, window: Window, channel_id: int | None = None) -> list[dict]:
    """One row per day/week/month: paid orders, referred orders and revenue, new customers, rewards issued
    and redeemed, reward cost, ROI (read from the daily rollup, see referrals.reporting.rollup). For one
    channel the order figures are that channel's and the reward figures and ROI are None (not split)."""
    sums = ORDER_SUMS if channel_id is not None else ORDER_SUMS + REWARD_SUMS
    rows = list(
        _days(store_id, window, channel_id).annotate(period=GRAINS[window.grain]("day")).values("period")
        .annotate(**{name: Sum(name) for name in sums}).order_by("period")
    )
    for r in rows:
        r["period"] = _day(r["period"])
        if channel_id is not None:
            r.update(dict.fromkeys(REWARD_SUMS))
        r["roi"] = _roi(r["referred_revenue"], r["reward_cost"]) if r["reward_cost"] is not None else None
    return rows


def period_starts(*, window: Window) -> list[date]:
    """The first day of every day/week (Monday)/month the window touches, in order: the charts' x-axis, so a
    period without orders is a zero, not a gap the axis closes up."""
    first, last = window.start.date(), _end_day(window) - timedelta(days=1)
    if window.grain == "month":
        current, starts = first.replace(day=1), []
        while current <= last:
            starts.append(current)
            current = (current + timedelta(days=32)).replace(day=1)
        return starts
    step = 7 if window.grain == "week" else 1
    current = first - timedelta(days=first.weekday()) if window.grain == "week" else first
    return [current + timedelta(days=step * i) for i in range((last - current).days // step + 1)]


def totals(rows: list[dict]) -> dict:
    """The rows' sums and ROI; a figure every row leaves None (rewards on one channel's rows) stays None."""
    total = {}
    for k in ORDER_SUMS + REWARD_SUMS:
        values = [r.get(k) for r in rows]
        if values and all(v is None for v in values):
            total[k] = None
        else:
            total[k] = sum((v or 0 for v in values), Decimal(0) if "revenue" in k or "cost" in k else 0)
    total["roi"] = _roi(total["referred_revenue"], total["reward_cost"]) if total["reward_cost"] is not None else None
    return total


def campaign_report(*, store_id: int, window: Window) -> list[dict]:
    """Per Friendbuy campaign: rewards issued/redeemed, their cost, and the orders that earned advocate rewards."""
    rows = list(
        CampaignDay.objects.filter(store_id=store_id, day__gte=window.start.date(), day__lt=_end_day(window))
        .values("campaign_id")
        .annotate(rewards=Sum("rewards"), rewards_issued=Sum("rewards_issued"),
                  rewards_redeemed=Sum("rewards_redeemed"), reward_cost=Sum("reward_cost"),
                  referred_orders=Sum("referred_orders"), referred_revenue=Sum("referred_revenue"))
        .order_by("-referred_revenue")
    )
    for r in rows:
        r["roi"] = _roi(r["referred_revenue"], r["reward_cost"])
    return rows


def currency_report(*, store_id: int, window: Window, channel_id: int | None = None) -> list[dict]:
    """Referred revenue per display currency: as the shopper paid, and converted to the default currency
    (of one channel's orders when channel_id is given)."""
    return list(
        _days(store_id, window, channel_id).exclude(currency_code="").filter(referred_orders__gt=0)
        .values("currency_code")
        .annotate(orders=Sum("referred_orders"), display_total=Sum("referred_display_total"),
                  default_total=Sum("referred_revenue"), min_rate=Min("min_rate"), max_rate=Max("max_rate"))
        .order_by("-default_total")
    )


def funnel_report(*, store_id: int, window: Window) -> list[dict]:
    """Friendbuy's funnel (synced nightly): shares → clicks → sign-ups → purchases → advocate rewards."""
    found = {
        r["kind"]: r for r in FriendbuyAnalyticsDay.objects.filter(
            store_id=store_id, day__gte=window.start.date(), day__lt=window.end.date() + timedelta(days=1))
        .values("kind").annotate(count=Coalesce(Sum("count"), 0), amount=Coalesce(Sum("amount"), ZERO))
    }
    labels = dict(FriendbuyAnalyticsDay.Kind.choices)
    steps, previous = [], None
    for kind in FUNNEL:
        count = found.get(kind, {}).get("count", 0)
        rate = (Decimal(count * 100) / previous).quantize(Decimal("0.1")) if previous else None
        steps.append({"kind": kind, "label": labels[kind], "count": count,
                      "amount": found.get(kind, {}).get("amount", Decimal(0)), "rate": rate})
        previous = count if kind != FriendbuyAnalyticsDay.Kind.PURCHASES else previous
    return steps


def report_channels(*, store_id: int) -> dict[int, str]:
    """{channel id: name} of the channels a report may be split by, in id order: the store's channels as
    last synced from BigCommerce, any channel its rolled-up orders came from (a channel since removed keeps
    its history, named "Channel N"), and channel 1, the default storefront, always."""
    names = store_channel_names(store_id=store_id)
    seen = ChannelDay.objects.filter(store_id=store_id).values_list("channel_id", flat=True).distinct().order_by()
    for channel_id in {DEFAULT_CHANNEL_ID, *seen} - names.keys():
        names[channel_id] = f"Channel {channel_id}"
    return dict(sorted(names.items()))


def channel_report(*, store_id: int, window: Window) -> list[dict]:
    """Per storefront channel (named as in report_channels): paid orders, revenue, referred orders and revenue,
    new customers in the window, the busiest channel first."""
    names = report_channels(store_id=store_id)
    rows = list(
        ChannelDay.objects.filter(store_id=store_id, day__gte=window.start.date(), day__lt=_end_day(window))
        .values("channel_id")
        .annotate(**{name: Sum(name) for name in ORDER_SUMS})
        .order_by("-referred_revenue", "-orders", "channel_id")
    )
    for r in rows:
        r["name"] = names.get(r["channel_id"], f"Channel {r['channel_id']}")
    return rows


# The CSV's columns: (key in a period_report row, the header a spreadsheet shows). Money is written with two
# decimals, the period as an ISO date (a spreadsheet reads and sorts it as a date).
CSV_COLUMNS = [("period", "Period start"), ("orders", "Paid orders"), ("revenue", "Revenue"),
               ("referred_orders", "Referred orders"), ("referred_revenue", "Referred revenue"),
               ("new_customers", "New customers"), ("rewards_issued", "Rewards issued"),
               ("rewards_redeemed", "Rewards redeemed"), ("reward_cost", "Reward cost"),
               ("redeemed_cost", "Redeemed reward cost"), ("roi", "ROI")]
CSV_MONEY = {"revenue", "referred_revenue", "reward_cost", "redeemed_cost"}
