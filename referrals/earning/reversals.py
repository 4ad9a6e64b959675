"""Reversals and code use told to Friendbuy: Friendbuy has no refund endpoint (friendbuy.md §2.4, §2.10),
so refunds (full and partial, with the amount), cancellations and chargebacks (disputed orders) go out as
custom events, each once per order and kind, carrying orderId, amount, currency and the customer; a paid
order that used a referral or friend code sends its own event.

Subscribed to the lifecycle's order_event_recorded (after commit). Deduplication ids:
  order_refunded:<order>, order_cancelled:<order>, order_chargeback:<order>, referral_code_used:<order>,
  order_partially_refunded:<order>:<total refunded so far>  (a later partial refund is a new reversal;
  the status change and the refund record of the same refund share the total, so they are one event).
"""
from __future__ import annotations

from django.dispatch import receiver

from coupons.models import CouponCode
from referrals.orders.signals import order_event_recorded

from ..models import FriendCode, OrderEvent, OrderSnapshot
from .events import (
    CODE_USED,
    ORDER_CANCELLED,
    ORDER_CHARGEBACK,
    ORDER_PARTIALLY_REFUNDED,
    ORDER_REFUNDED,
    earning_event_owe,
)

KIND_EVENTS = {
    OrderEvent.Kind.REFUNDED: ORDER_REFUNDED,
    OrderEvent.Kind.PARTIALLY_REFUNDED: ORDER_PARTIALLY_REFUNDED,
    OrderEvent.Kind.CANCELLED: ORDER_CANCELLED,
    OrderEvent.Kind.DISPUTED: ORDER_CHARGEBACK,
}


def _customer_of(order: OrderSnapshot) -> str:
    identity = order.identity
    if identity is not None and identity.friendbuy_customer_id:
        return identity.friendbuy_customer_id
    return str(order.customer_id or "")


def referral_codes_used(*, order: OrderSnapshot) -> list[str]:
    """The order's coupon codes that are Friendbuy friend codes or codes of this app's rewards."""
    codes = [str(code).strip().upper() for code in order.coupon_codes or [] if str(code).strip()]
    if not codes:
        return []
    known = set(FriendCode.objects.filter(store_id=order.store_id, code__in=codes).values_list("code", flat=True))
    known |= set(CouponCode.objects.filter(store_id=order.store_id, code__in=codes).values_list("code", flat=True))
    return [code for code in codes if code in known]


def reversal_event_owe(*, event: OrderEvent) -> None:
    """The custom event an order event owes Friendbuy, if any (once per order and kind)."""
    order = event.order
    base = {"orderId": str(order.bc_order_id), "currency": order.currency_code or order.default_currency_code}
    if event.kind == OrderEvent.Kind.PAID:
        codes = referral_codes_used(order=order)
        if codes:
            earning_event_owe(store=order.store, event_type=CODE_USED, deduplication_id=str(order.bc_order_id),
                              email=order.email, customer_id=_customer_of(order),
                              properties={**base, "amount": order.total_inc_tax, "couponCode": codes[0]})
        return
    event_type = KIND_EVENTS.get(event.kind)
    if event_type is None:
        return
    key = str(order.bc_order_id)
    if event.kind in (OrderEvent.Kind.REFUNDED, OrderEvent.Kind.PARTIALLY_REFUNDED):
        refunded = order.refunded_amount or event.amount or order.total_inc_tax
        amount = refunded if event.kind == OrderEvent.Kind.PARTIALLY_REFUNDED else (
            order.refunded_amount or order.total_inc_tax)
        if event.kind == OrderEvent.Kind.PARTIALLY_REFUNDED:
            key = f"{key}:{refunded:.2f}"
    else:
        amount = order.total_inc_tax
    earning_event_owe(store=order.store, event_type=event_type, deduplication_id=key, email=order.email,
                      customer_id=_customer_of(order), properties={**base, "amount": f"{amount:.2f}"})


@receiver(order_event_recorded, dispatch_uid="earning_reversal_events")
def _on_order_event(sender, event: OrderEvent, **kwargs) -> None:
    reversal_event_owe(event=event)
