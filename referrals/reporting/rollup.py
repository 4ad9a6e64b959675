"""Builds the reports' daily rollup (ReportDay, CampaignDay) from orders, outbox events and rewards.

A report over a year then sums a few hundred rows instead of scanning a million orders. The rollup
of a range is rebuilt whole (delete + insert in one transaction), so rebuilding is idempotent:
nightly for the last ROLLING_DAYS (late refunds, rewards and manual links change recent days), and
on demand for today and yesterday whenever a report is opened; an older day is rebuilt as soon as a
late change reaches it (an order event or a reward transition, see connect_receivers).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.signals import post_save
from django.utils import timezone

from coupons.models import Redemption
from referrals.attribution.services import accepted_referral_links
from referrals.models import (
    CampaignDay,
    ManualAttribution,
    OrderSnapshot,
    OutboxEvent,
    ReportDay,
    Reward,
    RewardTransition,
)
from referrals.orders.signals import order_event_recorded
from referrals.reporting.selectors import ISSUED_STATES, REDEEMED_STATES, ZERO, referred_q, report_session
from storefront.models import Store

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


def _order_rows(orders, referred: Q, new: Q, row) -> None:
    for r in (orders.annotate(day=TruncDate("first_paid_at")).values("day", "currency_code")
              .annotate(n=Count("id"), revenue=Coalesce(Sum("default_currency_total"), ZERO))):
        target = row(r["day"], r["currency_code"])
        target.orders, target.revenue = r["n"], r["revenue"]
    for r in (orders.filter(referred).annotate(day=TruncDate("first_paid_at")).values("day", "currency_code")
              .annotate(n=Count("id"), revenue=Coalesce(Sum("default_currency_total"), ZERO),
                        display=Coalesce(Sum("total_inc_tax"), ZERO), new=Count("id", filter=new),
                        min_rate=Min("exchange_rate"), max_rate=Max("exchange_rate"))):
        target = row(r["day"], r["currency_code"])
        target.referred_orders, target.referred_revenue = r["n"], r["revenue"]
        target.referred_display_total, target.new_customers = r["display"], r["new"]
        target.min_rate, target.max_rate = r["min_rate"], r["max_rate"]


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

    def row(day, currency) -> ReportDay:
        key = (day, currency or "")
        if key not in rows:
            rows[key] = ReportDay(store_id=store_id, day=day, currency_code=currency or "")
        return rows[key]

    with report_session():
        _order_rows(orders, referred, new, row)
        _reward_rows(rewards, row)
        campaigns = _campaign_rows(rewards, store_id)
        ReportDay.objects.filter(store_id=store_id, day__gte=start, day__lte=end).delete()
        CampaignDay.objects.filter(store_id=store_id, day__gte=start, day__lte=end).delete()
        ReportDay.objects.bulk_create(rows.values(), batch_size=1000)
        CampaignDay.objects.bulk_create(campaigns, batch_size=1000)
    return len(rows) + len(campaigns)


def reports_refresh(*, store_id: int, window_start: date, today: date | None = None) -> None:
    """Before a report is shown: today and yesterday always; the whole window the first time."""
    today = today or timezone.now().date()
    if not ReportDay.objects.filter(store_id=store_id).exists():
        first = OrderSnapshot.objects.filter(store_id=store_id, first_paid_at__isnull=False).order_by(
            "first_paid_at").values_list("first_paid_at", flat=True).first()
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
