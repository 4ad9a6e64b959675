"""Customer sync: BigCommerce customer webhooks become identities, sign-up events and erasures."""
from __future__ import annotations

import hashlib
import json

from django.db import transaction

from referrals.attribution.services import attribution_for_order
from referrals.models import (
    CustomerIdentity,
    EarningSettings,
    FriendbuyConnection,
    OutboxEvent,
)
from referrals.orders.identity import identity_upsert
from referrals.orders.purchase import fraud_properties
from referrals.outbox import outbox_enqueue
from storefront.clients import bigcommerce_for
from storefront.models import Store, WebhookDelivery


def _fields_hash(fields: dict) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def _sign_up_enabled(*, store: Store) -> bool:
    """The store's account-creation switch (EarningSettings, set on /app/events/); on when never saved."""
    switch = EarningSettings.objects.filter(store=store).values_list("sign_up_enabled", flat=True).first()
    return switch is None or switch


def customer_sync(
    *, store: Store, customer_id: int, signed_up: bool, delivery: WebhookDelivery | None = None
) -> CustomerIdentity | None:
    """Re-fetch a customer; on sign-up owe Friendbuy an account-sign-up event (unless the store switched
    account creation off on its Loyalty events page); upsert the profile when its fields changed (the
    natural key carries a hash of them, so unchanged fields add nothing)."""
    customer = bigcommerce_for(store).get_customer(customer_id)
    if customer is None:
        return None
    email = str(customer.get("email") or "")
    first, last = str(customer.get("first_name") or ""), str(customer.get("last_name") or "")
    connected = FriendbuyConnection.objects.filter(store=store).exists()
    # The storefront the customer signed up on: one with its own Friendbuy merchant gets their events.
    channel_id = int(customer.get("origin_channel_id") or 0) or None
    with transaction.atomic():
        identity = identity_upsert(
            store=store, bc_customer_id=customer_id, email=email, first_name=first, last_name=last
        )
        if identity is None or not connected:
            return identity
        profile = {
            "customerId": identity.friendbuy_customer_id,
            "email": email,
            "firstName": first,
            "lastName": last,
        }
        profile = {key: value for key, value in profile.items() if value}
        if signed_up and _sign_up_enabled(store=store):
            attribution = attribution_for_order(
                store=store, order_id=0, cart_id=None, customer_id=customer_id, email=email or None
            )
            sign_up = {
                **profile,
                "ipAddress": str(customer.get("registration_ip_address") or "")
                or (attribution.ip_address if attribution else ""),
                "couponCode": attribution.coupon_code if attribution else "",
                "attributionId": attribution.attribution_id if attribution else "",
                "referralCode": attribution.referral_code if attribution else "",
                "userAgent": attribution.user_agent if attribution else "",
                "additionalProperties": {
                    **({"deviceId": attribution.device_id} if attribution and attribution.device_id else {}),
                    **fraud_properties(email),
                },
            }
            outbox_enqueue(
                store=store,
                kind=OutboxEvent.Kind.SIGN_UP,
                natural_key=f"signup:{customer_id}",
                identity=identity,
                channel_id=channel_id,
                payload={k: v for k, v in sign_up.items() if v not in ("", {})},
            )
        outbox_enqueue(
            store=store,
            kind=OutboxEvent.Kind.CUSTOMER,
            natural_key=f"customer:{customer_id}:{_fields_hash(profile)}",
            identity=identity,
            channel_id=channel_id,
            payload=profile,
        )
    return identity
