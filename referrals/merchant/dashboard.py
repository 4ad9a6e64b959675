"""Reads for the merchant's dashboard (the app's home once the guided setup is done): the last 30 days
against the 30 before, the latest referrals and rewards, and what needs the merchant's attention.

- Figures (referred orders, referred revenue, new customers, rewards issued, their cost, ROI) come from the
  reports' daily rollup through referrals.reporting.selectors, so the dashboard and the reports agree; the
  view refreshes the rollup first as the reports page does. Windows are whole UTC days (the rollup's days):
  the last 30 ending today, and the 30 before them. ROI is the reports' own, (referred revenue - reward
  cost) ÷ reward cost; with no reward cost it is None and the page says so.
- Recent referrals are the store's last referred paid orders (referred as the reports define it), each with
  the customer's name and email and, where known, the advocate who referred them; recent rewards the last
  rewards with the recipient's name and email.
- Attention items are what is waiting on someone: fraud reviews held, Friendbuy events and BigCommerce
  webhook deliveries dead-lettered, setup steps that broke after setup was done (a webhook BigCommerce
  deactivated, a storefront script removed, Friendbuy refusing the credentials) and code pools running low,
  each with a link to where it is dealt with (the app's setup page where it can be, otherwise the support
  admin, the only place those are handled).

Every read is for one store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse
from django.utils import timezone

from coupons.selectors import pools_low_on_codes
from fraud.selectors import review_queue
from referrals.attribution.services import accepted_referral_links
from referrals.merchant.setup import SetupStatus, setup_status
from referrals.models import CustomerIdentity, FriendCode, OrderSnapshot, OutboxEvent, Reward
from referrals.reporting import selectors as reporting
from storefront.models import Store, WebhookDelivery
from storefront.money import MoneyFormat

WINDOW_DAYS = 30
RECENT = 10


@dataclass(frozen=True)
class DayWindow:
    """Whole UTC days, first and last included."""

    first: date
    last: date

    def as_report_window(self) -> reporting.Window:
        return reporting.Window(start=datetime.combine(self.first, time.min, tzinfo=UTC),
                                end=datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC),
                                grain="day")


@dataclass(frozen=True)
class Change:
    """How a figure moved against the previous window: `percent` (None when there is nothing to compare)."""

    percent: Decimal | None
    label: str
    direction: str  # "up", "down" or "flat"


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    current: Decimal | int | None
    previous: Decimal | int | None
    kind: str  # "count", "money" or "ratio"
    help: str = ""
    higher_is_better: bool = True

    @property
    def change(self) -> Change:
        return change_between(current=self.current, previous=self.previous)

    @property
    def tone(self) -> str:
        """The badge colour: good news green, bad news amber, the rest neutral."""
        direction = self.change.direction
        if direction == "flat":
            return ""
        return "success" if (direction == "up") == self.higher_is_better else "warning"


@dataclass(frozen=True)
class ReferralLine:
    order_id: int
    paid_at: datetime
    customer_name: str
    customer_email: str
    amount: Decimal
    status: str
    advocate_name: str
    advocate_email: str
    erased: bool


@dataclass(frozen=True)
class RewardLine:
    reward_id: str
    created_at: datetime
    recipient: str
    name: str
    email: str
    amount: Decimal
    unit: str
    in_store_currency: bool
    state: str
    state_key: str
    code: str
    delivered_as: str  # "Coupon code", "Store credit", "Gift certificate" or ""
    order_id: int | None


@dataclass(frozen=True)
class AttentionItem:
    key: str
    level: str  # "danger" or "warning"
    title: str
    detail: str
    url: str
    link_label: str
    in_app: bool


@dataclass
class Dashboard:
    current: DayWindow
    previous: DayWindow
    figures: list[Figure] = field(default_factory=list)
    referrals: list[ReferralLine] = field(default_factory=list)
    rewards: list[RewardLine] = field(default_factory=list)
    attention: list[AttentionItem] = field(default_factory=list)

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    @property
    def has_activity(self) -> bool:
        return any(f.current or f.previous for f in self.figures if f.kind != "ratio")


def dashboard_windows(*, today: date | None = None) -> tuple[DayWindow, DayWindow]:
    """(the last WINDOW_DAYS days ending today, the WINDOW_DAYS days before them)."""
    today = today or timezone.now().astimezone(UTC).date()
    current = DayWindow(first=today - timedelta(days=WINDOW_DAYS - 1), last=today)
    previous = DayWindow(first=current.first - timedelta(days=WINDOW_DAYS), last=current.first - timedelta(days=1))
    return current, previous


def change_between(*, current: Decimal | int | None, previous: Decimal | int | None) -> Change:
    """+12% / -5% against the previous window; "New" when it was nothing before; "—" when both are nothing."""
    if current is None or previous is None:
        return Change(None, "—", "flat")
    current, previous = Decimal(current), Decimal(previous)
    if previous == 0:
        return Change(None, "—", "flat") if current == 0 else Change(None, "New", "up")
    percent = ((current - previous) * 100 / abs(previous)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if percent == 0:
        return Change(Decimal(0), "0%", "flat")
    return Change(percent, f"{'+' if percent > 0 else '-'}{abs(percent)}%", "up" if percent > 0 else "down")


def _totals(store: Store, window: DayWindow) -> dict:
    return reporting.totals(reporting.period_report(store_id=store.pk, window=window.as_report_window()))


def dashboard_figures(*, store: Store, current: DayWindow, previous: DayWindow) -> list[Figure]:
    now, before = _totals(store, current), _totals(store, previous)
    # The reports' ROI, so the two pages agree: (referred revenue - reward cost) ÷ reward cost.
    roi = now["roi"]
    if roi is not None:
        roi_help = (f"(Referred revenue − reward cost) ÷ reward cost: what each {MoneyFormat.of(store).format(1)} "
                    "of rewards returned beyond itself, as in the reports.")
    elif now["referred_revenue"]:
        roi_help = "No reward cost in these 30 days: the referred revenue came at no reward cost."
    else:
        roi_help = "Shown once referred orders and rewards come in."
    return [
        Figure("referred_orders", "Referred orders", now["referred_orders"], before["referred_orders"], "count",
               "Paid orders a referral brought: a friend's link or code, or an advocate's reward."),
        Figure("referred_revenue", "Referred revenue", now["referred_revenue"], before["referred_revenue"], "money",
               "What those orders were worth, in your store's default currency."),
        Figure("new_customers", "New customers", now["new_customers"], before["new_customers"], "count",
               "Referred shoppers whose first order it was."),
        Figure("rewards_issued", "Rewards issued", now["rewards_issued"], before["rewards_issued"], "count",
               "Rewards given to advocates and friends: codes, store credit, gift certificates."),
        Figure("reward_cost", "Reward cost", now["reward_cost"], before["reward_cost"], "money",
               "The value of the rewards issued (percentage rewards are not counted).", higher_is_better=False),
        Figure("roi", "ROI", roi, before["roi"], "ratio",
               roi_help),
    ]


def _full_name(first: str, last: str) -> str:
    return " ".join(part for part in (first, last) if part).strip()


def _advocates_of(store: Store, orders: list[OrderSnapshot]) -> dict[int, tuple[str, str]]:
    """Order id → (advocate's Friendbuy customer id, email) where we know who referred the order: the
    advocate reward it earned, the friend code it used, or the referral link it came through."""
    ids = [order.bc_order_id for order in orders]
    found: dict[int, tuple[str, str]] = {}
    for reward in Reward.objects.filter(store=store, recipient=Reward.Recipient.ADVOCATE, bc_order_id__in=ids):
        found.setdefault(reward.bc_order_id, (reward.customer_id, reward.email))
    codes = {str(code).upper(): order.bc_order_id for order in orders for code in order.coupon_codes or []}
    for friend_code in FriendCode.objects.filter(store=store, code__in=list(codes)):
        found.setdefault(codes[friend_code.code], (friend_code.advocate_customer_id, friend_code.advocate_email))
    for link in accepted_referral_links(store_id=store.pk, order_ids=ids).select_related("capture"):
        if link.capture is not None and link.capture.advocate_customer_id:
            found.setdefault(link.bc_order_id, (link.capture.advocate_customer_id, ""))
    return found


def _identities(store: Store, customer_ids: set[str]) -> dict[str, CustomerIdentity]:
    customer_ids.discard("")
    if not customer_ids:
        return {}
    return {i.friendbuy_customer_id: i for i in CustomerIdentity.objects.filter(
        store=store, friendbuy_customer_id__in=customer_ids)}


def recent_referrals(*, store: Store, limit: int = RECENT) -> list[ReferralLine]:
    """The store's last referred paid orders, newest first, with who bought and who referred them."""
    orders = list(OrderSnapshot.objects.filter(reporting.referred_q(store_id=store.pk), store=store,
                                               first_paid_at__isnull=False)
                  .select_related("identity").order_by("-first_paid_at", "-bc_order_id")[:limit])
    advocates = _advocates_of(store, orders)
    people = _identities(store, {customer_id for customer_id, _ in advocates.values()})
    lines = []
    for order in orders:
        identity = order.identity
        name = _full_name(identity.first_name, identity.last_name) if identity else ""
        advocate_id, advocate_email = advocates.get(order.bc_order_id, ("", ""))
        advocate = people.get(advocate_id)
        lines.append(ReferralLine(
            order_id=order.bc_order_id, paid_at=order.first_paid_at,
            customer_name=name or _full_name(order.billing_first_name, order.billing_last_name),
            customer_email=order.email, amount=order.default_currency_total, status=order.status_label,
            advocate_name=_full_name(advocate.first_name, advocate.last_name) if advocate else "",
            advocate_email=advocate_email or (advocate.email if advocate else ""),
            erased=order.erased_at is not None,
        ))
    return lines


def recent_rewards(*, store: Store, limit: int = RECENT) -> list[RewardLine]:
    """The store's last rewards, newest first, with the recipient's name and email."""
    rewards = list(Reward.objects.filter(store=store).select_related("coupon", "fulfilment")
                   .order_by("-created_at", "-id")[:limit])
    people = _identities(store, {reward.customer_id for reward in rewards})
    lines = []
    for reward in rewards:
        person = people.get(reward.customer_id)
        fulfilment = getattr(reward, "fulfilment", None)
        code = (reward.coupon.code if reward.coupon else "") or (fulfilment.gift_certificate_code if fulfilment
                                                                 else "") or reward.friendbuy_coupon_code
        delivered_as = fulfilment.get_kind_display() if fulfilment else ("Coupon code" if code else "")
        lines.append(RewardLine(
            reward_id=reward.friendbuy_reward_id, created_at=reward.created_at,
            recipient=reward.get_recipient_display(),
            name=_full_name(person.first_name, person.last_name) if person else "",
            email=reward.email or (person.email if person else ""),
            amount=reward.amount, unit=reward.unit,
            in_store_currency=reward.unit.upper() == store.default_currency.upper(),
            state=reward.get_state_display(), state_key=reward.state,
            code=code, delivered_as=delivered_as, order_id=reward.bc_order_id,
        ))
    return lines


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _admin(name: str, query: str) -> str:
    return f"{reverse(name)}?{query}"


def _setup_attention(store: Store, setup: SetupStatus) -> list[AttentionItem]:
    items = []
    setup_url = reverse("app-setup")
    if not setup.step("connect").done:
        items.append(AttentionItem(
            "connection", "danger", "Friendbuy is not connected" if setup.connection is None
            else "Friendbuy does not accept the app's credentials",
            setup.step("connect").summary + " Purchases and rewards wait until it does.",
            f"{setup_url}#step-connect", "Check the connection", True))
    hooks_off = [line.scope for line in setup.hooks if not line.active]
    if hooks_off:
        items.append(AttentionItem(
            "webhooks", "danger", f"{_plural(len(hooks_off), 'store event does', 'store events do')} not reach the app",
            "BigCommerce stopped sending: " + ", ".join(hooks_off) + ". Orders may not reach Friendbuy until "
            "they are repaired.", f"{setup_url}#step-webhooks", "Repair the webhooks", True))
    scripts_off = [line for line in setup.scripts if not line.ok]
    if setup.step("connect").done and scripts_off:
        items.append(AttentionItem(
            "scripts", "warning", f"{_plural(len(scripts_off), 'storefront script is', 'storefront scripts are')} "
            "not live", "; ".join(f"{line.title} on {line.channel}" for line in scripts_off)
            + ". Referred shoppers may not be recognised.", f"{setup_url}#step-tracking", "Repair the scripts", True))
    return items


def dashboard_attention(*, store: Store, setup: SetupStatus | None = None) -> list[AttentionItem]:
    """What is waiting on someone in this store, most urgent first, each with where to deal with it."""
    setup = setup or setup_status(store=store)
    items = _setup_attention(store, setup)
    held = review_queue(store_id=store.pk).count()
    if held:
        items.append(AttentionItem(
            "reviews", "warning", f"{_plural(held, 'referral waits', 'referrals wait')} for a fraud review",
            "Held rewards are not given until someone approves them in the review queue.",
            reverse("app-support-reviews"), "Open the review queue", True))
    dead = OutboxEvent.objects.filter(store=store, state=OutboxEvent.State.DEAD).count()
    if dead:
        items.append(AttentionItem(
            "outbox", "danger", f"{_plural(dead, 'event', 'events')} could not be sent to Friendbuy",
            "Their retries are used up; replaying them sends each once.",
            _admin("admin:referrals_outboxevent_changelist", f"state__exact=dead&store__id__exact={store.pk}"),
            "Replay them", False))
    dead_hooks = WebhookDelivery.objects.filter(store=store, status=WebhookDelivery.Status.DEAD).count()
    if dead_hooks:
        items.append(AttentionItem(
            "webhook_deliveries", "danger",
            f"{_plural(dead_hooks, 'store event', 'store events')} could not be processed",
            "BigCommerce sent them but processing failed after every retry; replaying them processes each once.",
            _admin("admin:storefront_webhookdelivery_changelist", f"status__exact=dead&store__id__exact={store.pk}"),
            "Replay them", False))
    for pool in pools_low_on_codes(store=store):
        refill = (f"It refills itself up to {pool.refill_to}." if pool.refill_to
                  else "It does not refill itself: generate more codes.")
        items.append(AttentionItem(
            f"pool-{pool.pk}", "warning", f"Code pool “{pool.name}” is running low",
            f"{_plural(pool.available_count, 'code is', 'codes are')} left (the warning starts below "
            f"{pool.low_threshold}). {refill}",
            _admin("admin:coupons_codepool_changelist", f"store__id__exact={store.pk}"), "Open the code pools", False))
    return items


def merchant_dashboard(*, store: Store, setup: SetupStatus | None = None, today: date | None = None) -> Dashboard:
    """Everything the dashboard shows for one store (reads only; refresh the rollup first for today's numbers)."""
    current, previous = dashboard_windows(today=today)
    return Dashboard(
        current=current, previous=previous,
        figures=dashboard_figures(store=store, current=current, previous=previous),
        referrals=recent_referrals(store=store), rewards=recent_rewards(store=store),
        attention=dashboard_attention(store=store, setup=setup),
    )


__all__ = ["AttentionItem", "Change", "Dashboard", "DayWindow", "Figure", "ReferralLine", "RewardLine",
           "change_between", "dashboard_attention", "dashboard_figures", "dashboard_windows", "merchant_dashboard",
           "recent_referrals", "recent_rewards"]

