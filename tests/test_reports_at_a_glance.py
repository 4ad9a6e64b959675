"""Reports a merchant reads at a glance (issue 17): charts with a labelled y-axis, gridlines and x labels that
stay inside the drawing; money and counts in the store's format (thousands separators, two decimals); human
period names ("Mar 2026"); empty states that say what to do; a reversed date range shown as an error on the
page with the filters to fix it (never a report of zeros); a CSV whose header row a spreadsheet reads and
whose money has two decimals; a table split by channel next to the one by campaign."""
import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from referrals.reporting import selectors as reporting
from referrals.reporting.charts import bar_chart, line_chart, nice_ticks
from referrals.reporting.labels import period_label, period_tick
from storefront.money import MoneyFormat
from tests.factories import StorefrontChannelFactory
from tests.fixtures_support import T0, Builder

pytestmark = pytest.mark.django_db
DATES = {"start": "2026-01-01", "end": "2026-05-31"}
DOLLARS = {"currency": "USD", "currency_symbol": "$", "currency_symbol_location": "left",
           "decimal_separator": ".", "thousands_separator": ",", "decimal_places": 2}


def _big_month(store) -> None:
    """March 2026: two referred orders worth 12,345.6789 + 4,751.0006 (17,096.6795) and one not referred."""
    store.money_format = DOLLARS
    store.save(update_fields=["money_format"])
    build = Builder(store)
    for number, subtotal in ((1, "12345.6789"), (2, "4751.0006")):
        order = build.order(number, email=f"f{number}@example.com", subtotal=subtotal, at=T0 + timedelta(days=number))
        build.attribution(order)
    build.order(3, email="c@example.com", subtotal="10.00")


def test_nice_ticks_are_round_and_cover_the_largest_value():
    assert nice_ticks(17096.68) == [0, 5000, 10000, 15000, 20000]
    assert nice_ticks(3) == [0, 1, 2, 3, 4]
    assert nice_ticks(0) == [0, 1, 2, 3, 4]
    assert nice_ticks(0.9) == [0, 0.25, 0.5, 0.75, 1]


def test_a_bar_chart_has_labelled_gridlines_in_the_store_money_format():
    money = MoneyFormat(currency="USD", symbol="$").format
    svg = bar_chart([("Jan 2026", 0), ("Feb 2026", 17096.68)], title="Referred revenue (USD)", fmt=money)
    assert svg.count('class="grid"') == 5
    assert re.findall(r'class="y-label"[^>]*>([^<]+)<', svg) == [
        "$0.00", "$5,000.00", "$10,000.00", "$15,000.00", "$20,000.00"]
    assert "<title>Feb 2026: $17,096.68</title>" in svg


@pytest.mark.parametrize("width", [720, 360])
def test_every_x_label_stays_inside_the_chart_and_the_last_month_is_labelled(width):
    points = [(period_tick(date(2025, month, 1), "month"), month * 3) for month in range(1, 13)]
    svg = line_chart(points, title="Referred orders", width=width)
    labels = re.findall(r'class="x-label" x="([\d.]+)"[^>]*text-anchor="(\w+)"[^>]*>([^<]+)<', svg)
    assert labels[-1][2] == "Dec 2025" and labels[0][2] == "Jan 2025"
    for x, anchor, text in labels:
        half = len(text) * 12 * 0.3  # about half the text's width at 12 px
        right = float(x) + (half if anchor == "middle" else 0)
        assert right <= width, (x, anchor, text)
    if width == 360:
        assert len(labels) < 12  # fewer labels on the phone's drawing, so they don't overlap


def test_periods_have_human_names():
    assert period_label(date(2025, 11, 1), "month") == "Nov 2025"
    assert period_label(date(2025, 11, 3), "week") == "Week of 3 Nov 2025"
    assert period_label(date(2025, 11, 3), "day") == "3 Nov 2025"
    assert period_tick(date(2025, 11, 3), "day") == "3 Nov"


def test_money_and_counts_use_the_store_format():
    dollars = MoneyFormat.of(type("S", (), {"money_format": DOLLARS, "default_currency": "USD"})())
    assert dollars.format("58173.77") == "$58,173.77" and dollars.count(12345) == "12,345"
    euros = MoneyFormat(currency="EUR", symbol="€", symbol_location="right", decimal_separator=",",
                        thousands_separator=".")
    assert euros.format("17096.6195") == "17.096,62 €" and euros.count(1234567) == "1.234.567"


def test_the_page_shows_money_with_separators_and_months_by_name(client, installed_store, load_app):
    load_app()
    _big_month(installed_store)
    body = client.get("/app/reports/", DATES).content.decode()
    assert "$17,096.68" in body and "17096.6795" not in body
    assert "Mar 2026" in body and ">2026-03-01<" not in body
    assert "2 of 3 paid orders" in body
    assert 'class="y-label"' in body and 'class="charts charts-narrow"' in body


def test_an_empty_report_says_what_to_do(client, installed_store, load_app):
    load_app()
    body = client.get("/app/reports/", DATES).content.decode()
    assert 'id="report-empty"' in body and "Pick a wider date range" in body and "/app/setup/" in body
    assert 'id="campaigns-empty"' in body and "once Friendbuy rewards an advocate" in body
    assert "<svg" not in body


def test_a_reversed_date_range_is_an_error_on_the_page_with_the_filters_to_fix_it(client, installed_store,
                                                                                  load_app):
    load_app()
    _big_month(installed_store)
    page = client.get("/app/reports/", {"start": "2026-05-01", "end": "2026-04-01"})
    body = page.content.decode()
    assert page.status_code == 400
    assert 'id="report-error"' in body and "start must not be after end" in body and "Swap the two dates" in body
    assert 'name="start" value="2026-05-01"' in body and 'aria-invalid="true"' in body
    assert "paid orders" not in body  # no report of zeros under the error


def test_an_end_date_alone_reports_the_months_before_it_not_an_empty_window():
    window = reporting.report_window(end=date(2024, 6, 30), now=datetime(2026, 12, 4, tzinfo=UTC))
    assert window.start < window.end and window.start.date() == date(2023, 6, 1)


def test_the_csv_has_a_plain_header_row_and_money_at_two_decimals(client, installed_store, load_app):
    load_app()
    _big_month(installed_store)
    content = client.get("/app/reports/", {**DATES, "format": "csv"}).content.decode()
    header = content.splitlines()[0]
    assert header == ("Period start,Paid orders,Revenue,Referred orders,Referred revenue,New customers,"
                      "Rewards issued,Rewards redeemed,Reward cost,Redeemed reward cost,ROI,Currency,Channel")
    (march,) = list(csv.DictReader(io.StringIO(content)))
    assert (march["Period start"], march["Referred revenue"], march["Revenue"], march["Reward cost"]) == (
        "2026-03-01", "17096.68", "17106.68", "0.00")


def test_a_store_with_two_channels_gets_a_table_by_channel(client, installed_store, load_app):
    load_app()
    _big_month(installed_store)
    StorefrontChannelFactory(store=installed_store, channel_id=2, name="Outlet")
    body = client.get("/app/reports/", DATES).content.decode()
    table = body[body.index('id="report-channels"'):]
    table = table[:table.index("</table>")]
    assert "$17,096.68" in table and "By channel" in body
    assert "Outlet" not in table  # a channel without orders in these dates has no row (it is in the picker)
    assert '<option value="2">Outlet</option>' in body
    rows = reporting.channel_report(store_id=installed_store.pk, window=reporting.report_window(
        start=date(2026, 1, 1), end=date(2026, 5, 31)))
    assert [(r["channel_id"], r["orders"], r["referred_orders"]) for r in rows] == [(1, 3, 2)]


@pytest.mark.parametrize("grain, start, end, first, last, count", [
    ("month", date(2026, 1, 15), date(2026, 5, 31), date(2026, 1, 1), date(2026, 5, 1), 5),
    ("week", date(2026, 3, 4), date(2026, 3, 31), date(2026, 3, 2), date(2026, 3, 30), 5),
    ("day", date(2026, 3, 4), date(2026, 3, 10), date(2026, 3, 4), date(2026, 3, 10), 7),
])
def test_the_chart_axis_has_every_period_of_the_window(grain, start, end, first, last, count):
    starts = reporting.period_starts(window=reporting.report_window(grain=grain, start=start, end=end))
    assert (starts[0], starts[-1], len(starts)) == (first, last, count)


def test_a_month_without_orders_is_a_zero_bar_not_a_gap(client, installed_store, load_app):
    load_app()
    _big_month(installed_store)
    body = client.get("/app/reports/", DATES).content.decode()
    wide = body[body.index('class="charts charts-wide"'):body.index('class="charts charts-narrow"')]
    revenue = wide[:wide.index("</svg>")]
    assert re.findall(r"<title>(\w+) 2026: ", revenue) == ["Jan", "Feb", "Mar", "Apr", "May"]
    assert "<title>Apr 2026: $0.00</title>" in revenue


def test_the_line_chart_writes_each_value_above_its_dot_when_they_fit():
    few = line_chart([(f"{month} 2026", month * 1000) for month in range(1, 6)], title="Referred orders")
    assert re.findall(r'class="value"[^>]*>([^<]+)<', few) == ["1,000", "2,000", "3,000", "4,000", "5,000"]
    many = line_chart([(str(day), day) for day in range(1, 91)], title="Referred orders", width=360)
    assert 'class="value"' not in many
