"""The handlers referrals registers for BigCommerce webhooks (store/order/*, store/customer/*)."""
from __future__ import annotations

from collections.abc import Sequence

from referrals.orders.customers import customer_sync
from referrals.orders.privacy import customer_deletion_confirm, customer_erase
from referrals.orders.sync import order_sync
from storefront.models import WebhookDelivery


def handle_order_deliveries(deliveries: Sequence[WebhookDelivery]) -> None:
    """One re-fetch for the deliveries of one order (storefront.webhooks.processing groups them): the events it
    records point at the newest, and a refund delivery among them makes it read the refunds."""
    newest = deliveries[-1]
    order_sync(
        store=newest.store,
        order_id=int(newest.resource_id),
        delivery=newest,
        refunds_hint=any("refund" in delivery.scope for delivery in deliveries),
    )


def handle_customer_delivery(delivery: WebhookDelivery) -> None:
    customer_id = int(delivery.resource_id)
    if delivery.scope.endswith("/deleted"):
        # The delivery is authenticated, but what it claims is checked at the source before anything
        # irreversible: a forged or mistaken deletion must not erase a customer who still exists.
        customer_deletion_confirm(store=delivery.store, customer_id=customer_id)
        customer_erase(store=delivery.store, bc_customer_id=customer_id, actor=f"webhook:{delivery.scope}")
    elif delivery.scope.endswith("/created"):
        customer_sync(store=delivery.store, customer_id=customer_id, signed_up=True, delivery=delivery)
    else:
        customer_sync(store=delivery.store, customer_id=customer_id, signed_up=False, delivery=delivery)
