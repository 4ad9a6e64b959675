"""Processing a stored Friendbuy webhook: rewards, email captures, opt-outs; retries and replays."""
from __future__ import annotations

import json
import logging
import traceback
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from coupons.codes import canonical
from coupons.services import pool_code_hand_out
from referrals.earning.tiers import tier_update_record
from referrals.inbox.currencies import ISO_4217
from referrals.models import (
    EmailOptOut,
    FriendbuyDelivery,
    FriendbuyWebhookItem,
    FriendCode,
    Reward,
)
from referrals.rewards.issue import reward_record
from storefront.backoff import DELIVERY_MAX_ATTEMPTS, DELIVERY_RETRY_SCHEDULE
from storefront.models import Store
from storefront.queueing import task_enqueue_on_commit

logger = logging.getLogger(__name__)

MAX_REWARD_AMOUNT = Decimal("10000")


REWARD_TYPES = {"advocateReward": Reward.Recipient.ADVOCATE, "friendIncentive": Reward.Recipient.FRIEND,
                "loyaltyReward": Reward.Recipient.LOYALTY}


# Loyalty-product webhooks we keep as evidence without acting on them (reference §3.3).
RECORDED_TYPES = {"ledgerTransaction", "receipt"}


D = FriendbuyDelivery


MAX_ATTEMPTS, RETRY_SCHEDULE = DELIVERY_MAX_ATTEMPTS, DELIVERY_RETRY_SCHEDULE


# A claimed retry is not claimed again for this long; a verified delivery still "received" this long
# after it arrived was never queued (or its worker died).
RETRY_LEASE = timedelta(minutes=10)


SWEEP_AFTER = timedelta(minutes=5)


RETRY_BATCH = 200


class InvalidItem(ValueError):
    """A data[] item we record but cannot act on."""


def parse_reward_amount(value) -> Decimal:
    """rewardAmount / amount as Friendbuy sends it: "20.00" or 20 (docs disagree, §3.3)."""
    if value is None or isinstance(value, (bool, dict, list)):
        raise InvalidItem(f"Missing or non-numeric amount: {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise InvalidItem(f"Non-numeric amount: {value!r}") from exc
    if not amount.is_finite():
        raise InvalidItem(f"Non-numeric amount: {value!r}")
    if amount > MAX_REWARD_AMOUNT:
        raise InvalidItem(f"Amount is implausibly large: {value!r}")
    # Quantised first, so 0.001 is refused as the 0.00 it would be stored as.
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount <= 0:
        raise InvalidItem(f"Amount must be at least 0.01: {value!r}")
    return amount


def parse_reward_unit(value) -> str:
    """rewardUnit: "%", an ISO 4217 currency code (upper-cased), or empty; anything else is refused."""
    unit = str(value if value is not None else "").strip()
    if unit in ("", "%"):
        return unit
    if unit.upper() in ISO_4217:
        return unit.upper()
    raise InvalidItem(f"rewardUnit must be '%' or an ISO 4217 currency code: {unit[:20]!r}")


def _process_reward(store: Store, delivery: FriendbuyDelivery, recipient: str, item: dict) -> tuple[str, str, str]:

    reward_id = str(item.get("rewardId") or "").strip()
    if not reward_id:
        raise InvalidItem("rewardId is missing")
    raw_amount = item.get("rewardAmount", item.get("amount"))
    amount = parse_reward_amount(raw_amount)
    unit = parse_reward_unit(item.get("rewardUnit"))
    if unit == "%" and amount > 100:
        raise InvalidItem(f"Percentage above 100: {raw_amount!r}")
    reward, created = reward_record(store=store, recipient=recipient, item=item, amount=amount, delivery=delivery)
    if recipient == Reward.Recipient.FRIEND and item.get("couponCode"):
        friend_code_record(store=store, code=str(item["couponCode"]), source="friendIncentive",
                           friend_email=str(item.get("emailAddress") or ""),
                           friend_customer_id=str(item.get("customerId") or ""),
                           advocate_email=str(item.get("advocateEmailAddress") or ""),
                           advocate_customer_id=str(item.get("advocateCustomerId") or ""),
                           campaign_id=str(item.get("campaignId") or ""))
    # Also for duplicates: a replay after a crash resumes issuing (reward_issue is idempotent).
    task_enqueue_on_commit("referrals.reward_issue", reward.pk)
    status = FriendbuyWebhookItem.Status.PROCESSED if created else FriendbuyWebhookItem.Status.DUPLICATE
    return status, reward_id, ""


def friend_code_record(*, store: Store, code: str, source: str, friend_email: str = "",
                       friend_customer_id: str = "", advocate_email: str = "", advocate_customer_id: str = "",
                       referral_code: str = "", campaign_id: str = "", attribution_id: str = "") -> FriendCode | None:
    """Remember a friend's code (first sighting wins) so orders using it are attributed; hand out pool codes."""
    code = canonical(code)
    if not code:
        return None
    friend_code, _ = FriendCode.objects.get_or_create(store=store, code=code[:64], defaults={
        "friend_email": friend_email[:254], "friend_customer_id": friend_customer_id[:64],
        "advocate_email": advocate_email[:254], "advocate_customer_id": advocate_customer_id[:64],
        "referral_code": referral_code[:64], "campaign_id": campaign_id[:64], "attribution_id": attribution_id[:64],
        "source": source,
    })
    pool_code_hand_out(store=store, code=code, customer_id=friend_customer_id, email=friend_email)
    return friend_code


def _process_email_capture(store: Store, item: dict) -> tuple[str, str, str]:
    event_id = str(item.get("eventId") or "")
    incentive = item.get("incentive") if isinstance(item.get("incentive"), dict) else {}
    campaign = item.get("campaign") if isinstance(item.get("campaign"), dict) else {}
    referral = item.get("referral") if isinstance(item.get("referral"), dict) else {}
    advocate = item.get("advocate") if isinstance(item.get("advocate"), dict) else {}
    code = str(incentive.get("couponCode") or "")
    if code:
        friend_code_record(store=store, code=code, source="emailCapture", friend_email=str(item.get("emailAddress") or ""),
                           advocate_email=str(advocate.get("email") or ""),
                           advocate_customer_id=str(advocate.get("customerId") or ""),
                           referral_code=str(referral.get("code") or ""), campaign_id=str(campaign.get("id") or ""),
                           attribution_id=str(item.get("attributionId") or ""))
    return FriendbuyWebhookItem.Status.PROCESSED, event_id, "" if code else "No incentive code"


def _process_opt_out(store: Store, item: dict) -> tuple[str, str, str]:
    email = str(item.get("emailAddress") or "").strip().lower()
    if not email:
        raise InvalidItem("emailAddress is missing")
    EmailOptOut.objects.get_or_create(store=store, email=email[:254], campaign_id=str(item.get("campaignId") or "")[:64])
    return FriendbuyWebhookItem.Status.PROCESSED, email, ""


def _process_item(store: Store, delivery: FriendbuyDelivery, kind: str, item: dict) -> tuple[str, str, str]:
    """(status, natural key, note) for one data[] item."""
    if not isinstance(item, dict):
        raise InvalidItem("Item is not an object")
    if kind in REWARD_TYPES:
        return _process_reward(store, delivery, REWARD_TYPES[kind], item)
    if kind == "emailCapture":
        return _process_email_capture(store, item)
    if kind == "emailOptOut":
        return _process_opt_out(store, item)
    if kind == "customerUpdate":  # loyalty tier → customer group (referrals.earning.tiers)
        key, note = tier_update_record(store=store, item=item)
        return FriendbuyWebhookItem.Status.PROCESSED, key, note
    key = str(item.get("rewardId") or item.get("eventId") or item.get("transactionId") or item.get("customerId") or "")
    note = "Loyalty webhook recorded" if kind in RECORDED_TYPES else f"Unknown type {kind!r} recorded"
    return FriendbuyWebhookItem.Status.RECORDED, key, note


def delivery_process(*, delivery_id: int) -> FriendbuyDelivery:
    """Process (or re-process: replays are safe) every item of a verified webhook delivery.

    The attempt is counted before the work, so a run killed mid-way still counts towards MAX_ATTEMPTS.
    """
    delivery = FriendbuyDelivery.objects.select_related("store").get(pk=delivery_id)
    if not delivery.valid or delivery.store is None or delivery.kind != D.Kind.WEBHOOK:
        return delivery
    FriendbuyDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
    delivery.refresh_from_db(fields=["attempts"])
    payload = json.loads(delivery.body)
    kind = str(payload.get("type") or "")
    failures = []
    # Items recorded by an earlier attempt (a replay, or a run that died half-way) are updated in place.
    recorded = set(delivery.items.values_list("index", flat=True))
    for index, item in enumerate(payload.get("data") or []):
        natural_key, error = "", ""
        try:
            with transaction.atomic():
                status, natural_key, error = _process_item(delivery.store, delivery, kind, item)
        except InvalidItem as exc:
            status, error = FriendbuyWebhookItem.Status.INVALID, str(exc)
            if isinstance(item, dict):
                natural_key = str(item.get("rewardId") or item.get("eventId") or "")
        except Exception as exc:
            logger.exception("Friendbuy delivery %s item %s failed", delivery.pk, index)
            status, error = FriendbuyWebhookItem.Status.FAILED, f"{type(exc).__name__}: {exc}"
            failures.append(traceback.format_exc())
        fields = {"store": delivery.store, "type": kind[:40], "natural_key": natural_key[:120], "status": status,
                  "error": error, "data": item if isinstance(item, dict) else {"value": item}}
        if index in recorded:
            FriendbuyWebhookItem.objects.filter(delivery=delivery, index=index).update(**fields)
        else:
            FriendbuyWebhookItem.objects.create(delivery=delivery, index=index, **fields)
    now = timezone.now()
    delivery.processed_at = now
    if not failures:
        delivery.status, delivery.next_attempt_at = D.Status.PROCESSED, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = D.Status.DEAD, None
    else:
        delivery.status = D.Status.FAILED
        delivery.next_attempt_at = RETRY_SCHEDULE.next_attempt_at(delivery.attempts, now=now)
    delivery.error = f"{len(failures)} item(s) failed" if failures else ""
    delivery.traceback = "\n".join(failures)[:20000]
    delivery.save(update_fields=["processed_at", "status", "next_attempt_at", "error", "traceback"])
    return delivery


def _due_webhooks(now):
    """Verified webhook deliveries to process now: failed and due, or received but never processed."""
    failed_due = Q(status=D.Status.FAILED, next_attempt_at__lte=now)
    never_processed = Q(status=D.Status.RECEIVED, received_at__lt=now - SWEEP_AFTER) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return FriendbuyDelivery.objects.filter(failed_due | never_processed, valid=True, kind=D.Kind.WEBHOOK)


def deliveries_retry_due(*, limit: int = RETRY_BATCH) -> int:
    """Process the due deliveries (beat), oldest first; returns how many were run.

    Claimed under row locks (skipping rows another run holds) with a lease in `next_attempt_at`. A
    delivery still "received" after MAX_ATTEMPTS starts never finished any of them (its worker died each
    time): it becomes a dead letter instead of being fed to the next worker.
    """
    now = timezone.now()
    stuck = _due_webhooks(now).filter(status=D.Status.RECEIVED, attempts__gte=MAX_ATTEMPTS)
    stuck.update(status=D.Status.DEAD, next_attempt_at=None,
                 error=f"Processing started {MAX_ATTEMPTS} times and never finished (the worker died each time?).")
    with transaction.atomic():
        ids = list(_due_webhooks(now).select_for_update(skip_locked=True)
                   .order_by("received_at", "id").values_list("pk", flat=True)[:limit])
        FriendbuyDelivery.objects.filter(pk__in=ids).update(next_attempt_at=now + RETRY_LEASE)
    for delivery_id in ids:
        delivery_process(delivery_id=delivery_id)
    return len(ids)


def deliveries_replay(*, delivery_ids: list[int]) -> int:
    """Process the given verified webhook deliveries again, dead letters included (one more attempt: a
    replayed dead letter that fails again is dead again). Returns how many were replayed."""
    ids = list(FriendbuyDelivery.objects.filter(pk__in=delivery_ids, valid=True, kind=D.Kind.WEBHOOK)
               .exclude(store=None).values_list("pk", flat=True))
    for delivery_id in ids:
        delivery_process(delivery_id=delivery_id)
    return len(ids)
