"""The demo storefront's shoppers and checkout: sandbox customers, who is logged in (the cookie the fake
/customer/current.jwt reads), the cart id cookie, and placing an order as BigCommerce would.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sandbox.bigcommerce import world as bc_world
from sandbox.bigcommerce.models import FakeCustomer

CUSTOMER_COOKIE = "sandbox_customer_id"  # the cookie sandbox.bigcommerce.views_auth.current_customer reads
CART_COOKIE = "sandbox_cart_id"
COUPON_COOKIE = "sandbox_friend_coupon"
ADVOCATE = {"email": "ada@example.com", "first_name": "Ada", "last_name": "Advocate"}
FRIEND = {"email": "fred@example.com", "first_name": "Fred", "last_name": "Friend"}
PRODUCT = {"name": "Demo Coffee Beans", "price": "40.00", "quantity": 1, "sku": "BEANS-1"}
FRIEND_DISCOUNT = "10.00"


@dataclass(frozen=True)
class Shopper:
    id: int
    email: str
    name: str


def _shopper(customer: FakeCustomer) -> Shopper:
    data = customer.data
    return Shopper(id=customer.pk, email=data["email"], name=f"{data['first_name']} {data['last_name']}".strip())


def shopper_ensure(*, store_hash: str, email: str, first_name: str, last_name: str) -> Shopper:
    """The sandbox customer with this email, created on first use."""
    customer = FakeCustomer.objects.filter(store__store_hash=store_hash, email=email.lower()).order_by("pk").first()
    if customer is None:
        created = bc_world.create_customer(store_hash, email=email, first_name=first_name, last_name=last_name)
        customer = FakeCustomer.objects.get(pk=created["id"])
    return _shopper(customer)


def demo_shoppers(*, store_hash: str) -> dict[str, Shopper]:
    return {
        "ada": shopper_ensure(store_hash=store_hash, **ADVOCATE),
        "fred": shopper_ensure(store_hash=store_hash, **FRIEND),
    }


def shopper_by_cookie(*, store_hash: str | None, raw: str | None) -> Shopper | None:
    """The logged-in shopper named by the customer cookie (of this store, when a store is given)."""
    if not raw or not raw.isdigit():
        return None
    customers = FakeCustomer.objects.filter(pk=int(raw))
    if store_hash is not None:
        customers = customers.filter(store__store_hash=store_hash)
    customer = customers.first()
    return _shopper(customer) if customer else None


def store_hash_of_customer(customer_id: int) -> str | None:
    customer = FakeCustomer.objects.select_related("store").filter(pk=customer_id).first()
    return customer.store.store_hash if customer else None


def new_cart_id() -> str:
    return str(uuid.uuid4())


def _billing_name(shopper: Shopper | None) -> dict:
    first, _, last = (shopper.name if shopper else "Guest Shopper").partition(" ")
    return {"first_name": first, "last_name": last}


def order_place(*, store_hash: str, shopper: Shopper | None, email: str, cart_id: str, coupon: str) -> dict:
    """Create the order in the BigCommerce sandbox and tell the app the way BigCommerce does.

    The order starts Pending and is then paid (Awaiting Fulfillment): store/order/created, then
    store/order/statusUpdated, each delivered to the store's registered hooks.
    """
    coupons = [{"code": coupon, "amount": FRIEND_DISCOUNT}] if coupon else []
    order = bc_world.create_order(
        store_hash,
        email=shopper.email if shopper else email,
        customer_id=shopper.id if shopper else 0,
        status_id=1,
        products=[PRODUCT],
        coupons=coupons,
        cart_id=cart_id,
        ip_address="198.51.100.23",
        billing_address=_billing_name(shopper),
    )
    bc_world.fire_order_event(store_hash, order["id"])
    bc_world.set_order_status(store_hash, order["id"], 11)
    bc_world.fire_order_event(store_hash, order["id"], scope="store/order/statusUpdated", previous_status_id=1)
    return bc_world.get_order(store_hash, order["id"]).data
