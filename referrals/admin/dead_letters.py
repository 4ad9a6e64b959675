"""Reads for operators: how many dead letters each retrying queue holds (retries used up, replayable).

Shown on the admin index (templates/admin/index.html) and above each queue's changelist, so nothing
that stopped being retried sits there unseen.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse

from coupons.models import CouponCode
from coupons.services import MAX_MINT_ATTEMPTS
from referrals.earning.send import LOYALTY_MAX_ATTEMPTS
from referrals.models import FriendbuyDelivery, LoyaltyEvent, OutboxEvent
from storefront.models import WebhookDelivery


@dataclass(frozen=True)
class DeadLetters:
    label: str
    count: int
    url: str
    view_permission: str


def dead_letter_counts() -> list[DeadLetters]:
    """Every queue with dead letters now, with the changelist filtered to them (one COUNT per queue)."""
    queues = (
        ("BigCommerce webhook deliveries", WebhookDelivery, WebhookDelivery.Status.DEAD, "status", Q()),
        ("Friendbuy webhook deliveries", FriendbuyDelivery, FriendbuyDelivery.Status.DEAD, "status", Q()),
        ("Friendbuy outbox events", OutboxEvent, OutboxEvent.State.DEAD, "state", Q()),
        # The loyalty retry stops at LOYALTY_MAX_ATTEMPTS; the list link shows every failed event.
        ("loyalty events whose retries ran out", LoyaltyEvent, LoyaltyEvent.State.FAILED, "state",
         Q(attempts__gte=LOYALTY_MAX_ATTEMPTS)),
        # The minting reconciliation stops at MAX_MINT_ATTEMPTS; the list link shows every code in minting.
        ("coupon codes whose minting gave up", CouponCode, CouponCode.State.MINTING, "state",
         Q(mint_attempts__gte=MAX_MINT_ATTEMPTS)),
    )
    found = []
    for label, model, dead, field, beyond in queues:
        count = model.objects.filter(beyond, **{field: dead}).count()
        if count:
            opts = model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist") + f"?{field}__exact={dead}"
            found.append(DeadLetters(label, count, url, f"{opts.app_label}.view_{opts.model_name}"))
    return found
