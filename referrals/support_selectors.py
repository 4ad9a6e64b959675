"""Support lookup (reads only): find the customer behind an email, order id, coupon code, BigCommerce
customer id or Friendbuy reward id, then gather everything we know about them in one store into one
file — sections plus a single chronological timeline.

Every query is keyed on an indexed column (see the `support` migration) and bounded, so one lookup
stays fast on a store with a million orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q

from coupons.models import CouponCode, Redemption
from fraud.models import Assessment
from storefront.models import Store, WebhookDelivery

from .attribution import order_link_for
from .identity import normalize_email
from .models import (
    AttributionCapture,
    CustomerIdentity,
    FriendbuyDelivery,
    FriendCode,
    ManualAttribution,
    OrderEvent,
    OrderSnapshot,
    OutboxEvent,
    ReviewHold,
    Reward,
    ValidationCallback,
)

# A support file is for reading, not export: past these many rows a section says "and more".
SECTION_LIMIT = 200
MATCH_LIMIT = 50


# --- finding the customer ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """One customer (in one store) a search term points at; `query` opens their file."""

    store_id: int
    store_hash: str
    label: str
    why: str
    identity_id: int | None = None
    bc_customer_id: int | None = None
    normalized_email: str = ""
    bc_order_id: int | None = None

    @property
    def key(self) -> tuple:
        # Two routes to the same person (their email and their order) are one match.
        if self.identity_id:
            return (self.store_id, "identity", self.identity_id)
        if self.bc_customer_id:
            return (self.store_id, "customer", self.bc_customer_id)
        if self.normalized_email:
            return (self.store_id, "email", self.normalized_email)
        return (self.store_id, "order", self.bc_order_id)

    @property
    def query(self) -> str:
        params: dict[str, Any] = {"store": self.store_id}
        for name, value in (("identity", self.identity_id), ("customer", self.bc_customer_id),
                            ("email", self.normalized_email), ("order", self.bc_order_id)):
            if value:
                params[name] = value
        return urlencode(params)


def _scoped(queryset, store_id: int | None):
    return queryset.filter(store_id=store_id) if store_id else queryset


def _identity_match(identity: CustomerIdentity, why: str, *, order_id: int | None = None) -> Match:
    name = " ".join(p for p in (identity.first_name, identity.last_name) if p)
    label = f"{identity.email or identity.friendbuy_customer_id}" + (f" ({name})" if name else "")
    return Match(store_id=identity.store_id, store_hash=identity.store.store_hash, label=label, why=why,
                 identity_id=identity.pk, bc_customer_id=identity.bc_customer_id,
                 normalized_email=identity.normalized_email, bc_order_id=order_id)


def _order_match(order: OrderSnapshot, why: str) -> Match:
    if order.identity_id:
        return _identity_match(order.identity, why, order_id=order.bc_order_id)
    return Match(store_id=order.store_id, store_hash=order.store.store_hash,
                 label=order.email or f"Order {order.bc_order_id} (guest)", why=why,
                 bc_customer_id=order.customer_id or None, normalized_email=order.normalized_email,
                 bc_order_id=order.bc_order_id)


def _people_by_fb_id(*, store_id: int, fb_id: str, email: str, why: str) -> list[Match]:
    identity = CustomerIdentity.objects.select_related("store").filter(
        store_id=store_id, friendbuy_customer_id=fb_id).first() if fb_id else None
    if identity is not None:
        return [_identity_match(identity, why)]
    normalized = normalize_email(email)
    if not normalized and not (fb_id or "").isdigit():
        return []
    store = Store.objects.get(pk=store_id)
    return [Match(store_id=store_id, store_hash=store.store_hash, label=email or fb_id, why=why,
                  bc_customer_id=int(fb_id) if (fb_id or "").isdigit() else None, normalized_email=normalized)]


def support_search(*, query: str, store_id: int | None = None) -> list[Match]:
    """Every customer the term may mean: by email (raw or alias), order id, coupon code, customer id or
    Friendbuy reward id; optionally in one store. Distinct per customer, at most MATCH_LIMIT."""
    term = (query or "").strip()
    if not term:
        return []
    found: list[Match] = []
    if "@" in term:
        normalized = normalize_email(term)
        identities = _scoped(CustomerIdentity.objects.select_related("store"), store_id).filter(
            normalized_email=normalized)[:MATCH_LIMIT]
        found += [_identity_match(i, f"email {normalized}") for i in identities]
        orders = _scoped(OrderSnapshot.objects.select_related("store", "identity"), store_id).filter(
            normalized_email=normalized, identity__isnull=True)[:MATCH_LIMIT]
        found += [_order_match(o, f"email on order {o.bc_order_id}") for o in orders]
    if term.isdigit() and len(term) < 19:
        number = int(term)
        orders = _scoped(OrderSnapshot.objects.select_related("store", "identity"), store_id).filter(
            bc_order_id=number)[:MATCH_LIMIT]
        found += [_order_match(o, f"order {number}") for o in orders]
        identities = _scoped(CustomerIdentity.objects.select_related("store"), store_id).filter(
            bc_customer_id=number)[:MATCH_LIMIT]
        found += [_identity_match(i, f"BigCommerce customer {number}") for i in identities]
    if "@" not in term and len(term) <= 64:
        code = term.upper()
        for coupon in _scoped(CouponCode.objects.all(), store_id).filter(code=code)[:MATCH_LIMIT]:
            found += _people_by_fb_id(store_id=coupon.store_id, fb_id=coupon.issued_to_customer_id,
                                      email=coupon.issued_to_email, why=f"code {code} was issued to them")
            for redemption in coupon.redemptions.all()[:MATCH_LIMIT]:
                order = OrderSnapshot.objects.select_related("store", "identity").filter(
                    store_id=coupon.store_id, bc_order_id=redemption.bc_order_id).first()
                if order is not None:
                    found.append(_order_match(order, f"code {code} used on order {order.bc_order_id}"))
        for friend_code in _scoped(FriendCode.objects.all(), store_id).filter(code=code)[:MATCH_LIMIT]:
            found += _people_by_fb_id(store_id=friend_code.store_id, fb_id=friend_code.friend_customer_id,
                                      email=friend_code.friend_email, why=f"friend code {code}")
    if len(term) <= 120:
        for reward in _scoped(Reward.objects.all(), store_id).filter(friendbuy_reward_id=term)[:MATCH_LIMIT]:
            found += _people_by_fb_id(store_id=reward.store_id, fb_id=reward.customer_id, email=reward.email,
                                      why=f"Friendbuy reward {term}")
    distinct: dict[tuple, Match] = {}
    for match in found:
        distinct.setdefault(match.key, match)
    return list(distinct.values())[:MATCH_LIMIT]


# --- the customer's file ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    title: str
    detail: str = ""
    ok: bool | None = None


@dataclass
class OrderSignals:
    """Which attribution signals an order carried (each a value, or '' when missing)."""

    order: OrderSnapshot
    attribution_id: str = ""
    referral_code: str = ""
    friend_coupon: str = ""
    device_id: str = ""
    user_agent: str = ""
    order_link: bool = False
    manual: ManualAttribution | None = None
    purchase_event: OutboxEvent | None = None
    is_new_customer: bool | None = None

    @property
    def referred(self) -> bool:
        return bool(self.attribution_id or self.referral_code or self.friend_coupon or self.manual)

    @property
    def checklist(self) -> list[tuple[str, str]]:
        return [("Attribution id", self.attribution_id), ("Referral code", self.referral_code),
                ("Friend coupon", self.friend_coupon), ("Device", self.device_id),
                ("User agent", self.user_agent[:80]), ("Order link (thank-you page)", "yes" if self.order_link else "")]


@dataclass
class CustomerFile:
    store: Store
    identities: list[CustomerIdentity]
    aliases: list[str]
    customer_ids: list[int]
    friendbuy_ids: list[str]
    orders: list[OrderSignals]
    order_events: list[OrderEvent]
    outbox: list[OutboxEvent]
    webhooks: list[WebhookDelivery]
    friendbuy_deliveries: list[FriendbuyDelivery]
    rewards: list[Reward]
    codes: list[CouponCode]
    redemptions: list[Redemption]
    assessments: list[Assessment]
    validations: list[ValidationCallback]
    holds: list[ReviewHold]
    captures: list[AttributionCapture]
    friend_codes: list[FriendCode]
    manual: list[ManualAttribution]
    as_advocate: list[dict] = field(default_factory=list)
    as_friend: list[dict] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)

    @property
    def focus(self) -> OrderSignals | None:
        return self.orders[0] if self.orders else None


def _signals(orders: list[OrderSnapshot], *, store: Store, outbox: list[OutboxEvent],
             manual: list[ManualAttribution]) -> list[OrderSignals]:
    links = {o.bc_order_id: order_link_for(store=store, order_id=o.bc_order_id, cart_id=o.cart_id,
                                           customer_id=o.customer_id) for o in orders}
    purchases = {e.order_id: e for e in outbox if e.kind == OutboxEvent.Kind.PURCHASE
                 and e.natural_key.startswith("purchase:")}
    manual_by_order = {m.bc_order_id: m for m in manual}
    codes = {c for o in orders for c in _order_codes(o)}
    ours = set(CouponCode.objects.filter(store=store, code__in=codes).values_list("code", flat=True))
    friend = set(FriendCode.objects.filter(store=store, code__in=codes).values_list("code", flat=True))
    result = []
    for order in orders:
        link, event = links.get(order.bc_order_id), purchases.get(order.pk)
        payload = event.payload if event is not None else {}
        capture = link.capture if link is not None else None
        friend_coupon = next((c for c in _order_codes(order) if c in friend or c in ours), "")
        if not friend_coupon and capture is not None and capture.friend_coupon:
            friend_coupon = capture.friend_coupon if capture.friend_coupon.upper() in _order_codes(order) else ""
        result.append(OrderSignals(
            order=order,
            attribution_id=payload.get("attributionId") or (capture.attribution_id if capture and
                                                             capture.signature_valid else ""),
            referral_code=payload.get("referralCode") or (capture.referral_code if capture and
                                                          capture.signature_valid else ""),
            friend_coupon=friend_coupon,
            device_id=link.device_id if link else "",
            user_agent=order.user_agent or (link.user_agent if link else ""),
            order_link=link is not None,
            manual=manual_by_order.get(order.bc_order_id),
            purchase_event=event,
            is_new_customer=payload.get("isNewCustomer") if "isNewCustomer" in payload else None,
        ))
    return result


def _order_codes(order: OrderSnapshot) -> list[str]:
    codes = []
    for item in order.coupon_codes or []:
        code = item.get("code") if isinstance(item, dict) else item
        if code:
            codes.append(str(code).strip().upper())
    return codes


def customer_file(*, store_id: int, identity_id: int | None = None, bc_customer_id: int | None = None,
                  normalized_email: str = "", bc_order_id: int | None = None) -> CustomerFile:
    """Everything about one customer in one store. The starting keys are widened once through their
    identities (so an alias email finds the registered account and back)."""
    store = Store.objects.get(pk=store_id)
    if bc_order_id and not (identity_id or bc_customer_id or normalized_email):
        order = OrderSnapshot.objects.filter(store=store, bc_order_id=bc_order_id).first()
        if order is not None:
            identity_id, normalized_email = order.identity_id, order.normalized_email
            bc_customer_id = order.customer_id or None
    start = Q(pk=identity_id) if identity_id else Q(pk__in=[])
    if bc_customer_id:
        start |= Q(bc_customer_id=bc_customer_id)
    if normalized_email:
        start |= Q(normalized_email=normalized_email)
    identities = list(CustomerIdentity.objects.filter(store=store).filter(start)[:SECTION_LIMIT])
    customer_ids = sorted({i.bc_customer_id for i in identities if i.bc_customer_id} |
                          ({bc_customer_id} if bc_customer_id else set()))
    emails = sorted({i.normalized_email for i in identities if i.normalized_email} |
                    ({normalized_email} if normalized_email else set()))
    fb_ids = sorted({i.friendbuy_customer_id for i in identities} | {str(c) for c in customer_ids})
    identity_ids = [i.pk for i in identities]

    person = Q(identity_id__in=identity_ids) | Q(customer_id__in=customer_ids) | Q(normalized_email__in=emails)
    if bc_order_id:
        person |= Q(bc_order_id=bc_order_id)
    orders = list(OrderSnapshot.objects.filter(store=store).filter(person).order_by("-bc_order_id")[:SECTION_LIMIT])
    order_ids = [o.bc_order_id for o in orders]
    order_pks = [o.pk for o in orders]
    aliases = sorted({i.email for i in identities if i.email} | {o.email for o in orders if o.email},
                     key=str.lower)

    outbox = list(OutboxEvent.objects.filter(store=store).filter(
        Q(order_id__in=order_pks) | Q(identity_id__in=identity_ids)).order_by("created_at")[:SECTION_LIMIT])
    manual = list(ManualAttribution.objects.filter(store=store, bc_order_id__in=order_ids))
    signals = _signals(orders, store=store, outbox=outbox, manual=manual)
    events = list(OrderEvent.objects.filter(order_id__in=order_pks).order_by("at")[:SECTION_LIMIT])
    hooks = Q(scope__startswith="store/order/", resource_id__in=[str(i) for i in order_ids])
    if customer_ids:
        hooks |= Q(scope__startswith="store/customer/", resource_id__in=[str(c) for c in customer_ids])
    webhooks = list(WebhookDelivery.objects.filter(store=store).filter(hooks).order_by("received_at")[:SECTION_LIMIT])

    rewards = list(Reward.objects.filter(store=store).filter(
        Q(customer_id__in=fb_ids) | Q(bc_order_id__in=order_ids) | Q(advocate_customer_id__in=fb_ids)
    ).select_related("coupon").prefetch_related("transitions").order_by("created_at")[:SECTION_LIMIT])
    reward_coupons = [r.coupon_id for r in rewards if r.coupon_id]
    codes = list(CouponCode.objects.filter(store=store).filter(
        Q(issued_to_customer_id__in=fb_ids) | Q(pk__in=reward_coupons)).order_by("created_at")[:SECTION_LIMIT])
    redemptions = list(Redemption.objects.select_related("coupon").filter(store=store).filter(
        Q(bc_order_id__in=order_ids) | Q(coupon_id__in=[c.pk for c in codes]))[:SECTION_LIMIT])
    validations = list(ValidationCallback.objects.filter(store=store).filter(
        Q(bc_order_id__in=order_ids) | Q(advocate_customer_id__in=fb_ids)).order_by("at")[:SECTION_LIMIT])
    delivery_ids = {r.delivery_id for r in rewards if r.delivery_id} | {v.delivery_id for v in validations}
    deliveries = list(FriendbuyDelivery.objects.filter(pk__in=delivery_ids).order_by("received_at"))
    assessments = list(Assessment.objects.filter(store=store).filter(
        Q(bc_order_id__in=order_ids) | Q(customer_key__in=fb_ids)
        | Q(subject_type=Assessment.SubjectType.REWARD, reference__in=[r.friendbuy_reward_id for r in rewards])
    ).prefetch_related("decisions").order_by("created_at")[:SECTION_LIMIT])
    holds = list(ReviewHold.objects.filter(store=store, bc_order_id__in=order_ids))
    seen = Q(bc_customer_id__in=customer_ids) if customer_ids else Q(pk__in=[])
    raw_emails = list(aliases)
    if raw_emails:
        seen |= Q(email__in=raw_emails)
    captures = list(AttributionCapture.objects.filter(store=store).filter(seen).order_by("created_at")[:SECTION_LIMIT])
    friend_codes = list(FriendCode.objects.filter(store=store).filter(
        Q(friend_customer_id__in=fb_ids) | Q(advocate_customer_id__in=fb_ids)
        | Q(friend_email__in=raw_emails))[:SECTION_LIMIT])

    result = CustomerFile(
        store=store, identities=identities, aliases=aliases, customer_ids=customer_ids, friendbuy_ids=fb_ids,
        orders=signals, order_events=events, outbox=outbox, webhooks=webhooks, friendbuy_deliveries=deliveries,
        rewards=rewards, codes=codes, redemptions=redemptions, assessments=assessments, validations=validations,
        holds=holds, captures=captures, friend_codes=friend_codes, manual=manual,
    )
    result.as_advocate, result.as_friend = _referrals(result)
    result.timeline = build_timeline(result)
    return result


def _referrals(f: CustomerFile) -> tuple[list[dict], list[dict]]:
    """Who they referred (rewards and codes naming them as advocate) and who referred them."""
    mine = set(f.friendbuy_ids)
    my_orders = {s.order.bc_order_id for s in f.orders}
    as_advocate, as_friend = [], []
    for reward in f.rewards:
        if reward.recipient == Reward.Recipient.ADVOCATE and reward.customer_id in mine:
            as_advocate.append({"friend": reward.friend_email or "?", "order": reward.bc_order_id,
                                "campaign": reward.campaign_id, "via": f"reward {reward.friendbuy_reward_id}"})
        elif reward.recipient == Reward.Recipient.ADVOCATE and reward.bc_order_id in my_orders:
            as_friend.append({"advocate": reward.advocate_email or reward.customer_id, "order": reward.bc_order_id,
                              "campaign": reward.campaign_id, "via": f"advocate reward {reward.friendbuy_reward_id}"})
    for code in f.friend_codes:
        if code.advocate_customer_id in mine:
            as_advocate.append({"friend": code.friend_email or code.friend_customer_id or "?", "order": None,
                                "campaign": code.campaign_id, "via": f"friend code {code.code}"})
        else:
            as_friend.append({"advocate": code.advocate_email or code.advocate_customer_id, "order": None,
                              "campaign": code.campaign_id, "via": f"friend code {code.code}"})
    for capture in f.captures:
        if capture.referral_code or capture.friend_coupon:
            as_friend.append({"advocate": capture.advocate_customer_id or capture.referral_code, "order": None,
                              "campaign": capture.campaign_id,
                              "via": f"visit with {'valid' if capture.signature_valid else 'UNVERIFIED'} "
                                     f"referral {capture.referral_code or capture.friend_coupon}"})
    for manual in f.manual:
        as_friend.append({"advocate": manual.advocate_customer_id or manual.referral_code,
                          "order": manual.bc_order_id, "campaign": manual.campaign_id, "via": "manual link by support"})
    return as_advocate, as_friend


def build_timeline(f: CustomerFile) -> list[TimelineEntry]:
    """One chronological list of typed entries from every section."""
    entries: list[TimelineEntry] = []
    add = entries.append
    for identity in f.identities:
        add(TimelineEntry(identity.first_seen, "identity", f"Customer {identity.friendbuy_customer_id} first seen",
                          identity.email))
    for capture in f.captures:
        add(TimelineEntry(capture.created_at, "capture", "Referral visit captured",
                          f"code {capture.referral_code or '-'} coupon {capture.friend_coupon or '-'} "
                          f"signature {'valid' if capture.signature_valid else 'NOT verified'}", capture.signature_valid))
    for s in f.orders:
        o = s.order
        if o.bc_date_created:
            add(TimelineEntry(o.bc_date_created, "order", f"Order {o.bc_order_id} placed",
                              f"{o.total_inc_tax} {o.currency_code} · {o.status_label}"))
    for event in f.order_events:
        add(TimelineEntry(event.at, "order_event", f"Order event: {event.get_kind_display()}",
                          f"amount {event.amount}" if event.amount is not None else ""))
    for hook in f.webhooks:
        add(TimelineEntry(hook.received_at, "webhook", f"BigCommerce webhook {hook.scope} #{hook.resource_id}",
                          f"{hook.get_status_display()} {hook.error[:200]}".strip(),
                          hook.status in ("processed", "duplicate")))
    for event in f.outbox:
        add(TimelineEntry(event.created_at, "outbox", f"{event.get_kind_display()} to Friendbuy ({event.natural_key})",
                          f"{event.get_state_display()} · HTTP {event.last_status or '-'} {event.last_error[:200]}",
                          event.state == OutboxEvent.State.SENT))
    for delivery in f.friendbuy_deliveries:
        add(TimelineEntry(delivery.received_at, "friendbuy_delivery",
                          f"Friendbuy {delivery.get_kind_display()} {delivery.event_type}",
                          delivery.get_status_display(), delivery.status in ("processed", "answered")))
    for callback in f.validations:
        add(TimelineEntry(callback.at, "validation", f"Validation callback for order {callback.order_reference}",
                          f"answered {callback.answer_status} {callback.reason}", callback.answer_status == 200))
    for reward in f.rewards:
        for t in reward.transitions.all():
            add(TimelineEntry(t.at, "reward", f"{reward.get_recipient_display()} reward {reward.friendbuy_reward_id}: "
                                               f"{t.from_state} → {t.to_state}", f"{t.reason} {t.code}".strip()))
    for code in f.codes:
        add(TimelineEntry(code.created_at, "code", f"Code {code.code} {code.get_state_display()}",
                          f"{code.amount} {code.currency}"))
        if code.disabled_at:
            add(TimelineEntry(code.disabled_at, "code", f"Code {code.code} disabled", code.disabled_reason))
    for redemption in f.redemptions:
        add(TimelineEntry(redemption.redeemed_at, "redemption",
                          f"Code {redemption.coupon.code} redeemed on order {redemption.bc_order_id}"))
    for assessment in f.assessments:
        rules = ", ".join(h.get("rule", "?") for h in assessment.hits) or "no rule hit"
        add(TimelineEntry(assessment.created_at, "fraud", f"Fraud check of {assessment.get_subject_type_display()} "
                                                          f"{assessment.reference}: {assessment.decision}",
                          f"score {assessment.score}; {rules}", assessment.decision == "approve"))
        for decision in assessment.decisions.all():
            add(TimelineEntry(decision.at, "fraud", f"Review: {decision.from_decision} → {decision.to_decision}",
                              f"{decision.decided_by}: {decision.note}"))
    for manual in f.manual:
        add(TimelineEntry(manual.created_at, "manual", f"Order {manual.bc_order_id} linked by support to "
                                                       f"{manual.referral_code}", manual.reason))
    entries.sort(key=lambda e: e.at)
    return entries
