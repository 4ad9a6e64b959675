"""The merchant's dashboard: the app's home once setup is done. Figures for the last 30 days against the 30
before (from the reports' rollup), ROI with no reward cost, recent referrals and rewards with people's names,
what needs attention with links, another store's data never counted, money written the store's way (name and
format read from GET /v2/store), and a fresh install that still sees the setup steps."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from coupons.models import CodePool
from referrals.friendbuy.services import friendbuy_connect
from referrals.merchant.dashboard import change_between, merchant_dashboard
from referrals.models import FriendbuyDelivery, OutboxEvent, RewardFulfilment
from referrals.orders.identity import identity_upsert
from referrals.reporting.rollup import reports_refresh
from sandbox.bigcommerce import world as bc_world
from storefront.channels import channels_sync
from storefront.models import Store, WebhookSubscription
from storefront.money import MoneyFormat
from tests.factories import StoreFactory
from tests.fixtures_support import Builder

pytestmark = pytest.mark.django_db(transaction=True)


def _finish_setup(store, merchant) -> Store:
    friendbuy_connect(store=store, merchant_id=merchant.merchant_id, api_key=merchant.api_key,
                      api_secret=merchant.api_secret, webhook_secret=merchant.webhook_secret)
    FriendbuyDelivery.objects.create(store=store, kind=FriendbuyDelivery.Kind.WEBHOOK, public_id=store.public_id,
                                     valid=True, status=FriendbuyDelivery.Status.PROCESSED)
    OutboxEvent.objects.create(store=store, kind=OutboxEvent.Kind.PURCHASE, natural_key="purchase:9000",
                               state=OutboxEvent.State.SENT, sent_at=timezone.now())
    return Store.objects.get(pk=store.pk)


def _history(build: Builder) -> None:
    """Last 30 days: two referred orders (150.00, one a new customer) out of three, one 10.00 reward.
    The 30 days before: one referred order (80.00) and one 20.00 reward."""
    now = timezone.now()
    ada = identity_upsert(store=build.store, bc_customer_id=900, email="ada@example.com",
                          first_name="Ada", last_name="Lovelace")
    assert ada.friendbuy_customer_id == "900"
    first = build.order(1, email="fred@example.com", subtotal="100.00", at=now - timedelta(days=3))
    first.identity.first_name, first.identity.last_name = "Fred", "Friend"
    first.identity.save(update_fields=["first_name", "last_name"])
    build.attribution(first, advocate="900")
    build.purchase_event(first, is_new=True)
    second = build.order(2, email="gina@example.com", subtotal="50.00", at=now - timedelta(days=10))
    build.purchase_event(second, is_new=False)
    build.reward("RW-2", order=second, customer_id="900", email="ada@example.com", amount="10", code="ada10")
    build.order(3, email="walk-in@example.com", subtotal="70.00", at=now - timedelta(days=2))
    earlier = build.order(4, email="hal@example.com", subtotal="80.00", at=now - timedelta(days=40))
    build.attribution(earlier)
    build.purchase_event(earlier, is_new=False)
    build.reward("RW-4", order=earlier, amount="20")


def _dashboard(store):
    reports_refresh(store_id=store.pk, window_start=timezone.now().date() - timedelta(days=60))
    return merchant_dashboard(store=store)


def test_figures_count_the_last_30_days_against_the_30_before(build):
    _history(build)
    board = _dashboard(build.store)
    values = {f.key: (f.current, f.previous) for f in board.figures}
    assert values["referred_orders"] == (2, 1)
    assert values["referred_revenue"] == (Decimal("150.00"), Decimal("80.00"))
    assert values["new_customers"] == (1, 0)
    assert values["rewards_issued"] == (1, 1)
    assert values["reward_cost"] == (Decimal("10"), Decimal("20"))
    assert values["roi"] == (Decimal("14.00"), Decimal("3.00"))  # (revenue - cost) / cost, as the reports say
    changes = {f.key: f.change.label for f in board.figures}
    assert changes == {"referred_orders": "+100%", "referred_revenue": "+88%", "new_customers": "New",
                       "rewards_issued": "0%", "reward_cost": "-50%", "roi": "+367%"}
    assert board.figure("reward_cost").tone == "success"  # cost went down: good news
    assert (board.current.last - board.current.first).days == 29
    assert board.previous.last == board.current.first - timedelta(days=1)


def test_roi_with_no_reward_cost_is_none_and_the_page_says_why(build):
    order = build.order(1, subtotal="60.00", at=timezone.now() - timedelta(days=1))
    build.attribution(order)
    board = _dashboard(build.store)
    roi = board.figure("roi")
    assert roi.current is None and roi.change.label == "—"
    assert "no reward cost" in roi.help


def test_changes_read_as_plus_or_minus_percent():
    assert change_between(current=3, previous=4).label == "-25%"
    assert change_between(current=0, previous=0).label == "—"
    assert change_between(current=5, previous=0).label == "New"
    assert change_between(current=None, previous=2).label == "—"


def test_recent_referrals_and_rewards_name_the_people(build):
    _history(build)
    credit = build.reward("RW-C", customer_id="900", email="ada@example.com", amount="5", path=())
    RewardFulfilment.objects.create(store=build.store, reward=credit, kind=RewardFulfilment.Kind.STORE_CREDIT,
                                    amount=Decimal("5"), currency="USD", bc_customer_id=900)
    board = _dashboard(build.store)
    assert [r.order_id for r in board.referrals] == [1, 2, 4]  # order 3 was not referred
    fred = board.referrals[0]
    assert (fred.customer_name, fred.customer_email) == ("Fred Friend", "fred@example.com")
    assert (fred.advocate_name, fred.advocate_email) == ("Ada Lovelace", "ada@example.com")
    assert board.referrals[1].advocate_email == "ada@example.com"  # from the advocate reward it earned
    rewards = {r.reward_id: r for r in board.rewards}
    assert set(rewards) == {"RW-2", "RW-4", "RW-C"}
    assert (rewards["RW-2"].name, rewards["RW-2"].email, rewards["RW-2"].code, rewards["RW-2"].delivered_as) == (
        "Ada Lovelace", "ada@example.com", "ADA10", "Coupon code")
    assert (rewards["RW-C"].delivered_as, rewards["RW-C"].code) == ("Store credit", "")
    assert rewards["RW-2"].in_store_currency


def test_attention_lists_reviews_dead_letters_inactive_hooks_and_low_pools_with_links(installed_store,
                                                                                    friendbuy_merchant):
    store = _finish_setup(installed_store, friendbuy_merchant)
    build = Builder(store)
    order = build.order(1, at=timezone.now() - timedelta(days=1))
    build.assessment(order, decision="hold")
    build.purchase_event(order, state="dead", status=400, error="Friendbuy refused it")
    WebhookSubscription.objects.filter(store=store, scope="store/order/created").update(is_active=False)
    promotion = build.promotion()
    pool = CodePool.objects.create(store=store, template=promotion.template, promotion=promotion, name="Spring bank",
                                   low_threshold=50)
    items = {item.key: item for item in merchant_dashboard(store=store).attention}
    assert set(items) == {"webhooks", "reviews", "outbox", f"pool-{pool.pk}"}
    assert items["webhooks"].url == "/app/setup/#step-webhooks" and items["webhooks"].in_app
    assert "store/order/created" in items["webhooks"].detail
    assert items["reviews"].title == "1 referral waits for a fraud review"
    assert items["reviews"].url == "/app/support/reviews/" and items["reviews"].in_app  # the store's own queue
    assert items["outbox"].url == f"/admin/referrals/outboxevent/?state__exact=dead&store__id__exact={store.pk}"
    assert "0 codes are left" in items[f"pool-{pool.pk}"].detail
    assert items[f"pool-{pool.pk}"].url == f"/admin/coupons/codepool/?store__id__exact={store.pk}"


def test_another_stores_data_is_never_counted(build):
    _history(build)
    other = Builder(StoreFactory())
    stranger = other.order(1, subtotal="999.00", at=timezone.now() - timedelta(days=2))
    other.attribution(stranger)
    other.purchase_event(stranger, state="dead", is_new=True)
    other.reward("RW-X", order=stranger, amount="300")
    other.assessment(stranger, decision="hold")
    board = _dashboard(build.store)
    assert board.figure("referred_orders").current == 2
    assert board.figure("referred_revenue").current == Decimal("150.00")
    assert board.figure("reward_cost").current == Decimal("10")
    assert "RW-X" not in {r.reward_id for r in board.rewards}
    first = board.referrals[0]
    assert (first.order_id, first.customer_email, first.amount) == (1, "fred@example.com", Decimal("100.0000"))
    assert len(board.referrals) == 3
    assert not {"reviews", "outbox"} & {item.key for item in board.attention}


def test_a_fresh_install_still_sees_the_setup_steps(client, installed_store):
    html = client.get("/app/").content.decode()
    assert "Set up referrals" in html and "Step 1: Connect Friendbuy" in html
    assert 'id="figures"' not in html
    assert Store.objects.get(pk=installed_store.pk).setup_completed_at is None


def test_once_setup_is_done_the_home_is_the_dashboard_and_stays_so_when_a_hook_breaks(client, installed_store,
                                                                                      friendbuy_merchant):
    store = _finish_setup(installed_store, friendbuy_merchant)
    _history(Builder(store))
    html = client.get("/app/").content.decode()
    assert "<h1>Dashboard</h1>" in html and 'aria-current="page">Home' in html
    assert "Recent referrals" in html and "Fred Friend" in html and "ada@example.com" in html
    assert "$150.00" in html and "+88%" in html
    assert "Nothing needs your attention" in html
    assert Store.objects.get(pk=store.pk).setup_completed_at is not None

    WebhookSubscription.objects.filter(store=store, scope="store/order/created").update(is_active=False)
    html = client.get("/app/").content.decode()
    assert "<h1>Dashboard</h1>" in html and 'id="attention-webhooks"' in html
    assert 'href="/app/setup/#step-webhooks"' in html
    setup = client.get("/app/setup/").content.decode()
    assert "Step 3: Store events reach the app" in setup


def test_an_empty_dashboard_says_what_to_do(client, installed_store, friendbuy_merchant):
    _finish_setup(installed_store, friendbuy_merchant)
    html = client.get("/app/").content.decode()
    assert "No referred orders yet" in html and "No rewards yet" in html
    assert 'id="no-activity"' in html


def test_the_store_name_and_money_format_come_from_the_store_information(client, installed_store,
                                                                        friendbuy_merchant):
    bc_world.set_store_information(installed_store.store_hash, notify=False, name="Gâteaux de Lyon", currency="EUR",
                                   currency_symbol="€", currency_symbol_location="right", decimal_separator=",",
                                   thousands_separator=".", decimal_places=2)
    channels_sync(store=installed_store)
    store = Store.objects.get(pk=installed_store.pk)
    assert store.name == "Gâteaux de Lyon" and store.default_currency == "EUR"
    assert MoneyFormat.of(store).format(Decimal("1234.5")) == "1.234,50 €"
    store = _finish_setup(store, friendbuy_merchant)
    order = Builder(store).order(1, subtotal="1234.50", currency="EUR", at=timezone.now() - timedelta(days=1))
    Builder(store).attribution(order)
    html = client.get("/app/").content.decode()
    assert "Gâteaux de Lyon" in html and "1.234,50 €" in html


def test_the_store_information_webhook_keeps_the_name_current(installed_store):
    bc_world.set_store_information(installed_store.store_hash, name="Renamed Store")
    assert Store.objects.get(pk=installed_store.pk).name == "Renamed Store"


def test_money_is_written_the_stores_way_and_falls_back_to_the_currency_code():
    dollars = MoneyFormat(currency="USD", symbol="$")
    assert dollars.format(Decimal("58173.771")) == "$58,173.77"
    assert dollars.format(Decimal("-5")) == "-$5.00"
    assert MoneyFormat(currency="JPY", symbol="¥", decimal_places=0).format(Decimal("1234.5")) == "¥1,235"
    unread = Store(store_hash="x", default_currency="GBP")
    assert MoneyFormat.of(unread).format(Decimal("1000")) == "1,000.00 GBP"


def test_a_connection_check_once_setup_is_done_returns_to_the_setup_step_not_the_dashboard(client, installed_store,
                                                                                         friendbuy_merchant):
    _finish_setup(installed_store, friendbuy_merchant)
    client.get("/app/")
    response = client.post("/app/", {"action": "check"})
    assert response.status_code == 302 and response["Location"] == "/app/setup/#step-connect"


def test_uninstalling_clears_the_setup_so_a_reinstall_walks_it_again(client, installed_store, friendbuy_merchant,
                                                                     bc_jwt):
    _finish_setup(installed_store, friendbuy_merchant)
    client.get("/app/")
    assert Store.objects.get(pk=installed_store.pk).setup_completed_at is not None
    assert client.get("/bigcommerce/uninstall", {"signed_payload_jwt": bc_jwt()}).status_code == 204
    assert Store.objects.get(pk=installed_store.pk).setup_completed_at is None


def test_another_store_user_reads_the_dashboard_with_their_role(client, installed_store, friendbuy_merchant, load_app):
    _finish_setup(installed_store, friendbuy_merchant)
    load_app(user_id=999, user_email="clerk@example.com")
    html = client.get("/app/").content.decode()
    assert "<h1>Dashboard</h1>" in html and "clerk@example.com" in html
