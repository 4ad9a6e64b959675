"""Builds the reports' daily rollup (ReportDay, CampaignDay) from orders, outbox events and rewards.

A report over a year then sums a few hundred rows instead of scanning a million orders. The rollup
of a range is rebuilt whole (delete + insert in one transaction), so rebuilding is idempotent:
nightly for the last ROLLING_DAYS (late refunds, rewards and manual links change recent days), and
on demand for today and yesterday whenever a report is opened; an older day is rebuilt as soon as a
late change reaches it (an order event or a reward transition, see connect_receivers).

Orders are grouped once per day, display currency and storefront channel (an order without a channel_id
counts on channel 1, the default storefront): each group is one ChannelDay row, and the groups of a day and
currency add up to its all-channels ReportDay row, so the all-channels figures are what they were before the
split (counts and sums add exactly; the exchange-rate range is the min/max of the channels' ranges).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Min, PositiveIntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.signals import post_save
from django.utils import timezone

from coupons.models import Redemption
from referrals.attribution.services import accepted_referral_links
from referrals.models import (
    CampaignDay,
    ChannelDay,
    ManualAttribution,
    OrderSnapshot,
    OutboxEvent,
    ReportDay,
    Reward,
    RewardTransition,
)
from referrals.orders.signals import order_event_recorded
from referrals.reporting.selectors import ISSUED_STATES, REDEEMED_STATES, ZERO, referred_q, report_session
from storefront.models import DEFAULT_CHANNEL_ID, Store

ROLLING_DAYS = 45
# Up to this many days the referred test looks the range's orders up by id in each source table; beyond
# it one hashed semi-join over every referral source is cheaper.
PROBE_DAYS = 7


def _referred_among(store_id: int, orders) -> tuple[Q, Q]:
    """(referred, new customer) conditions for a few days of orders, as explicit id lists: a handful of
    index lookups per source table instead of hashing every referral the store ever had."""
    pairs = list(orders.values_list("pk", "bc_order_id"))
    numbers = [number for _, number in pairs]
    referred = set(accepted_referral_links(store_id=store_id, order_ids=numbers).values_list("bc_order_id", flat=True))
    referred |= set(Redemption.objects.filter(store_id=store_id, bc_order_id__in=numbers)
                    .values_list("bc_order_id", flat=True))
    referred |= set(Reward.objects.filter(store_id=store_id, recipient=Reward.Recipient.ADVOCATE,
                                          bc_order_id__in=numbers).values_list("bc_order_id", flat=True))
    referred |= set(ManualAttribution.objects.filter(store_id=store_id, bc_order_id__in=numbers)
                    .values_list("bc_order_id", flat=True))
    # Read the flag rather than filter on it, so the lookup goes by order id, not through the partial index.
    new = {order_id for order_id, flag in OutboxEvent.objects.filter(
        store_id=store_id, kind=OutboxEvent.Kind.PURCHASE, order_id__in=[pk for pk, _ in pairs],
    ).values_list("order_id", "payload__isNewCustomer") if flag is True}
    return Q(bc_order_id__in=referred), Q(pk__in=new)


def _referred_all(store_id: int) -> tuple[Q, Q]:
    """(referred, new customer) for a long range: one hashed semi-join over every referral source, and one
    hashed lookup over the isNewCustomer purchase events (a PostgreSQL partial index holds exactly those)."""
    events = OutboxEvent.objects.filter(store_id=store_id, kind=OutboxEvent.Kind.PURCHASE, payload__isNewCustomer=True)
    return referred_q(store_id=store_id), Q(pk__in=events.values("order_id").order_by())


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time.min, tzinfo=UTC), datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)


# The order's storefront channel; orders that name none were placed on the default storefront.
CHANNEL = Coalesce("channel_id", Value(DEFAULT_CHANNEL_ID, output_field=PositiveIntegerField()))
ORDER_FIGURES = ("orders", "revenue", "referred_orders", "referred_revenue", "referred_display_total",
                 "new_customers")


def _no_figures() -> dict:
    return {"orders": 0, "revenue": Decimal(0), "referred_orders": 0, "referred_revenue": Decimal(0),
            "referred_display_total": Decimal(0), "new_customers": 0, "min_rate": None, "max_rate": None}


def _add(target, figures: dict) -> None:
    """Add one channel's figures for a day and currency to a row (a fresh ChannelDay, or the ReportDay of
    all channels that several channels add up to)."""
    for name in ORDER_FIGURES:
        setattr(target, name, getattr(target, name) + figures[name])
    for name, pick in (("min_rate", min), ("max_rate", max)):
        value, current = figures[name], getattr(target, name)
        setattr(target, name, value if current is None else current if value is None else pick(current, value))


def _order_rows(orders, referred: Q, new: Q, row, channel_row) -> None:
    """Group the range's paid orders by day, currency and channel (two queries: all, and referred ones) and
    add each group to its ChannelDay row and to the day's all-channels ReportDay row."""
    figures: dict[tuple, dict] = defaultdict(_no_figures)
    grouped = orders.annotate(day=TruncDate("first_paid_at"), channel=CHANNEL).values("day", "currency_code", "channel")
    for r in grouped.annotate(n=Count("id"), revenue=Coalesce(Sum("default_currency_total"), ZERO)):
        key = (r["day"], r["currency_code"], r["channel"])
        figures[key]["orders"], figures[key]["revenue"] = r["n"], r["revenue"]
    for r in (grouped.filter(referred)
              .annotate(n=Count("id"), revenue=Coalesce(Sum("default_currency_total"), ZERO),
                        display=Coalesce(Sum("total_inc_tax"), ZERO), new=Count("id", filter=new),
                        min_rate=Min("exchange_rate"), max_rate=Max("exchange_rate"))):
        key = (r["day"], r["currency_code"], r["channel"])
        figures[key].update(referred_orders=r["n"], referred_revenue=r["revenue"], referred_display_total=r["display"],
                            new_customers=r["new"], min_rate=r["min_rate"], max_rate=r["max_rate"])
    for (day, currency, channel), found in figures.items():
        _add(row(day, currency), found)
        _add(channel_row(day, currency, channel), found)


def _reward_rows(rewards, row) -> None:
    money = ~Q(unit="%")
    for r in (rewards.filter(state__in=ISSUED_STATES).annotate(day=TruncDate("created_at")).values("day")
              .annotate(issued=Count("id"), redeemed=Count("id", filter=Q(state__in=REDEEMED_STATES)),
                        cost=Coalesce(Sum("amount", filter=money), ZERO),
                        redeemed_cost=Coalesce(Sum("amount", filter=Q(state__in=REDEEMED_STATES) & money), ZERO))):
        target = row(r["day"], "")
        target.rewards_issued, target.rewards_redeemed = r["issued"], r["redeemed"]
        target.reward_cost, target.redeemed_cost = r["cost"], r["redeemed_cost"]


def _campaign_rows(rewards, store_id: int) -> list[CampaignDay]:
    money = ~Q(unit="%")
    advocate = Q(recipient=Reward.Recipient.ADVOCATE, bc_order_id__isnull=False)
    return [
        CampaignDay(store_id=store_id, day=r["day"], campaign_id=r["campaign_id"], rewards=r["n"],
                    rewards_issued=r["issued"], rewards_redeemed=r["redeemed"], reward_cost=r["cost"],
                    referred_orders=r["orders"], referred_revenue=r["revenue"])
        for r in (rewards.annotate(day=TruncDate("created_at")).values("day", "campaign_id")
                  .annotate(n=Count("id"), issued=Count("id", filter=Q(state__in=ISSUED_STATES)),
                            redeemed=Count("id", filter=Q(state__in=REDEEMED_STATES)),
                            cost=Coalesce(Sum("amount", filter=Q(state__in=ISSUED_STATES) & money), ZERO),
                            orders=Count("bc_order_id", filter=advocate, distinct=True),
                            revenue=Coalesce(Sum("order__default_currency_total", filter=advocate), ZERO)))
    ]


def reports_rollup(*, store_id: int, start: date, end: date) -> int:
    """Rebuild the rollup rows of [start, end] (UTC days, inclusive); returns how many rows were written."""
    since, until = _bounds(start, end)
    orders = OrderSnapshot.objects.filter(store_id=store_id, first_paid_at__gte=since, first_paid_at__lt=until)
    rewards = Reward.objects.filter(store_id=store_id, created_at__gte=since, created_at__lt=until)
    referred, new = _referred_among(store_id, orders) if (end - start).days < PROBE_DAYS \
        else _referred_all(store_id)
    rows: dict[tuple, ReportDay] = {}
    channel_rows: dict[tuple, ChannelDay] = {}

    def row(day, currency) -> ReportDay:
        key = (day, currency or "")
        if key not in rows:
            rows[key] = ReportDay(store_id=store_id, day=day, currency_code=currency or "")
        return rows[key]

    def channel_row(day, currency, channel_id) -> ChannelDay:
        key = (day, currency or "", channel_id)
        if key not in channel_rows:
            channel_rows[key] = ChannelDay(store_id=store_id, day=day, currency_code=currency or "",
                                           channel_id=channel_id)
        return channel_rows[key]

    with report_session():
        _order_rows(orders, referred, new, row, channel_row)
        _reward_rows(rewards, row)
        campaigns = _campaign_rows(rewards, store_id)
        for model in (ReportDay, ChannelDay, CampaignDay):
            model.objects.filter(store_id=store_id, day__gte=start, day__lte=end).delete()
        ReportDay.objects.bulk_create(rows.values(), batch_size=1000)
        ChannelDay.objects.bulk_create(channel_rows.values(), batch_size=1000)
        CampaignDay.objects.bulk_create(campaigns, batch_size=1000)
    return len(rows) + len(channel_rows) + len(campaigns)


def reports_refresh(*, store_id: int, window_start: date, today: date | None = None) -> None:
    """Before a report is shown: today and yesterday always; the whole window the first time, and the first
    time after the split by channel arrived (a rollup built before it has ReportDay rows but no ChannelDay
    rows although the store has paid orders: the whole history is rebuilt once, with the same totals)."""
    today = today or timezone.now().date()
    built = ReportDay.objects.filter(store_id=store_id).exists()
    if not built or not ChannelDay.objects.filter(store_id=store_id).exists():
        first = OrderSnapshot.objects.filter(store_id=store_id, first_paid_at__isnull=False).order_by(
            "first_paid_at").values_list("first_paid_at", flat=True).first()
        if not built or first is not None:
            start = min(window_start, first.date()) if first else window_start
            reports_rollup(store_id=store_id, start=start, end=today)
            return
    reports_rollup(store_id=store_id, start=today - timedelta(days=1), end=today)


def reports_rollup_recent(*, days: int = ROLLING_DAYS, today: date | None = None) -> dict[int, int]:
    """Nightly: rebuild the last `days` days of every installed store."""
    today = today or timezone.now().date()
    written: dict[int, int] = defaultdict(int)
    for store_id in Store.objects.filter(status=Store.Status.INSTALLED).values_list("pk", flat=True):
        written[store_id] = reports_rollup(store_id=store_id, start=today - timedelta(days=days), end=today)
    return dict(written)


def reports_rollup_day_of(*, store_id: int, at: datetime | None) -> None:
    """Rebuild one old day whose numbers just changed (a late refund, a reward redeemed months later).

    Today and yesterday are rebuilt whenever a report is shown and the last ROLLING_DAYS nightly, so only
    changes to days older than yesterday need this; they are rare, and one day is a few small queries.
    """
    if at is None:
        return
    day = at.date()
    if day < timezone.now().date() - timedelta(days=1) and ReportDay.objects.filter(store_id=store_id).exists():
        reports_rollup(store_id=store_id, start=day, end=day)


def _on_order_event(sender, *, event, **kwargs) -> None:
    reports_rollup_day_of(store_id=event.store_id, at=event.order.first_paid_at)


def _on_reward_transition(sender, *, instance, created, **kwargs) -> None:
    if created:
        reward = instance.reward
        transaction.on_commit(lambda: reports_rollup_day_of(store_id=reward.store_id, at=reward.created_at))


def connect_receivers() -> None:
    """Keep old rollup days true to late changes (called from ReferralsConfig.ready)."""

    order_event_recorded.connect(_on_order_event, dispatch_uid="reports-order-event")
    post_save.connect(_on_reward_transition, sender=RewardTransition, dispatch_uid="reports-reward-transition")


__all__ = ["connect_receivers", "reports_refresh", "reports_rollup", "reports_rollup_day_of", "reports_rollup_recent"]
