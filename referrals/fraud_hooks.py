"""Where referrals meets fraud: build fraud's plain `Subject`s from our models at the right moments and
apply the decisions (DESIGN.md §2: referrals orchestrates fraud; fraud imports nothing of ours).

Moments:
* every paid order (lifecycle `order_event_recorded`, kind paid) → its signals are recorded; when a
  referral led to it (a friend code from Friendbuy, or a signed referral capture) it is a **conversion**
  and is assessed;
* every new reward (called by `rewards.reward_record` before it approves) → a **reward** assessment;
* every redemption of one of our codes (post_save of coupons.Redemption) → a **redemption** assessment;
* every referral visit (post_save of AttributionCapture) → its signals.

Decisions reach the rest of referrals through `ReviewHold`, one per order, mirroring all of the order's
assessments (any reject → rejected; any hold → pending; else approved): the reward validation callback
answers 503 while pending and 400 once rejected, and `reward_record` leaves rewards of a held order
pending (never minted). When a reviewer (or the auto-decision) decides later, fraud sends
`assessment_decided`; we re-mirror the order and release (approve + mint) or reject its rewards.
"""
from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from coupons.models import Redemption
from fraud import normalise
from fraud.models import Assessment, Decision
from fraud.selectors import order_assessments
from fraud.services import assessment_run, signals_record
from fraud.signals import assessment_decided
from fraud.subjects import Person, Subject
from storefront.bigcommerce import BigCommerceError
from storefront.models import Store
from storefront.queueing import task_enqueue_on_commit

from .attribution import order_link_for
from .identity import friendbuy_customer_id, normalize_email
from .lifecycle import documents_just_fetched, order_event_recorded
from .models import (
    AttributionCapture,
    CustomerIdentity,
    FriendCode,
    OrderAttributionLink,
    OrderEvent,
    OrderSnapshot,
    ReviewHold,
    Reward,
)

logger = logging.getLogger(__name__)

# Fraud matches emails with the same normalisation as our identities (one implementation, ours).
normalise.register_email_normalizer(normalize_email)


# --- building people ----------------------------------------------------------------------------------


def _addresses(addresses) -> tuple[tuple[str, ...], str]:
    hashes = tuple(h for h in (normalise.address_hash(a) for a in addresses or []) if h)
    first = normalise.address_text((addresses or [None])[0])
    return hashes, first


def _attribution_link(snapshot: OrderSnapshot) -> OrderAttributionLink | None:
    return order_link_for(store=snapshot.store, order_id=snapshot.bc_order_id, cart_id=snapshot.cart_id,
                          customer_id=snapshot.customer_id)


_UNKNOWN = object()


def person_for_order(*, snapshot: OrderSnapshot, billing: dict | None = None, transactions=None,
                     link: OrderAttributionLink | object | None = _UNKNOWN) -> Person:
    """The shopper behind an order, with the device and user agent the storefront reported for it.

    `link`: the order's attribution link when the caller already looked it up (None: it has none).
    """
    store = snapshot.store
    if link is _UNKNOWN:
        link = _attribution_link(snapshot)
    shipping, shipping_text = _addresses(snapshot.shipping_addresses)
    billing_hash = normalise.address_hash(billing) if billing else ""
    key = (snapshot.identity.friendbuy_customer_id if snapshot.identity_id else "") or friendbuy_customer_id(
        store_hash=store.store_hash, bc_customer_id=snapshot.customer_id or None, email=snapshot.email)
    return Person(
        customer_key=key if (snapshot.customer_id or snapshot.email) else "",
        bc_customer_id=str(snapshot.customer_id or ""), email=snapshot.email,
        email_normalized=snapshot.normalized_email or normalize_email(snapshot.email),
        ip=snapshot.ip_address or (link.ip_address or "" if link else ""),
        user_agent=snapshot.user_agent or (link.user_agent if link else ""),
        device_id=link.device_id if link else "", billing_address_hash=billing_hash,
        shipping_address_hashes=shipping, payment_fingerprint=normalise.payment_fingerprint(transactions),
        address_display=(normalise.address_text(billing) if billing else "") or shipping_text,
    )


def advocate_person(*, store: Store, customer_id: str = "", email: str = "",
                    exclude_order_id: int | None = None) -> Person | None:
    """The advocate as we know them: their identity, latest order and latest referral visit."""
    normalized = normalize_email(email)
    bc_id = int(customer_id) if customer_id.isdigit() else None
    if not (customer_id or normalized):
        return None
    identity = CustomerIdentity.objects.filter(store=store).filter(
        Q(friendbuy_customer_id=customer_id) if customer_id else Q(normalized_email=normalized)).first()
    if identity is None and customer_id and normalized:
        identity = CustomerIdentity.objects.filter(store=store, normalized_email=normalized).first()
    if identity is not None:
        bc_id = bc_id or identity.bc_customer_id
        normalized = normalized or identity.normalized_email
        email = email or identity.email
    orders = OrderSnapshot.objects.filter(store=store).filter(
        (Q(customer_id=bc_id) if bc_id else Q(pk__in=[])) | (Q(normalized_email=normalized) if normalized else Q(pk__in=[]))
    ).exclude(bc_order_id=exclude_order_id or 0).select_related("store", "identity").order_by("-bc_order_id")
    # The order being assessed is never the advocate's evidence (an alias shares the normalised email).
    latest = orders.first()
    if latest is not None:
        person = person_for_order(snapshot=latest)
        return Person(**{**person.__dict__, "customer_key": identity.friendbuy_customer_id if identity
                         else (customer_id or person.customer_key), "email": email or person.email,
                         "email_normalized": normalized or person.email_normalized,
                         "bc_customer_id": str(bc_id or "")})
    capture = AttributionCapture.objects.filter(store=store).filter(
        (Q(bc_customer_id=bc_id) if bc_id else Q(pk__in=[])) | (Q(email__iexact=email) if email else Q(pk__in=[]))
    ).order_by("-created_at").first()
    key = identity.friendbuy_customer_id if identity else (
        customer_id or friendbuy_customer_id(store_hash=store.store_hash, bc_customer_id=bc_id, email=email))
    return Person(
        customer_key=key, bc_customer_id=str(bc_id or ""), email=email, email_normalized=normalized,
        ip=(capture.ip_address or "") if capture else "", user_agent=capture.user_agent if capture else "",
        device_id=capture.device_id if capture else "",
    )


# --- conversions --------------------------------------------------------------------------------------


def _referral_of(snapshot: OrderSnapshot, *, link: OrderAttributionLink | None) -> dict | None:
    """Who referred this order and how we know: a friend code on the order, or a signed referral visit."""
    codes = [normalise.code_key(c.get("code") if isinstance(c, dict) else c) for c in snapshot.coupon_codes or []]
    store = snapshot.store
    capture_query = Q(cart_id=snapshot.cart_id) if snapshot.cart_id else Q(pk__in=[])
    if snapshot.customer_id:
        capture_query |= Q(bc_customer_id=snapshot.customer_id)
    if snapshot.email:
        capture_query |= Q(email__iexact=snapshot.email)
    if link is not None:
        capture_query |= Q(device_id=link.device_id)
    # Self-referral captures count here (attribution ignores them; fraud wants to see them).
    capture = AttributionCapture.objects.filter(capture_query, store=store, signature_valid=True).exclude(
        referral_code="", attribution_id="").order_by("-created_at").first()
    friend_code = FriendCode.objects.filter(store=store, code__in=[c for c in codes if c]).first()
    if friend_code is None and capture is None:
        return None
    return {
        "advocate_customer_id": (friend_code.advocate_customer_id if friend_code else "")
        or (capture.advocate_customer_id if capture else ""),
        "advocate_email": friend_code.advocate_email if friend_code else "",
        "referral_code": (capture.referral_code if capture else "") or (friend_code.referral_code if friend_code else ""),
        "referred_by_link": capture is not None, "codes": tuple(c for c in codes if c),
    }


def _order_documents(snapshot: OrderSnapshot) -> tuple[dict | None, list | None]:
    """Billing address and transactions (payment fingerprint) are not in the snapshot: the order sync that
    recorded the paid event has just fetched both, else ask BigCommerce."""
    from storefront.clients import bigcommerce_for

    fetched = documents_just_fetched(store_id=snapshot.store_id, order_id=snapshot.bc_order_id)
    if fetched is not None and fetched.transactions is not None:
        return fetched.order.get("billing_address") or None, fetched.transactions
    try:
        client = bigcommerce_for(snapshot.store)
        billing = client.get_order(snapshot.bc_order_id).get("billing_address") or None
        transactions = client.get_order_transactions(snapshot.bc_order_id)
    except BigCommerceError as exc:
        logger.info("Fraud: order %s documents unavailable (%s); assessing without them.", snapshot.bc_order_id, exc)
        return None, None
    return billing, transactions


def conversion_assess(*, snapshot: OrderSnapshot) -> Assessment | None:
    """Record a paid order's signals; assess it when a referral led to it; mirror the decision."""
    # One lookup of the order's attribution link serves both the referral and the person.
    link = _attribution_link(snapshot)
    referral = _referral_of(snapshot, link=link)
    store = snapshot.store
    billing, transactions = _order_documents(snapshot) if referral is not None else (None, None)
    who = person_for_order(snapshot=snapshot, billing=billing, transactions=transactions, link=link)
    signals_record(store_id=store.pk, subject_kind="order", subject_id=str(snapshot.bc_order_id), person=who,
                   codes=tuple(normalise.code_key(str(c)) for c in snapshot.coupon_codes or []),
                   at=snapshot.first_paid_at)
    if referral is None:
        return None
    advocate = advocate_person(store=store, customer_id=referral["advocate_customer_id"],
                               email=referral["advocate_email"], exclude_order_id=snapshot.bc_order_id)
    prior = OrderSnapshot.objects.filter(store=store, first_paid_at__isnull=False).exclude(pk=snapshot.pk).filter(
        (Q(customer_id=snapshot.customer_id) if snapshot.customer_id else Q(pk__in=[]))
        | (Q(normalized_email=snapshot.normalized_email) if snapshot.normalized_email else Q(pk__in=[]))
    )
    if snapshot.first_paid_at:
        prior = prior.filter(first_paid_at__lt=snapshot.first_paid_at)
    assessment = assessment_run(store_id=store.pk, subject=Subject(
        subject_type=Assessment.SubjectType.CONVERSION, reference=str(snapshot.bc_order_id), who=who,
        advocate=advocate, referral_code=referral["referral_code"], coupon_codes=referral["codes"],
        bc_order_id=snapshot.bc_order_id, amount=snapshot.total_inc_tax, prior_paid_orders=prior.count(),
        referred_by_link=referral["referred_by_link"], at=snapshot.first_paid_at,
    ))
    order_decision_apply(store=store, bc_order_id=snapshot.bc_order_id)
    return assessment


# --- rewards ------------------------------------------------------------------------------------------


def reward_screen(*, store: Store, recipient: str, item: dict, amount: Decimal, order_id: int | None) -> str:
    """Assess a reward from its webhook item before it may be approved and minted: 'approve', 'hold' or 'reject'.

    Also re-mirrors the reward's order, so a held reward makes the validation callback answer 503.
    """
    customer_id, email = str(item.get("customerId") or ""), str(item.get("emailAddress") or "")
    who = Person(customer_key=customer_id, bc_customer_id=customer_id if customer_id.isdigit() else "",
                 email=email, email_normalized=normalize_email(email))
    advocate = None
    advocate_id, advocate_email = str(item.get("advocateCustomerId") or ""), str(item.get("advocateEmailAddress") or "")
    if recipient == Reward.Recipient.FRIEND and (advocate_id or advocate_email):
        advocate = advocate_person(store=store, customer_id=advocate_id, email=advocate_email)
    code = str(item.get("couponCode") or "")
    assessment = assessment_run(store_id=store.pk, subject=Subject(
        subject_type=Assessment.SubjectType.REWARD, reference=str(item["rewardId"])[:120], who=who,
        advocate=advocate, bc_order_id=order_id, amount=Decimal(amount or 0), coupon_codes=(code,) if code else (),
    ))
    if order_id:
        _hold_mirror(store=store, bc_order_id=order_id)
    return assessment.decision


# --- redemptions and referral visits ------------------------------------------------------------------


def redemption_assess(*, redemption: Redemption, code_state: str) -> Assessment:
    coupon = redemption.coupon
    store = redemption.store
    snapshot = OrderSnapshot.objects.filter(store=store, bc_order_id=redemption.bc_order_id).select_related(
        "store", "identity").first()
    who = person_for_order(snapshot=snapshot) if snapshot else Person(
        customer_key=redemption.customer_id, bc_customer_id=redemption.customer_id, email=redemption.email,
        email_normalized=normalize_email(redemption.email))
    owner = None
    if coupon.issued_to_customer_id or coupon.issued_to_email:
        owner = Person(customer_key=coupon.issued_to_customer_id, bc_customer_id=coupon.issued_to_customer_id,
                       email=coupon.issued_to_email, email_normalized=normalize_email(coupon.issued_to_email))
        if who.customer_key and owner.customer_key and who.bc_customer_id == owner.customer_key:
            owner = Person(**{**owner.__dict__, "customer_key": who.customer_key})
    return assessment_run(store_id=store.pk, subject=Subject(
        subject_type=Assessment.SubjectType.REDEMPTION, reference=f"{coupon.code}:{redemption.bc_order_id}",
        who=who, coupon_codes=(coupon.code,), bc_order_id=None, amount=coupon.amount, code_owner=owner,
        code_state=code_state,
    ))


@receiver(post_save, sender=Redemption, dispatch_uid="fraud_redemption")
def _on_redemption(sender, instance: Redemption, created: bool, **kwargs) -> None:
    if not created:
        return
    # The coupon row still has its state from before this redemption (coupons updates it just after).
    state = instance.coupon.state
    transaction.on_commit(lambda: _safely(redemption_assess, redemption=instance, code_state=state))


@receiver(post_save, sender=AttributionCapture, dispatch_uid="fraud_capture_signals")
def _on_capture(sender, instance: AttributionCapture, created: bool, **kwargs) -> None:
    if not created:
        return
    person = Person(
        customer_key=str(instance.bc_customer_id or ""), bc_customer_id=str(instance.bc_customer_id or ""),
        email=instance.email, email_normalized=normalize_email(instance.email), ip=instance.ip_address or "",
        user_agent=instance.user_agent, device_id=instance.device_id,
    )
    codes = tuple(c for c in (instance.referral_code, instance.friend_coupon) if c)
    transaction.on_commit(lambda: _safely(
        signals_record, store_id=instance.store_id, subject_kind="referral", subject_id=str(instance.pk),
        person=person, codes=codes, advocate_key=instance.advocate_customer_id))


def _safely(function, **kwargs):
    """Fraud bookkeeping must never break an order, a redemption or a capture; failures are logged."""
    try:
        return function(**kwargs)
    except Exception:
        logger.exception("Fraud hook %s failed", getattr(function, "__name__", function))
        return None


# --- applying decisions -------------------------------------------------------------------------------


def _hold_mirror(*, store: Store, bc_order_id: int) -> ReviewHold | None:
    """Make the order's ReviewHold say what its assessments say (created only when something held it)."""
    assessments = order_assessments(store_id=store.pk, bc_order_id=bc_order_id)
    decisions = {a.decision for a in assessments}
    state = (ReviewHold.State.REJECTED if Decision.REJECT in decisions
             else ReviewHold.State.PENDING if Decision.HOLD in decisions else ReviewHold.State.APPROVED)
    reasons = "; ".join(hit["evidence"] for a in assessments if a.decision != Decision.APPROVE for hit in a.hits)
    hold = ReviewHold.objects.filter(store=store, bc_order_id=bc_order_id).first()
    if hold is None:
        if state == ReviewHold.State.APPROVED:
            return None
        hold, _ = ReviewHold.objects.get_or_create(store=store, bc_order_id=bc_order_id,
                                                   defaults={"state": state, "reason": reasons[:2000]})
    if hold.state != state or (reasons and hold.reason != reasons[:2000]):
        hold.state, hold.reason = state, reasons[:2000] or hold.reason
        hold.decided_at = None if state == ReviewHold.State.PENDING else timezone.now()
        hold.save(update_fields=["state", "reason", "decided_at"])
    return hold


def _reward_release(reward: Reward, *, why: str) -> None:
    from .rewards import _advance

    if _advance(reward, Reward.State.APPROVED, why) is not None:
        task_enqueue_on_commit("referrals.reward_issue", reward.pk)


def _reward_refuse(reward: Reward, *, why: str) -> None:
    from .rewards import reward_reverse

    reward_reverse(reward=reward, reason=why)


def _reward_apply(reward: Reward, *, hold: ReviewHold | None, why: str) -> None:
    own = Assessment.objects.filter(store_id=reward.store_id, subject_type=Assessment.SubjectType.REWARD,
                                    reference=reward.friendbuy_reward_id).first()
    rejected = (own is not None and own.decision == Decision.REJECT) or (
        hold is not None and hold.state == ReviewHold.State.REJECTED)
    held = (own is not None and own.decision == Decision.HOLD) or (
        hold is not None and hold.state == ReviewHold.State.PENDING)
    if rejected:
        _reward_refuse(reward, why=why)
    elif not held and reward.state == Reward.State.PENDING:
        _reward_release(reward, why=why)


def order_decision_apply(*, store: Store, bc_order_id: int, why: str = "") -> ReviewHold | None:
    """Mirror the order's assessments and release or refuse the rewards it earned."""
    hold = _hold_mirror(store=store, bc_order_id=bc_order_id)
    if hold is None or hold.state == ReviewHold.State.PENDING:
        return hold
    for reward in Reward.objects.filter(store=store, bc_order_id=bc_order_id):
        _reward_apply(reward, hold=hold, why=why or f"Fraud review: order {bc_order_id} {hold.state}")
    return hold


@receiver(assessment_decided, dispatch_uid="referrals_fraud_decided")
def _on_assessment_decided(sender, assessment: Assessment, **kwargs) -> None:
    why = f"Fraud review ({assessment.decided_by}): {assessment.decision} — {assessment.note}"[:1000]
    store = Store.objects.get(pk=assessment.store_id)
    if assessment.bc_order_id:
        order_decision_apply(store=store, bc_order_id=assessment.bc_order_id, why=why)
    if assessment.subject_type == Assessment.SubjectType.REWARD:
        reward = Reward.objects.filter(store=store, friendbuy_reward_id=assessment.reference).first()
        if reward is not None:
            hold = ReviewHold.objects.filter(store=store, bc_order_id=reward.bc_order_id).first() \
                if reward.bc_order_id else None
            _reward_apply(reward, hold=hold, why=why)


@receiver(order_event_recorded, dispatch_uid="fraud_order_event")
def _on_order_event(sender, event: OrderEvent, **kwargs) -> None:
    """Assess synchronously: the hold must exist before Friendbuy's validation callback asks about the order."""
    if event.kind != OrderEvent.Kind.PAID:
        return
    snapshot = OrderSnapshot.objects.select_related("store", "identity").filter(pk=event.order_id).first()
    if snapshot is not None:
        _safely(conversion_assess, snapshot=snapshot)


# --- demo ---------------------------------------------------------------------------------------------


def play_demo_fraud(*, store: Store) -> dict:
    """The demo's fraud story, played through the sandbox (demo and tests only; the sandbox is imported lazily).

    1. Self-referral through a Gmail alias: advocate jane.doe@gmail.com shares her friend code; an order
       from Jane.Doe+ref@googlemail.com uses it → the same mailbox → rejected, with the reason.
    2. A leaked code: one friend's code used by 4 unrelated customers, none of whom a referral led to →
       the 4th is held for review ("already used by 3 other customers").
    """
    from django.conf import settings

    if not settings.SANDBOX_ENABLED:
        raise RuntimeError("The fraud demo needs the sandbox (SANDBOX_ENABLED).")
    from sandbox.bigcommerce import world as bc
    from sandbox.friendbuy import world as fb
    from storefront.selectors import store_public_urls

    from .lifecycle import order_sync
    from .models import FriendbuyConnection

    connection = FriendbuyConnection.objects.get(store=store)
    webhook_url = store_public_urls(store=store)["friendbuy_webhook_url"]
    mug = [{"name": "Demo Mug", "price": "40.00", "quantity": 1}]
    jane_address = {"first_name": "Jane", "last_name": "Doe", "street_1": "123 North Main Street", "street_2": "Apt 4",
                    "city": "Springfield", "state": "Illinois", "zip": "62701", "country": "United States",
                    "country_iso2": "US", "email": "jane.doe@gmail.com"}

    jane = bc.create_customer(store.store_hash, email="jane.doe@gmail.com", first_name="Jane", last_name="Doe")
    own = bc.create_order(store.store_hash, email=jane["email"], customer_id=jane["id"], products=mug,
                          ip_address="198.51.100.7", billing_address=jane_address, shipping_address=jane_address)
    order_sync(store=store, order_id=own["id"])
    fb.send_webhook(url=webhook_url, secret=connection.webhook_secret, type="emailCapture", data=[
        fb.email_capture_payload(email="Jane.Doe+ref@googlemail.com", advocate_email=jane["email"],
                                 advocate_customer_id=str(jane["id"]), referral_code="janedoe",
                                 coupon_code="JANEFRIEND10")])
    alias_address = {**jane_address, "street_1": "123 N. Main St", "street_2": "#4", "email": "Jane.Doe+ref@googlemail.com"}
    alias = bc.create_order(store.store_hash, email="Jane.Doe+ref@googlemail.com", products=mug,
                            coupons=[{"code": "JANEFRIEND10", "amount": "10.00"}], ip_address="198.51.100.99",
                            billing_address=alias_address, shipping_address=alias_address)
    order_sync(store=store, order_id=alias["id"])

    fb.send_webhook(url=webhook_url, secret=connection.webhook_secret, type="emailCapture", data=[
        fb.email_capture_payload(email="sam.sharer@example.com", advocate_email="lee.leaker@example.com",
                                 referral_code="leeref", coupon_code="LEAKEDFRIEND20")])
    leaked_orders = []
    for number, name in enumerate(("ann", "bob", "cyd", "dee"), start=1):
        address = {"first_name": name.title(), "last_name": "Shopper", "street_1": f"{number}0{number} Elm Road",
                   "city": f"Town {number}", "state": "Ohio", "zip": f"4300{number}", "country": "United States",
                   "country_iso2": "US", "email": f"{name}.shopper@example.net"}
        order = bc.create_order(store.store_hash, email=address["email"], products=mug,
                                coupons=[{"code": "LEAKEDFRIEND20", "amount": "20.00"}],
                                ip_address=f"192.0.2.{10 + number}", billing_address=address,
                                shipping_address=address)
        order_sync(store=store, order_id=order["id"])
        leaked_orders.append(order["id"])

    def summary(order_id: int) -> dict:
        assessment = Assessment.objects.filter(store=store, subject_type=Assessment.SubjectType.CONVERSION,
                                               reference=str(order_id)).first()
        return {"order_id": order_id, "decision": assessment.decision if assessment else "",
                "reasons": [hit["evidence"] for hit in assessment.hits] if assessment else []}

    return {"self_referral": summary(alias["id"]), "leaked_code": summary(leaked_orders[-1]),
            "leaked_code_orders": leaked_orders}
