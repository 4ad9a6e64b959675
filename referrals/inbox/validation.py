"""Friendbuy's Reward Validation Callback (POST /friendbuy/validation/<public_id>, routed to inbox/views.py): the answer.

Friendbuy asks before fulfilling a reward; the HTTP status is the decision (reference §3.4):
200 fulfil, 400 don't, anything else = "ask again later" (every 15 min for up to 72 h).

We re-fetch the order live from BigCommerce (refreshing the snapshot) and answer
* 200 — the order is paid and not cancelled, refunded or declined, and no fraud review rejected it;
* 400 {"reason"} — unknown order, cancelled/refunded/declined, or rejected in review;
* 503 {"reason"} — non-final: a review is pending (ReviewHold), the order is disputed or not paid
  yet, or BigCommerce could not be reached.
Both body shapes are accepted: `purchase{}` (documented) and `event{}` + `recipientType`/`actor`
(seen in production). A custom event that names no order is validated (200) unless a review holds it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from referrals.models import FriendbuyDelivery, OrderSnapshot, ReviewHold, ValidationCallback
from referrals.orders import selectors as order_rules
from referrals.orders.sync import order_sync
from referrals.rewards.issue import parse_order_reference
from storefront.bigcommerce import BigCommerceError
from storefront.models import Store


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str


def _order_reference(payload: dict) -> str:
    for key in ("purchase", "event"):
        part = payload.get(key)
        if isinstance(part, dict):
            for field in ("id", "orderId", "purchaseId"):
                if part.get(field) not in (None, ""):
                    return str(part[field])
    return str(payload.get("orderId") or "")


def order_decision(*, store: Store, bc_order_id: int) -> Answer:
    """Refresh the order from BigCommerce and decide (see module docstring)."""
    try:
        snapshot = order_sync(store=store, order_id=bc_order_id)
    except BigCommerceError as exc:
        if exc.status in (401, 403):
            return Answer(503, "BigCommerce refused our credentials")
        return Answer(503, "BigCommerce could not be reached")
    if snapshot is None:
        return Answer(400, "Unknown order")
    return snapshot_decision(snapshot=snapshot)


def snapshot_decision(*, snapshot: OrderSnapshot) -> Answer:
    hold = ReviewHold.objects.filter(store_id=snapshot.store_id, bc_order_id=snapshot.bc_order_id).first()
    if hold is not None and hold.state == ReviewHold.State.REJECTED:
        return Answer(400, "Rejected by fraud review")
    status = snapshot.status_id
    if status == order_rules.CANCELLED:
        return Answer(400, "Order cancelled")
    if status == order_rules.DECLINED:
        return Answer(400, "Payment declined")
    if status == order_rules.REFUNDED or (snapshot.total_inc_tax > 0
                                          and snapshot.refunded_amount >= snapshot.total_inc_tax):
        return Answer(400, "Order refunded")
    if hold is not None and hold.state == ReviewHold.State.PENDING:
        return Answer(503, "Fraud review pending")
    if status == order_rules.DISPUTED:
        return Answer(503, "Order disputed")
    if status in order_rules.PAID_STATUSES or status == order_rules.PARTIALLY_REFUNDED:
        return Answer(200, "Order paid")
    return Answer(503, "Order not paid yet")


def validation_answer(*, delivery: FriendbuyDelivery, payload: dict) -> ValidationCallback:
    """Decide on one verified callback and record the decision."""
    started = time.monotonic()
    reference = _order_reference(payload)
    bc_order_id = parse_order_reference(reference) if reference else None
    if bc_order_id is not None:
        answer = order_decision(store=delivery.store, bc_order_id=bc_order_id)
    elif reference:
        answer = Answer(400, "Unknown order")
    elif "purchase" in payload:
        answer = Answer(400, "Purchase names no order")
    else:
        answer = Answer(200, "Event names no order to check")
    advocate = payload.get("advocate") if isinstance(payload.get("advocate"), dict) else {}
    callback = ValidationCallback.objects.create(
        store=delivery.store, delivery=delivery, bc_order_id=bc_order_id, order_reference=reference[:64],
        event_type=str(payload.get("eventType") or "")[:40],
        recipient_type=str(payload.get("recipientType") or ("advocate" if "purchase" in payload else ""))[:20],
        campaign_id=str(payload.get("campaignId") or "")[:64],
        advocate_customer_id=str(advocate.get("customerId") or "")[:64],
        advocate_email=str(advocate.get("email") or "")[:254],
        answer_status=answer.status, reason=answer.reason[:255],
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    FriendbuyDelivery.objects.filter(pk=delivery.pk).update(
        status=FriendbuyDelivery.Status.ANSWERED, http_status=answer.status, error="" if answer.status == 200
        else answer.reason, processed_at=callback.at,
    )
    return callback
