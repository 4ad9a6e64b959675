"""Demo data for the order lifecycle, played through the sandbox exactly as BigCommerce would: orders
are created in the fake store and their webhooks delivered to this app's inbox (demo and tests only).
"""

from __future__ import annotations

from django.conf import settings

from referrals.models import OrderSnapshot, OutboxEvent
from sandbox.bigcommerce import world


def play_demo_orders(*, store) -> dict:
    """A regular customer's paid order with the store's own coupon (no referral), a guest order and a
    cancelled order. The referred friends' orders are the referral story's (sandbox.demo.rewards).

    Returns the BigCommerce order ids and what was sent to Friendbuy for them.
    """
    if not settings.SANDBOX_ENABLED:
        raise RuntimeError("play_demo_orders needs the sandbox (SANDBOX_ENABLED).")

    store_hash = store.store_hash
    regular = world.create_customer(
        store_hash,
        email="rita.regular@example.com",
        first_name="Rita",
        last_name="Regular",
        registration_ip_address="198.51.100.23",
    )
    world.deliver_webhook(
        store_hash, scope="store/customer/created", data={"type": "customer", "id": regular["id"]}
    )
    # WELCOME5 is the store's own coupon, not one Friendbuy handed out: the purchase is sent without it.
    regular_order = world.create_order(
        store_hash,
        customer_id=regular["id"],
        email="rita.regular@example.com",
        status_id=11,
        products=[{"name": "Espresso Cup", "price": "24.00", "quantity": 2, "sku": "CUP-ESP"}],
        coupons=[{"code": "WELCOME5", "amount": "5.00"}],
        shipping_cost="4.95",
        billing_address={"first_name": "Rita", "last_name": "Regular"},
    )
    world.fire_order_event(store_hash, regular_order["id"])

    guest_order = world.create_order(
        store_hash,
        email="guest.shopper@example.com",
        status_id=1,
        products=[{"name": "Pour-over Kit", "price": "39.00", "quantity": 1, "sku": "KIT-PO"}],
        billing_address={"first_name": "Gus", "last_name": "Guest"},
    )
    world.fire_order_event(store_hash, guest_order["id"])
    world.set_order_status(store_hash, guest_order["id"], 11)
    world.fire_order_event(
        store_hash, guest_order["id"], scope="store/order/statusUpdated", previous_status_id=1
    )

    cancelled_order = world.create_order(
        store_hash,
        email="changed.mind@example.com",
        status_id=7,
        products=[{"name": "Grinder", "price": "89.00", "quantity": 1, "sku": "GRD-1"}],
    )
    world.fire_order_event(store_hash, cancelled_order["id"])
    world.set_order_status(store_hash, cancelled_order["id"], 5)
    world.fire_order_event(
        store_hash, cancelled_order["id"], scope="store/order/statusUpdated", previous_status_id=7
    )

    ids = {
        "regular_order": regular_order["id"],
        "guest_order": guest_order["id"],
        "cancelled_order": cancelled_order["id"],
    }
    snapshots = OrderSnapshot.objects.filter(store=store, bc_order_id__in=ids.values())
    return {
        **ids,
        "snapshots": snapshots.count(),
        "purchases_sent": OutboxEvent.objects.filter(
            store=store,
            kind=OutboxEvent.Kind.PURCHASE,
            state=OutboxEvent.State.SENT,
            natural_key__in=[f"purchase:{i}" for i in ids.values()],
        ).count(),
        "sign_ups_sent": OutboxEvent.objects.filter(
            store=store, kind=OutboxEvent.Kind.SIGN_UP, state=OutboxEvent.State.SENT
        ).count(),
    }
