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
from referrals.attribution.services import order_link_for
from referrals.models import (
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
    RewardFulfilment,
    StoreCreditEntry,
    ValidationCallback,
)
from referrals.orders.identity import normalize_email
from referrals.support.words import money
from storefront.models import Store, WebhookDelivery

# A support file is for reading, not export: past these many rows a section says "and more".
SECTION_LIMIT = 200
MATCH_LIMIT = 50


# --- finding the customer ------------------------------------------------------------------------------
#
# A person is whoever one set of keys names in one store: Friendbuy customer ids (the BigCommerce id for
# registered customers, the guest surrogate otherwise) and normalised emails. The advocate is often known
# only from Friendbuy's side (a reward webhook, the emailCapture that gave her friend a code, a signed
# referral visit naming her customer id), so every route in widens to the whole set through those rows
# too, and the set's canonical key is what a match opens: one person, one file.


@dataclass(frozen=True)
class Match:
    """One person (in one store) a search term points at; `query` opens their file."""

    store_id: int
    store_hash: str
    label: str
    why: str
    identity_id: int | None = None
    bc_customer_id: int | None = None
    normalized_email: str = ""
    bc_order_id: int | None = None
    friendbuy_customer_id: str = ""

    @property
    def key(self) -> tuple:
        # Two routes to the same person (their email and their order) are one match.
        if self.identity_id:
            return (self.store_id, "identity", self.identity_id)
        if self.friendbuy_customer_id:
            return (self.store_id, "fb", self.friendbuy_customer_id)
        if self.normalized_email:
            return (self.store_id, "email", self.normalized_email)
        return (self.store_id, "order", self.bc_order_id)

    @property
    def query(self) -> str:
        """The file's address: the canonical key only (plus the order searched for, which the diagnosis
        puts first), so every route to a person opens the same file."""
        params: dict[str, Any] = {"store": self.store_id}
        if self.identity_id:
            params["identity"] = self.identity_id
        elif self.friendbuy_customer_id:
            params["fb"] = self.friendbuy_customer_id
        elif self.normalized_email:
            params["email"] = self.normalized_email
        if self.bc_order_id:
            params["order"] = self.bc_order_id
        return urlencode(params)


@dataclass
class PersonKeys:
    """Every key one person is known by in one store (see the section comment)."""

    fb_ids: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)  # normalised
    raw_emails: set[str] = field(default_factory=set)
    identities: list[CustomerIdentity] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    @property
    def customer_ids(self) -> list[int]:
        return sorted(int(f) for f in self.fb_ids if f.isdigit() and len(f) < 19)


def _add_email(keys: PersonKeys, email: str) -> None:
    if email and "@" in email:
        keys.raw_emails.add(email.strip())
        keys.emails.add(normalize_email(email))


def person_keys(*, store_id: int, fb_ids=(), emails=(), identity_ids=(), rounds: int = 2) -> PersonKeys:
    """Widen a few starting keys to the person: identities sharing an id or normalised email, and the
    Friendbuy-side rows (rewards, friend codes) that pair an email with a customer id."""
    keys = PersonKeys(fb_ids={str(f) for f in fb_ids if f})
    for email in emails:
        _add_email(keys, email)
    wanted_identities = set(identity_ids)
    seen: dict[int, CustomerIdentity] = {}
    for _ in range(rounds):
        before = (len(keys.fb_ids), len(keys.emails))
        match = Q(pk__in=wanted_identities) | Q(friendbuy_customer_id__in=keys.fb_ids)
        match |= Q(bc_customer_id__in=keys.customer_ids) | Q(normalized_email__in=keys.emails)
        for identity in CustomerIdentity.objects.filter(store_id=store_id).filter(match)[:SECTION_LIMIT]:
            seen[identity.pk] = identity
            keys.fb_ids.add(identity.friendbuy_customer_id)
            if identity.bc_customer_id:
                keys.fb_ids.add(str(identity.bc_customer_id))
            _add_email(keys, identity.email)
        rewards = Reward.objects.filter(store_id=store_id).filter(
            Q(customer_id__in=keys.fb_ids) | _iexact_any("email", keys.raw_emails)
        ).values_list("customer_id", "email")[:SECTION_LIMIT]
        for customer_id, email in rewards:
            keys.fb_ids.add(customer_id)
            _add_email(keys, email)
        codes = FriendCode.objects.filter(store_id=store_id).filter(
            Q(advocate_customer_id__in=keys.fb_ids) | _iexact_any("advocate_email", keys.raw_emails)
        ).values_list("advocate_customer_id", "advocate_email")[:SECTION_LIMIT]
        for customer_id, email in codes:
            keys.fb_ids.add(customer_id)
            _add_email(keys, email)
        friend_codes = FriendCode.objects.filter(store_id=store_id).filter(
            Q(friend_customer_id__in=keys.fb_ids) | _iexact_any("friend_email", keys.raw_emails)
        ).values_list("friend_customer_id", "friend_email")[:SECTION_LIMIT]
        for customer_id, email in friend_codes:
            keys.fb_ids.add(customer_id)
            _add_email(keys, email)
        keys.fb_ids.discard("")
        if (len(keys.fb_ids), len(keys.emails)) == before and seen:
            break
    keys.identities = sorted(seen.values(), key=lambda i: i.pk)
    keys.names = sorted({full for i in keys.identities if (full := _full_name(i.first_name, i.last_name))})
    return keys


def _scoped(queryset, store_id: int | None):
    return queryset.filter(store_id=store_id) if store_id else queryset


def _iexact_any(field_name: str, values) -> Q:
    match = Q(pk__in=[])
    for value in list(values)[:20]:
        match |= Q(**{f"{field_name}__iexact": value})
    return match


def _full_name(first: str, last: str) -> str:
    return " ".join(p for p in (first, last) if p).strip()


def person_label(keys: PersonKeys) -> str:
    """'Ada Advocate <ada@example.com>' (or the email, or the customer id)."""
    email = next((i.email for i in keys.identities if i.email), "") or min(keys.raw_emails, default="")
    name = keys.names[0] if keys.names else ""
    if name and email:
        return f"{name} <{email}>"
    return name or email or (f"customer {min(keys.fb_ids)}" if keys.fb_ids else "unknown")


def _person_match(*, store: Store, why: str, fb_ids=(), emails=(), identity_ids=(),
                  order_id: int | None = None) -> Match | None:
    keys = person_keys(store_id=store.pk, fb_ids=fb_ids, emails=emails, identity_ids=identity_ids)
    if not (keys.identities or keys.fb_ids or keys.emails):
        return None
    # The canonical key: the oldest identity, else the smallest Friendbuy id, else the smallest email.
    identity = keys.identities[0] if keys.identities else None
    return Match(store_id=store.pk, store_hash=store.store_hash, label=person_label(keys), why=why,
                 identity_id=identity.pk if identity else None,
                 bc_customer_id=identity.bc_customer_id if identity else None,
                 normalized_email=identity.normalized_email if identity else min(keys.emails, default=""),
                 friendbuy_customer_id="" if identity or keys.emails else min(keys.fb_ids, default=""),
                 bc_order_id=order_id)


def _order_person(order: OrderSnapshot, why: str) -> Match | None:
    match = _person_match(store=order.store, why=why, fb_ids=[str(order.customer_id)] if order.customer_id else [],
                          emails=[order.email] if order.email else [],
                          identity_ids=[order.identity_id] if order.identity_id else [], order_id=order.bc_order_id)
    if match is None:
        return Match(store_id=order.store_id, store_hash=order.store.store_hash,
                     label=f"Order {order.bc_order_id} (guest, no email)", why=why, bc_order_id=order.bc_order_id)
    return match


def _name_terms(term: str) -> Q | None:
    """'Ada' matches a first or last name, 'Ada Advocate' the pair (case-insensitive, whole words)."""
    words = term.split()
    if not words or len(words) > 4 or any(not w.replace("-", "").replace("'", "").isalpha() for w in words):
        return None
    if len(words) == 1:
        return Q(first_name__iexact=words[0]) | Q(last_name__iexact=words[0])
    return Q(first_name__iexact=words[0], last_name__iexact=" ".join(words[1:])) | Q(
        first_name__iexact=" ".join(words[:-1]), last_name__iexact=words[-1])


def support_search(*, query: str, store_id: int | None = None) -> list[Match]:
    """Every person the term may mean, optionally in one store: by email (raw or alias), name, order id,
    BigCommerce customer id, coupon or friend code (its holder and the advocate it came from), referral
    code (the advocate), or Friendbuy reward id. Distinct per person, at most MATCH_LIMIT."""
    term = (query or "").strip()
    if not term:
        return []
    found: list[Match | None] = []
    stores = {s.pk: s for s in Store.objects.filter(pk=store_id).only("pk", "store_hash")} if store_id else None

    def store_of(pk: int) -> Store:
        nonlocal stores
        if stores is None or pk not in stores:
            stores = {**(stores or {}), pk: Store.objects.only("pk", "store_hash").get(pk=pk)}
        return stores[pk]

    if "@" in term:
        normalized = normalize_email(term)
        hits = set(_scoped(CustomerIdentity.objects.all(), store_id).filter(
            normalized_email=normalized).values_list("store_id", flat=True)[:MATCH_LIMIT])
        hits |= set(_scoped(OrderSnapshot.objects.all(), store_id).filter(
            normalized_email=normalized).values_list("store_id", flat=True)[:MATCH_LIMIT])
        hits |= set(_scoped(Reward.objects.all(), store_id).filter(email__iexact=term).values_list(
            "store_id", flat=True)[:MATCH_LIMIT])
        hits |= set(_scoped(FriendCode.objects.all(), store_id).filter(
            Q(advocate_email__iexact=term) | Q(friend_email__iexact=term)).values_list("store_id", flat=True)[:MATCH_LIMIT])
        found += [_person_match(store=store_of(pk), why=f"email {normalized}", emails=[term]) for pk in sorted(hits)]
    if term.isdigit() and len(term) < 19:
        number = int(term)
        for order in _scoped(OrderSnapshot.objects.select_related("store"), store_id).filter(
                bc_order_id=number)[:MATCH_LIMIT]:
            found.append(_order_person(order, f"order {number}"))
        ids = set(_scoped(CustomerIdentity.objects.all(), store_id).filter(
            bc_customer_id=number).values_list("store_id", flat=True)[:MATCH_LIMIT])
        ids |= set(_scoped(Reward.objects.all(), store_id).filter(customer_id=term).values_list(
            "store_id", flat=True)[:MATCH_LIMIT])
        found += [_person_match(store=store_of(pk), why=f"BigCommerce customer {number}", fb_ids=[term])
                  for pk in sorted(ids)]
    if "@" not in term and len(term) <= 64 and " " not in term:
        code = term.upper()
        for coupon in _scoped(CouponCode.objects.select_related("store"), store_id).filter(code=code)[:MATCH_LIMIT]:
            found.append(_person_match(store=coupon.store, why=f"code {code} was issued to them",
                                       fb_ids=[coupon.issued_to_customer_id], emails=[coupon.issued_to_email]))
            for redemption in coupon.redemptions.all()[:MATCH_LIMIT]:
                order = OrderSnapshot.objects.select_related("store").filter(
                    store_id=coupon.store_id, bc_order_id=redemption.bc_order_id).first()
                if order is not None:
                    found.append(_order_person(order, f"code {code} used on order {order.bc_order_id}"))
        friend_codes = _scoped(FriendCode.objects.select_related("store"), store_id).filter(
            Q(code=code) | Q(referral_code__iexact=term))[:MATCH_LIMIT]
        for friend_code in friend_codes:
            if friend_code.code == code:
                found.append(_person_match(store=friend_code.store, why=f"friend code {code} was given to them",
                                           fb_ids=[friend_code.friend_customer_id], emails=[friend_code.friend_email]))
            found.append(_person_match(
                store=friend_code.store, fb_ids=[friend_code.advocate_customer_id],
                emails=[friend_code.advocate_email],
                why=f"the advocate behind friend code {friend_code.code}" if friend_code.code == code
                else f"referral code {friend_code.referral_code} is theirs"))
        captures = _scoped(AttributionCapture.objects.select_related("store"), store_id).filter(
            referral_code__iexact=term, signature_valid=True).exclude(advocate_customer_id="")[:MATCH_LIMIT]
        for capture in captures:
            found.append(_person_match(store=capture.store, fb_ids=[capture.advocate_customer_id],
                                       why=f"referral code {capture.referral_code} is theirs"))
    if len(term) <= 120:
        for reward in _scoped(Reward.objects.select_related("store"), store_id).filter(
                friendbuy_reward_id=term)[:MATCH_LIMIT]:
            found.append(_person_match(store=reward.store, why=f"Friendbuy reward {term}", fb_ids=[reward.customer_id],
                                       emails=[reward.email]))
    names = _name_terms(term)
    if names is not None:
        people = _scoped(CustomerIdentity.objects.select_related("store"), store_id).filter(names)[:MATCH_LIMIT]
        found += [_person_match(store=i.store, why=f"name {_full_name(i.first_name, i.last_name)}",
                                identity_ids=[i.pk]) for i in people]
        billing = Q(billing_first_name__iexact=term) | Q(billing_last_name__iexact=term)
        if " " in term:
            first, _, last = term.partition(" ")
            billing = Q(billing_first_name__iexact=first, billing_last_name__iexact=last.strip())
        for order in _scoped(OrderSnapshot.objects.select_related("store"), store_id).filter(
                billing, identity__isnull=True)[:MATCH_LIMIT]:
            found.append(_order_person(order, f"billing name on order {order.bc_order_id}"))
    distinct: dict[tuple, Match] = {}
    for match in found:
        if match is not None:
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
    keys: PersonKeys = field(default_factory=PersonKeys)
    as_advocate: list[dict] = field(default_factory=list)
    as_friend: list[dict] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    # Store credit and gift certificate rewards: their delivery and reversal, and the ledger's entries.
    fulfilments: list[RewardFulfilment] = field(default_factory=list)
    credit_entries: list[StoreCreditEntry] = field(default_factory=list)
    # The orders of the friends they referred (as advocate): a friend's order behind an advocate reward, or
    # an order by a friend their friend code was given to; each advocate journey follows its friend's order.
    friend_orders: list[OrderSignals] = field(default_factory=list)

    @property
    def focus(self) -> OrderSignals | None:
        return self.orders[0] if self.orders else None

    @property
    def label(self) -> str:
        """Who this file is about, in words: 'Ada Advocate <ada@example.com>'."""
        return person_label(self.keys)


def _signals(orders: list[OrderSnapshot], *, store: Store, outbox: list[OutboxEvent],
             manual: list[ManualAttribution]) -> list[OrderSignals]:
    links = {o.bc_order_id: order_link_for(store=store, order_id=o.bc_order_id, cart_id=o.cart_id,
                                           customer_id=o.customer_id) for o in orders}
    purchases = {e.order_id: e for e in outbox if e.kind == OutboxEvent.Kind.PURCHASE
                 and e.natural_key.startswith("purchase:")}
    manual_by_order = {m.bc_order_id: m for m in manual}
    codes = {c for o in orders for c in _order_codes(o)}
    # Our codes are a referral signal when a friend got them; an advocate spending her reward is no referral.
    ours = set(CouponCode.objects.filter(store=store, code__in=codes).exclude(
        reward__recipient=Reward.Recipient.ADVOCATE).values_list("code", flat=True))
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
                  normalized_email: str = "", bc_order_id: int | None = None,
                  friendbuy_customer_id: str = "") -> CustomerFile:
    """Everything about one person in one store. The starting keys are widened to the person first
    (person_keys: an alias email finds the registered account, a reward's customer id her email)."""
    store = Store.objects.get(pk=store_id)
    if bc_order_id and not (identity_id or bc_customer_id or normalized_email or friendbuy_customer_id):
        order = OrderSnapshot.objects.filter(store=store, bc_order_id=bc_order_id).first()
        if order is not None:
            identity_id, normalized_email = order.identity_id, order.normalized_email
            bc_customer_id = order.customer_id or None
    keys = person_keys(store_id=store.pk, identity_ids=[identity_id] if identity_id else [],
                       fb_ids=[f for f in (friendbuy_customer_id, str(bc_customer_id or "")) if f],
                       emails=[normalized_email] if normalized_email else [])
    identities = keys.identities
    customer_ids = keys.customer_ids
    emails = sorted(keys.emails)
    fb_ids = sorted(keys.fb_ids)
    identity_ids = [i.pk for i in identities]

    person = Q(identity_id__in=identity_ids) | Q(customer_id__in=customer_ids) | Q(normalized_email__in=emails)
    if bc_order_id:
        person |= Q(bc_order_id=bc_order_id)
    orders = list(OrderSnapshot.objects.filter(store=store).filter(person).order_by("-bc_order_id")[:SECTION_LIMIT])
    order_ids = [o.bc_order_id for o in orders]
    order_pks = [o.pk for o in orders]
    aliases = sorted({i.email for i in identities if i.email} | {o.email for o in orders if o.email}
                     | keys.raw_emails, key=str.lower)

    outbox = list(OutboxEvent.objects.filter(store=store).filter(
        Q(order_id__in=order_pks) | Q(identity_id__in=identity_ids)).order_by("created_at")[:SECTION_LIMIT])
    manual = list(ManualAttribution.objects.filter(store=store, bc_order_id__in=order_ids))
    signals = _signals(orders, store=store, outbox=outbox, manual=manual)
    events = list(OrderEvent.objects.filter(order_id__in=order_pks).select_related("order").order_by("at")[:SECTION_LIMIT])
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
        | Q(friend_email__in=raw_emails) | _iexact_any("advocate_email", keys.raw_emails))[:SECTION_LIMIT])

    result = CustomerFile(
        store=store, identities=identities, aliases=aliases, customer_ids=customer_ids, friendbuy_ids=fb_ids,
        orders=signals, order_events=events, outbox=outbox, webhooks=webhooks, friendbuy_deliveries=deliveries,
        rewards=rewards, codes=codes, redemptions=redemptions, assessments=assessments, validations=validations,
        holds=holds, captures=captures, friend_codes=friend_codes, manual=manual, keys=keys,
    )
    result.fulfilments = list(RewardFulfilment.objects.filter(store=store, reward__in=rewards)
                              .select_related("reward").order_by("created_at")[:SECTION_LIMIT])
    result.credit_entries = list(StoreCreditEntry.objects.filter(store=store).filter(
        Q(reward__in=rewards) | Q(account__bc_customer_id__in=customer_ids)
    ).select_related("account", "reward").order_by("created_at")[:SECTION_LIMIT])
    result.friend_orders = _friend_orders(store=store, rewards=rewards, friend_codes=friend_codes, fb_ids=fb_ids,
                                          own_order_ids=order_ids)
    result.as_advocate, result.as_friend = _referrals(result)
    result.timeline = build_timeline(result)
    return result


def _friend_orders(*, store: Store, rewards: list[Reward], friend_codes: list[FriendCode], fb_ids: list[str],
                   own_order_ids: list[int]) -> list[OrderSignals]:
    """The orders of the friends this person referred, with their signals (see CustomerFile.friend_orders)."""
    mine = set(fb_ids)
    rewarded = {r.bc_order_id for r in rewards if r.recipient == Reward.Recipient.ADVOCATE
                and r.customer_id in mine and r.bc_order_id}
    theirs = [c for c in friend_codes if c.advocate_customer_id in mine]
    friends = Q(bc_order_id__in=rewarded)
    emails = {normalize_email(c.friend_email) for c in theirs if c.friend_email}
    if emails:
        friends |= Q(normalized_email__in=emails)
    if not (rewarded or emails):
        return []
    orders = list(OrderSnapshot.objects.filter(store=store).filter(friends).exclude(
        bc_order_id__in=own_order_ids).order_by("-bc_order_id")[:SECTION_LIMIT])
    outbox = list(OutboxEvent.objects.filter(store=store, order__in=orders, kind=OutboxEvent.Kind.PURCHASE))
    manual = list(ManualAttribution.objects.filter(store=store, bc_order_id__in=[o.bc_order_id for o in orders]))
    return _signals(orders, store=store, outbox=outbox, manual=manual)


def order_used_code(signals: OrderSignals, code: str) -> bool:
    return code.strip().upper() in _order_codes(signals.order)


def _referrals(f: CustomerFile) -> tuple[list[dict], list[dict]]:
    """Who they referred (rewards and codes naming them as advocate) and who referred them."""
    mine = set(f.friendbuy_ids)
    my_orders = {s.order.bc_order_id for s in f.orders}
    friend_orders = {s.order.bc_order_id: s.order for s in f.friend_orders}
    as_advocate, as_friend = [], []
    # One row per friend: a friend code whose friend's order a reward already names adds nothing.
    rewarded_friends = set()
    for reward in f.rewards:
        if reward.recipient == Reward.Recipient.ADVOCATE and reward.customer_id in mine:
            order = friend_orders.get(reward.bc_order_id)
            friend = reward.friend_email or (order.email if order is not None else "") or "?"
            rewarded_friends.add(friend.lower())
            as_advocate.append({"friend": friend, "order": reward.bc_order_id,
                                "campaign": reward.campaign_id, "via": f"reward {reward.friendbuy_reward_id}"})
        elif reward.recipient == Reward.Recipient.ADVOCATE and reward.bc_order_id in my_orders:
            as_friend.append({"advocate": reward.advocate_email or reward.customer_id, "order": reward.bc_order_id,
                              "campaign": reward.campaign_id, "via": f"advocate reward {reward.friendbuy_reward_id}"})
    for code in f.friend_codes:
        if code.advocate_customer_id in mine:
            if (code.friend_email or "").lower() in rewarded_friends:
                continue
            as_advocate.append({"friend": code.friend_email or code.friend_customer_id or "?", "order": None,
                                "campaign": code.campaign_id, "via": f"friend code {code.code}"})
        else:
            as_friend.append({"advocate": code.advocate_email or code.advocate_customer_id, "order": None,
                              "campaign": code.campaign_id, "via": f"friend code {code.code}"})
    # Repeated visits by the same link are one row with a count (a friend reloading the page is one referral).
    visits: dict[tuple, list[AttributionCapture]] = {}
    for capture in f.captures:
        if capture.referral_code or capture.friend_coupon:
            key = ((capture.referral_code or capture.friend_coupon).lower(), capture_trust(capture))
            visits.setdefault(key, []).append(capture)
    for (_, trust), same in visits.items():
        capture, count = same[-1], len(same)
        as_friend.append({"advocate": capture.advocate_customer_id or capture.referral_code, "order": None,
                          "campaign": capture.campaign_id,
                          "via": f"{'visit' if count == 1 else f'{count} visits'} with referral "
                                 f"{capture.referral_code or capture.friend_coupon} ({trust})"})
    for manual in f.manual:
        as_friend.append({"advocate": manual.advocate_customer_id or manual.referral_code,
                          "order": manual.bc_order_id, "campaign": manual.campaign_id, "via": "manual link by support"})
    _name_advocates(f.store, as_friend)
    return as_advocate, as_friend


def _name_advocates(store: Store, rows: list[dict]) -> None:
    """An advocate known by a Friendbuy customer id is shown by her email (one query for all rows)."""
    ids = {r["advocate"] for r in rows if r["advocate"] and "@" not in r["advocate"]}
    if not ids:
        return
    emails = dict(CustomerIdentity.objects.filter(store=store, friendbuy_customer_id__in=ids).exclude(email="")
                  .values_list("friendbuy_customer_id", "email"))
    for row in rows:
        if row["advocate"] in emails:
            row["advocate"] = emails[row["advocate"]]


def capture_is_trusted(capture: AttributionCapture) -> bool:
    """Signed by Friendbuy, or a bare friend coupon (which attributes by the coupon, needing no signature)."""
    return capture.signature_valid or bool(capture.friend_coupon and not capture.attribution_id)


def capture_trust(capture: AttributionCapture) -> str:
    if capture.signature_valid:
        return "signed by Friendbuy"
    if capture_is_trusted(capture):
        return "friend coupon seen at checkout"
    return "signature NOT verified, so its referral code is ignored"


def build_timeline(f: CustomerFile) -> list[TimelineEntry]:
    """One chronological list of typed entries from every section."""
    entries: list[TimelineEntry] = []
    add = entries.append
    for identity in f.identities:
        add(TimelineEntry(identity.first_seen, "identity", f"Customer {identity.friendbuy_customer_id} first seen",
                          identity.email))
    for capture in f.captures:
        add(TimelineEntry(capture.created_at, "capture", "Referral visit captured",
                          f"code {capture.referral_code or '-'} · friend coupon {capture.friend_coupon or '-'} · "
                          f"{capture_trust(capture)}", capture_is_trusted(capture)))
    for s in f.orders:
        o = s.order
        if o.bc_date_created:
            add(TimelineEntry(o.bc_date_created, "order", f"Order {o.bc_order_id} placed",
                              f"{money(o.total_inc_tax, o.currency_code)} · {o.status_label}"))
    for event in f.order_events:
        add(TimelineEntry(event.at, "order_event", f"Order event: {event.get_kind_display()}",
                          f"amount {money(event.amount, event.order.currency_code)}" if event.amount is not None else ""))
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
    for fulfilment in f.fulfilments:
        add(TimelineEntry(fulfilment.created_at, "credit", f"{fulfilment.get_kind_display()} of {fulfilment.amount} "
                          f"{fulfilment.currency} for reward {fulfilment.reward.friendbuy_reward_id}: "
                          f"{fulfilment.get_state_display()}", fulfilment.reason,
                          fulfilment.state not in (RewardFulfilment.State.FAILED, RewardFulfilment.State.WAITING)))
    for entry in f.credit_entries:
        sign = "+" if entry.kind == StoreCreditEntry.Kind.DEPOSIT else "-"
        add(TimelineEntry(entry.applied_at or entry.created_at, "credit",
                          f"Store credit {sign}{entry.applied_amount if entry.applied_amount is not None else entry.amount}"
                          f" on customer {entry.account.bc_customer_id}: {entry.get_state_display()}",
                          f"{entry.balance_before} → {entry.balance_after}"
                          + (f"; shortfall {entry.shortfall} (clawback)" if entry.shortfall else "")
                          + (f"; {entry.detail}" if entry.detail else ""),
                          entry.state == StoreCreditEntry.State.APPLIED))
    for code in f.codes:
        add(TimelineEntry(code.created_at, "code", f"Code {code.code} {code.get_state_display()}",
                          money(code.amount, code.currency)))
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
