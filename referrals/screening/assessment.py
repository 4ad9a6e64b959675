"""Fraud assessment of conversions, rewards and redemptions (fraud scores; this module supplies the referral)."""
from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver

from coupons.models import Redemption
from fraud import normalise
from fraud.models import Assessment
from fraud.services import assessment_run, signals_record
from fraud.subjects import Person, Subject
from referrals.models import (
    AttributionCapture,
    FriendCode,
    OrderAttributionLink,
    OrderEvent,
    OrderSnapshot,
    Reward,
)
from referrals.orders.documents import documents_just_fetched
from referrals.orders.identity import normalize_email
from referrals.orders.signals import order_event_recorded
from referrals.screening.decisions import hold_mirror_for, order_decision_apply
from referrals.screening.people import advocate_person, attribution_link_of, person_for_order
from storefront.bigcommerce import BigCommerceError
from storefront.clients import bigcommerce_for
from storefront.models import Store


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


def conversion_assess(*, snapshot: OrderSnapshot, known_new: bool = False) -> Assessment | None:
    """Record a paid order's signals; assess it when a referral led to it; mirror the decision.

    `known_new`: the caller is the order's paid event, which the unique (order, key) lets be recorded
    once, so no signals of this order exist yet and signals_record skips its check.
    """
    # One lookup of the order's attribution link serves both the referral and the person.
    link = attribution_link_of(snapshot)
    referral = _referral_of(snapshot, link=link)
    store = snapshot.store
    billing, transactions = _order_documents(snapshot) if referral is not None else (None, None)
    who = person_for_order(snapshot=snapshot, billing=billing, transactions=transactions, link=link)
    signals_record(store_id=store.pk, subject_kind="order", subject_id=str(snapshot.bc_order_id), person=who,
                   codes=tuple(normalise.code_key(str(c)) for c in snapshot.coupon_codes or []),
                   at=snapshot.first_paid_at, known_new=known_new)
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
        hold_mirror_for(store=store, bc_order_id=order_id)
    return assessment.decision


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
    transaction.on_commit(lambda: screen_safely(redemption_assess, redemption=instance, code_state=state))


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
    transaction.on_commit(lambda: screen_safely(
        signals_record, store_id=instance.store_id, subject_kind="referral", subject_id=str(instance.pk),
        person=person, codes=codes, advocate_key=instance.advocate_customer_id))


def screen_safely(function, **kwargs):
    """Fraud bookkeeping must never break an order, a redemption or a capture; failures are logged."""
    try:
        return function(**kwargs)
    except Exception:
        logger.exception("Fraud hook %s failed", getattr(function, "__name__", function))
        return None


logger = logging.getLogger(__name__)


@receiver(order_event_recorded, dispatch_uid="fraud_order_event")
def _on_order_event(sender, event: OrderEvent, **kwargs) -> None:
    """Assess synchronously: the hold must exist before Friendbuy's validation callback asks about the order."""
    if event.kind != OrderEvent.Kind.PAID:
        return
    snapshot = OrderSnapshot.objects.select_related("store", "identity").filter(pk=event.order_id).first()
    if snapshot is not None:
        screen_safely(conversion_assess, snapshot=snapshot, known_new=True)
