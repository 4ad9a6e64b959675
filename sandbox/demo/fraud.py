"""The demo's fraud story: a self-referral through an email alias and a leaked friend code, played through the
sandbox exactly as BigCommerce and Friendbuy would."""
from __future__ import annotations

from django.conf import settings

from fraud.models import Assessment
from referrals.models import FriendbuyConnection
from referrals.orders.sync import order_sync
from sandbox.bigcommerce import world as bc
from sandbox.friendbuy import world as fb
from storefront.models import Store
from storefront.selectors import store_public_urls


def play_demo_fraud(*, store: Store) -> dict:
    """The demo's fraud story, played through the sandbox .

    1. Self-referral through a Gmail alias: advocate jane.doe@gmail.com shares her friend code; an order
       from Jane.Doe+ref@googlemail.com uses it → the same mailbox → rejected, with the reason.
    2. A leaked code: one friend's code used by 4 unrelated customers, none of whom a referral led to →
       the 4th is held for review ("already used by 3 other customers").
    """
    if not settings.SANDBOX_ENABLED:
        raise RuntimeError("The fraud demo needs the sandbox (SANDBOX_ENABLED).")
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
