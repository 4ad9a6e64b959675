"""Attribution reports: referred orders and revenue (default currency, conversions shown), new customers,
rewards and their cost, ROI, by period and campaign; the merchant page with an SVG chart and CSV export;
the nightly Friendbuy analytics sync (idempotent) feeding the funnel."""
import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from referrals.models import FriendbuyAnalyticsDay, FriendbuyConnection, ReportDay
from referrals.reporting import selectors as reporting
from referrals.reporting.friendbuy_analytics import analytics_sync, analytics_sync_all
from referrals.reporting.rollup import reports_refresh, reports_rollup, reports_rollup_recent
from sandbox.friendbuy import world as fb_world
from tests.fixtures_support import T0, Builder

pytestmark = pytest.mark.django_db
WINDOW = reporting.Window(start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2026, 6, 1, tzinfo=UTC))


def _rollup(store) -> None:
    reports_rollup(store_id=store.pk, start=date(2026, 1, 1), end=date(2026, 5, 31))


def _seed(build: Builder, *, rollup: bool = True) -> None:
    """March: 3 paid orders, 2 referred (one by link in EUR, one by an advocate reward); April: 1 redemption."""
    a = build.order(1, email="a@example.com", subtotal="92.00", currency="EUR", rate="0.92")
    build.attribution(a)
    build.purchase_event(a, is_new=True, referral_code="ADV-REF")
    b = build.order(2, email="b@example.com", subtotal="50.00", at=T0 + timedelta(days=3))
    build.purchase_event(b, is_new=False)
    build.reward("RW-B", order=b, state="redeemed", code="b10", campaign_id="camp-2", redeemed_on=99)
    build.order(3, email="c@example.com", subtotal="70.00")
    build.order(99, email="d@example.com", subtotal="40.00", at=T0 + timedelta(days=35))
    if rollup:
        _rollup(build.store)


def test_period_report_counts_referred_orders_revenue_new_customers_rewards_and_roi(build):
    _seed(build)
    rows = reporting.period_report(store_id=build.store.pk, window=WINDOW)
    march, april = rows
    assert march["period"] == date(2026, 3, 1) and april["period"] == date(2026, 4, 1)
    assert (march["orders"], march["referred_orders"]) == (3, 2)
    assert march["referred_revenue"] == Decimal("150.00")  # 92 EUR @0.92 = 100 USD, + 50 USD
    assert march["new_customers"] == 1
    assert (april["orders"], april["referred_orders"]) == (1, 1)  # order 99 used our code
    total = reporting.totals(rows)
    assert (total["rewards_issued"], total["rewards_redeemed"], total["reward_cost"]) == (1, 1, Decimal("10"))
    assert total["roi"] == Decimal("18.00")  # (190 - 10) / 10


def test_week_and_day_grains(build):
    _seed(build)
    weeks = reporting.period_report(store_id=build.store.pk,
                                    window=reporting.Window(WINDOW.start, WINDOW.end, "week"))
    days = reporting.period_report(store_id=build.store.pk, window=reporting.Window(WINDOW.start, WINDOW.end, "day"))
    assert sum(r["orders"] for r in weeks) == sum(r["orders"] for r in days) == 4
    assert weeks[0]["period"].weekday() == 0


def test_campaign_report(build):
    _seed(build)
    (row,) = reporting.campaign_report(store_id=build.store.pk, window=WINDOW)
    assert row["campaign_id"] == "camp-2"
    assert (row["referred_orders"], row["referred_revenue"], row["reward_cost"]) == (1, Decimal("50"), Decimal("10"))


def test_currency_report_shows_both_amounts(build):
    _seed(build)
    rows = {r["currency_code"]: r for r in reporting.currency_report(store_id=build.store.pk, window=WINDOW)}
    assert rows["EUR"]["display_total"] == Decimal("92") and rows["EUR"]["default_total"] == Decimal("100")
    assert rows["EUR"]["min_rate"] == Decimal("0.92")


def test_other_stores_are_not_counted(build):
    from tests.factories import StoreFactory

    _seed(Builder(StoreFactory()))
    assert reporting.period_report(store_id=build.store.pk, window=WINDOW) == []


def test_merchant_report_page_shows_an_svg_chart_and_exports_csv(client, installed_store, load_app):
    load_app()
    _seed(Builder(installed_store), rollup=False)  # the first report view builds the rollup
    page = client.get("/app/reports/", {"start": "2026-01-01", "end": "2026-05-31"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and 'class="bar"' in body and "Referred revenue" in body
    assert "frame-ancestors" in page["Content-Security-Policy"]
    response = client.get("/app/reports/", {"start": "2026-01-01", "end": "2026-05-31", "format": "csv"})
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["Referred orders"] for r in rows] == ["2", "1"] and rows[0]["Currency"] == "USD"


def test_merchant_page_links_to_the_reports(client, installed_store, load_app):
    load_app()
    assert 'href="/app/reports/"' in client.get("/app/").content.decode()


@pytest.mark.parametrize("params, says", [
    ({"end": "9999-12-31"}, "end must be between"),
    ({"start": "0001-01-01"}, "start must be between"),
    ({"start": "2026-02-30"}, "start must be a date"),
    ({"start": "2026-05-01", "end": "2026-04-01"}, "start must not be after end"),
    ({"start": "2000-01-01", "end": "2026-01-01"}, "at most"),
    ({"end": "9999-12-31", "format": "csv"}, "end must be between"),
])
def test_report_dates_out_of_bounds_are_a_clear_400(client, installed_store, load_app, support_client, params, says):
    load_app()
    page = client.get("/app/reports/", params)
    assert page.status_code == 400 and says in page.content.decode()
    staff = support_client.get("/admin/support/reports/", {"store": installed_store.pk, **params})
    assert staff.status_code == 400 and says in staff.content.decode()


def test_a_months_value_that_is_no_number_falls_back_to_twelve(client, installed_store, load_app):
    load_app()
    assert client.get("/app/reports/", {"months": "²"}).status_code == 200


def test_reports_need_a_merchant_session(client, db):
    assert client.get("/app/reports/").status_code == 401


def test_staff_reports_for_any_store(support_client, build):
    _seed(build, rollup=False)
    response = support_client.get("/admin/support/reports/", {"store": build.store.pk, "start": "2026-01-01",
                                                               "end": "2026-05-31"})
    assert response.status_code == 200 and "<svg" in response.content.decode()
    csv_response = support_client.get("/admin/support/reports/", {"store": build.store.pk, "format": "csv"})
    assert csv_response["Content-Disposition"].startswith("attachment;")


def _activities(merchant, day):
    code = "ADV-REF"
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    for _ in range(3):
        fb_world.record_activity(merchant, kind="shares", created_on=at, campaignId="camp-1", referralCode=code)
    fb_world.record_activity(merchant, kind="clicks", created_on=at, campaignId="camp-1", referralCode=code)
    fb_world.record_activity(merchant, kind="distributed-advocate-rewards", created_on=at, campaignId="camp-1",
                             rewardAmount=10)


def test_analytics_sync_counts_per_day_kind_campaign_and_is_idempotent(support_store, support_merchant):
    day = date(2026, 3, 5)
    _activities(support_merchant, day)
    connection = FriendbuyConnection.objects.get(store=support_store)
    analytics_sync(connection=connection, start=day, end=day)
    analytics_sync(connection=connection, start=day, end=day)
    rows = {r.kind: r for r in FriendbuyAnalyticsDay.objects.filter(store=support_store)}
    assert rows["shares"].count == 3 and rows["clicks"].count == 1 and rows["shares"].campaign_id == "camp-1"
    assert rows["distributed-advocate-rewards"].amount == Decimal("10")
    assert FriendbuyAnalyticsDay.objects.filter(store=support_store, kind="shares").count() == 1
    funnel = reporting.funnel_report(store_id=support_store.pk, window=WINDOW)
    assert [s["count"] for s in funnel][:2] == [3, 1] and funnel[1]["rate"] == Decimal("33.3")


def test_nightly_sync_covers_every_connected_store(support_store, support_merchant):
    today = date(2026, 3, 7)
    _activities(support_merchant, date(2026, 3, 6))
    assert analytics_sync_all(today=today)[support_store.store_hash] >= 2
    assert FriendbuyAnalyticsDay.objects.filter(store=support_store, day=date(2026, 3, 6)).exists()


def test_beat_schedule_has_the_nightly_sync(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["referrals-analytics-sync"]
    assert entry["task"] == "referrals.analytics_sync_all"


def test_seed_volume_writes_every_table_in_batches(capsys):
    from django.core.management import call_command

    from coupons.models import CouponCode, Redemption
    from referrals.models import CustomerIdentity, OrderAttributionLink, OrderSnapshot, OutboxEvent, Reward

    call_command("seed_volume", "seedstore", "--orders", "600", "--customers", "120", "--rewards", "60")
    assert "Seeded seedstore" in capsys.readouterr().out
    assert OrderSnapshot.objects.count() == 600 and CustomerIdentity.objects.count() == 120
    assert 60 < OrderAttributionLink.objects.count() < 200  # ~20%
    assert OutboxEvent.objects.count() == OrderSnapshot.objects.filter(first_paid_at__isnull=False).count()
    assert 0 < Reward.objects.count() <= 60 and CouponCode.objects.exists() and Redemption.objects.exists()
    months = {d.strftime("%Y-%m") for d in OrderSnapshot.objects.values_list("bc_date_created", flat=True)}
    assert len(months) >= 12
    assert set(OrderSnapshot.objects.values_list("currency_code", flat=True)) == {"USD", "EUR", "GBP"}
    store_id = OrderSnapshot.objects.first().store_id
    rows = reporting.period_report(store_id=store_id, window=reporting.report_window(months=13))
    assert sum(r["referred_orders"] for r in rows) > 0


def test_rollup_is_idempotent_and_matches_for_short_and_long_ranges(build):
    _seed(build, rollup=False)
    long = reports_rollup(store_id=build.store.pk, start=date(2026, 1, 1), end=date(2026, 5, 31))
    long_rows = list(ReportDay.objects.order_by("day", "currency_code").values())
    assert reports_rollup(store_id=build.store.pk, start=date(2026, 1, 1), end=date(2026, 5, 31)) == long
    ReportDay.objects.all().delete()
    start = date(2026, 3, 1)
    while start <= date(2026, 5, 31):  # short ranges look their orders up by id
        reports_rollup(store_id=build.store.pk, start=start, end=min(start + timedelta(days=5), date(2026, 5, 31)))
        start += timedelta(days=6)
    short_rows = list(ReportDay.objects.order_by("day", "currency_code").values())
    strip = ("id", "built_at")
    assert [{k: v for k, v in r.items() if k not in strip} for r in short_rows] == \
        [{k: v for k, v in r.items() if k not in strip} for r in long_rows if r["day"] >= date(2026, 3, 1)]


def test_report_refresh_rebuilds_yesterday_and_today_with_late_changes(build):
    today = T0.date()
    _seed(build)
    assert ReportDay.objects.get(store=build.store, day=today, currency_code="USD").referred_orders == 0
    build.reward("RW-LATE", order=build.store.order_snapshots.get(bc_order_id=3), state="issued")
    reports_refresh(store_id=build.store.pk, window_start=date(2026, 1, 1), today=today + timedelta(days=1))
    day = ReportDay.objects.get(store=build.store, day=today, currency_code="USD")
    assert day.referred_orders == 1  # order 3 has since earned an advocate reward


def test_nightly_rollup_covers_recent_days_of_every_store(build):
    _seed(build, rollup=False)
    assert reports_rollup_recent(today=date(2026, 4, 15))[build.store.pk] > 0


@pytest.mark.django_db
def test_a_late_change_to_an_old_order_rebuilds_that_days_rollup():
    from datetime import timedelta

    from django.utils import timezone

    from referrals.models import OrderEvent, OrderSnapshot, ReportDay
    from referrals.orders.signals import order_event_recorded
    from tests.factories import StoreFactory

    store = StoreFactory()
    paid_at = timezone.now() - timedelta(days=200)
    order = OrderSnapshot.objects.create(store=store, bc_order_id=1, status_id=10, is_paid=True,
                                         first_paid_at=paid_at, currency_code="USD", total_inc_tax=50)
    ReportDay.objects.create(store=store, day=(timezone.now() - timedelta(days=1)).date(), currency_code="USD")
    event = OrderEvent.objects.create(store=store, order=order, kind="refunded", at=timezone.now())
    order_event_recorded.send(sender=OrderEvent, event=event)
    assert ReportDay.objects.filter(store=store, day=paid_at.date()).exists()
