"""Reports split by storefront channel: the rollup keeps each channel's orders, revenue, referred orders and
revenue and new customers apart (ChannelDay; orders that name no channel count on channel 1, the default
storefront) while the all-channels figures stay exactly what they were; the merchant page takes ?channel=N
(a picker when the store has more than one channel), the CSV honours it, and a bad channel is a clear 400."""
import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from referrals.models import ChannelDay, OrderSnapshot, ReportDay
from referrals.reporting import selectors as reporting
from referrals.reporting.rollup import reports_refresh, reports_rollup
from storefront.models import StorefrontChannel
from tests.factories import StorefrontChannelFactory
from tests.fixtures_support import T0, Builder
from tests.test_reporting import WINDOW

pytestmark = pytest.mark.django_db
OUTLET = 2
ORDER_FIGURES = ("orders", "revenue", "referred_orders", "referred_revenue", "referred_display_total",
                 "new_customers")


def _on(order: OrderSnapshot, channel_id: int | None) -> OrderSnapshot:
    OrderSnapshot.objects.filter(pk=order.pk).update(channel_id=channel_id)
    order.channel_id = channel_id
    return order


def _rollup(store) -> None:
    reports_rollup(store_id=store.pk, start=date(2026, 1, 1), end=date(2026, 5, 31))


def _seed(build: Builder, *, rollup: bool = True) -> None:
    """Two storefronts: "Main store" (channel 1) and "Outlet" (channel 2).

    March, main store: order 1 names no channel (counted on channel 1), referred by link, 92 EUR @0.92 = 100 USD,
    a new customer; order 2 on channel 1, 50 USD, earned an advocate reward (cost 10, redeemed on order 99).
    March, outlet: order 3, 70 USD, the same day as order 2, not referred; order 4, 30 USD, referred by link, a
    new customer.
    April, outlet: order 99, 40 USD, used the reward's code."""
    StorefrontChannelFactory(store=build.store, channel_id=1)  # an installed store has it from BigCommerce
    StorefrontChannel.objects.filter(store=build.store, channel_id=1).update(name="Main store")
    StorefrontChannelFactory(store=build.store, channel_id=OUTLET, name="Outlet")
    a = _on(build.order(1, email="a@example.com", subtotal="92.00", currency="EUR", rate="0.92"), None)
    build.attribution(a, referral_code="ADV-REF")
    build.purchase_event(a, is_new=True, referral_code="ADV-REF")
    b = _on(build.order(2, email="b@example.com", subtotal="50.00", at=T0 + timedelta(days=3)), 1)
    build.purchase_event(b, is_new=False)
    build.reward("RW-B", order=b, state="redeemed", code="b10", campaign_id="camp-2", redeemed_on=99)
    _on(build.order(3, email="c@example.com", subtotal="70.00", at=T0 + timedelta(days=3)), OUTLET)
    d = _on(build.order(4, email="e@example.com", subtotal="30.00", at=T0 + timedelta(days=5)), OUTLET)
    build.attribution(d, referral_code="ADV-REF")
    build.purchase_event(d, is_new=True, referral_code="ADV-REF")
    _on(build.order(99, email="d@example.com", subtotal="40.00", at=T0 + timedelta(days=35)), OUTLET)
    if rollup:
        _rollup(build.store)


def _figures(row: dict) -> tuple:
    return row["orders"], row["revenue"], row["referred_orders"], row["referred_revenue"], row["new_customers"]


def test_two_channels_orders_are_split_and_orders_without_a_channel_count_on_the_default_storefront(build):
    _seed(build)
    main = reporting.period_report(store_id=build.store.pk, window=WINDOW, channel_id=1)
    outlet = reporting.period_report(store_id=build.store.pk, window=WINDOW, channel_id=OUTLET)
    assert [r["period"] for r in main] == [date(2026, 3, 1)]
    assert _figures(main[0]) == (2, Decimal("150"), 2, Decimal("150"), 1)  # orders 1 (no channel) and 2
    assert [r["period"] for r in outlet] == [date(2026, 3, 1), date(2026, 4, 1)]
    assert _figures(outlet[0]) == (2, Decimal("100"), 1, Decimal("30"), 1)  # orders 3 and 4
    assert _figures(outlet[1]) == (1, Decimal("40"), 1, Decimal("40"), 0)  # order 99 used our code
    assert reporting.period_report(store_id=build.store.pk, window=WINDOW, channel_id=77) == []


def test_a_channels_rows_leave_rewards_and_roi_unsplit(build):
    _seed(build)
    (march,) = reporting.period_report(store_id=build.store.pk, window=WINDOW, channel_id=1)
    assert march["rewards_issued"] is march["reward_cost"] is march["roi"] is None
    total = reporting.totals([march])
    assert total["referred_orders"] == 2 and total["reward_cost"] is None and total["roi"] is None


def test_all_channel_totals_are_unchanged_by_the_split(build):
    _seed(build)
    split = reporting.period_report(store_id=build.store.pk, window=WINDOW)
    march, april = split
    assert _figures(march) == (4, Decimal("250"), 3, Decimal("180"), 2)
    assert _figures(april) == (1, Decimal("40"), 1, Decimal("40"), 0)
    total = reporting.totals(split)
    assert (total["rewards_issued"], total["rewards_redeemed"], total["reward_cost"]) == (1, 1, Decimal("10"))
    assert total["roi"] == Decimal("21.00")  # (220 - 10) / 10
    # The same orders with no channel at all (as before the split) give the very same all-channels report.
    OrderSnapshot.objects.filter(store=build.store).update(channel_id=None)
    _rollup(build.store)
    assert reporting.period_report(store_id=build.store.pk, window=WINDOW) == split
    assert set(ChannelDay.objects.filter(store=build.store).values_list("channel_id", flat=True)) == {1}


def test_each_days_channel_rows_add_up_to_its_all_channels_row(build):
    _seed(build)
    days = ReportDay.objects.filter(store=build.store).exclude(orders=0)
    assert days.count() == 4  # March 2 (EUR), March 5 (both channels), March 7, April 6
    assert ChannelDay.objects.filter(store=build.store, day=date(2026, 3, 5)).count() == 2
    for day in days:
        parts = ChannelDay.objects.filter(store=build.store, day=day.day, currency_code=day.currency_code)
        for name in ORDER_FIGURES:
            assert getattr(day, name) == sum(getattr(part, name) for part in parts), (day, name)
        rates = [r for part in parts for r in (part.min_rate, part.max_rate) if r is not None]
        assert (day.min_rate, day.max_rate) == ((min(rates), max(rates)) if rates else (None, None))


def test_currency_report_by_channel(build):
    _seed(build)
    main = {r["currency_code"]: r for r in reporting.currency_report(store_id=build.store.pk, window=WINDOW,
                                                                     channel_id=1)}
    outlet = reporting.currency_report(store_id=build.store.pk, window=WINDOW, channel_id=OUTLET)
    assert main["EUR"]["display_total"] == Decimal("92") and main["EUR"]["default_total"] == Decimal("100")
    assert [(r["currency_code"], r["orders"], r["default_total"]) for r in outlet] == [("USD", 2, Decimal("70"))]


def test_report_channels_are_the_stores_channels_and_any_its_orders_came_from(build):
    _seed(build)
    assert reporting.report_channels(store_id=build.store.pk) == {1: "Main store", OUTLET: "Outlet"}
    StorefrontChannel.objects.filter(store=build.store, channel_id=OUTLET).delete()  # removed in BigCommerce
    assert reporting.report_channels(store_id=build.store.pk) == {1: "Main store", OUTLET: "Channel 2"}


def test_a_rollup_built_before_the_split_gets_its_channels_on_the_next_report(build):
    _seed(build)
    before = list(ReportDay.objects.filter(store=build.store).order_by("day", "currency_code")
                  .values(*ORDER_FIGURES, "day", "currency_code", "reward_cost"))
    ChannelDay.objects.all().delete()  # as the migration leaves an existing rollup
    reports_refresh(store_id=build.store.pk, window_start=date(2026, 1, 1), today=date(2026, 5, 31))
    assert ChannelDay.objects.filter(store=build.store, channel_id=OUTLET).exists()
    assert list(ReportDay.objects.filter(store=build.store).order_by("day", "currency_code")
                .values(*ORDER_FIGURES, "day", "currency_code", "reward_cost")) == before


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


DATES = {"start": "2026-01-01", "end": "2026-05-31"}


def test_the_merchant_page_shows_a_channel_picker_and_one_channels_figures(client, installed_store, load_app):
    load_app()
    _seed(Builder(installed_store), rollup=False)
    page = client.get("/app/reports/", DATES).content.decode()
    assert '<select id="channel" name="channel">' in page and '<option value="2">Outlet</option>' in page
    assert "4 of 5 paid orders" in page  # every channel
    outlet = client.get("/app/reports/", {**DATES, "channel": "2"})
    body = outlet.content.decode()
    assert outlet.status_code == 200 and "Referral results: Outlet" in body
    assert "2 of 3 paid orders" in body and "not split by channel" in body
    assert '<option value="2" selected>Outlet</option>' in body and "&amp;channel=2&amp;format=csv" in body


def test_a_store_with_one_channel_gets_no_picker(client, installed_store, load_app):
    load_app()
    Builder(installed_store).order(7, email="solo@example.com")
    page = client.get("/app/reports/", DATES)
    assert page.status_code == 200 and 'id="channel"' not in page.content.decode()
    assert client.get("/app/reports/", {**DATES, "channel": "1"}).status_code == 200


def test_the_csv_honours_the_channel_and_names_it(client, installed_store, load_app):
    load_app()
    _seed(Builder(installed_store), rollup=False)
    everything = _csv(client.get("/app/reports/", {**DATES, "format": "csv"}))
    assert [(r["Paid orders"], r["Referred orders"], r["Channel"]) for r in everything] == [("4", "3", "all"),
                                                                                       ("1", "1", "all")]
    assert everything[0]["Reward cost"] == "10.00"
    response = client.get("/app/reports/", {**DATES, "channel": "2", "format": "csv"})
    assert "-channel2.csv" in response["Content-Disposition"]
    outlet = _csv(response)
    assert [(r["Period start"], r["Paid orders"], r["Referred orders"], r["Referred revenue"], r["Channel"])
            for r in outlet] == [("2026-03-01", "2", "1", "30.00", "2"), ("2026-04-01", "1", "1", "40.00", "2")]
    assert outlet[0]["Reward cost"] == outlet[0]["ROI"] == "" and outlet[0]["Currency"] == "USD"


@pytest.mark.parametrize("value", ["abc", "99", "-1", "1.5", "²", "2; DROP TABLE"])
def test_a_bad_channel_is_a_clear_400_on_the_page_the_csv_and_the_staff_view(client, installed_store, load_app,
                                                                          support_client, value):
    load_app()
    _seed(Builder(installed_store), rollup=False)
    page = client.get("/app/reports/", {**DATES, "channel": value})
    body = page.content.decode()
    assert page.status_code == 400 and "This channel can&#x27;t be shown" in body
    assert "channel must be one of this store&#x27;s channels: 1 (Main store), 2 (Outlet)" in body
    assert client.get("/app/reports/", {**DATES, "channel": value, "format": "csv"}).status_code == 400
    staff = support_client.get("/admin/support/reports/", {"store": installed_store.pk, "channel": value})
    assert staff.status_code == 400 and "channel must be one of" in staff.content.decode()


def test_staff_reports_split_by_channel(support_client, build):
    _seed(build, rollup=False)
    response = support_client.get("/admin/support/reports/", {"store": build.store.pk, **DATES, "channel": "2"})
    body = response.content.decode()
    assert response.status_code == 200 and "Referral results: Outlet" in body
    assert f"store={build.store.pk}&amp;" in body and "&amp;channel=2&amp;format=csv" in body
