"""Reads for operators: how many dead letters each retrying queue holds (retries used up, replayable).

Shown on the admin index (templates/admin/index.html) and above each queue's changelist, so nothing
that stopped being retried sits there unseen.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from storefront.models import WebhookDelivery

from .models import FriendbuyDelivery, OutboxEvent


@dataclass(frozen=True)
class DeadLetters:
    label: str
    count: int
    url: str
    view_permission: str


def dead_letter_counts() -> list[DeadLetters]:
    """Every queue with dead letters now, with the changelist filtered to them (one COUNT per queue)."""
    queues = (
        ("BigCommerce webhook deliveries", WebhookDelivery, WebhookDelivery.Status.DEAD, "status"),
        ("Friendbuy webhook deliveries", FriendbuyDelivery, FriendbuyDelivery.Status.DEAD, "status"),
        ("Friendbuy outbox events", OutboxEvent, OutboxEvent.State.DEAD, "state"),
    )
    found = []
    for label, model, dead, field in queues:
        count = model.objects.filter(**{field: dead}).count()
        if count:
            opts = model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist") + f"?{field}__exact={dead}"
            found.append(DeadLetters(label, count, url, f"{opts.app_label}.view_{opts.model_name}"))
    return found
