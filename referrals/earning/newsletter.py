"""Newsletter sign-up earns: BigCommerce's store/subscriber/created webhook → the subscriber re-fetched
(the payload carries only its id) → newsletter_subscribed owed to Friendbuy once per email address (a
shopper who unsubscribes and subscribes again does not earn twice)."""
from __future__ import annotations

from referrals.orders.identity import friendbuy_customer_id, normalize_email
from storefront.clients import bigcommerce_for
from storefront.models import WebhookDelivery

from ..models import CustomerIdentity
from .events import NEWSLETTER, earning_event_owe


def subscriber_earning(*, store, subscriber_id: int) -> None:
    subscriber = bigcommerce_for(store).get_subscriber(subscriber_id)
    if not subscriber or "marketing_newsletter" not in (subscriber.get("consents") or ["marketing_newsletter"]):
        return
    email = str(subscriber.get("email") or "").strip()
    normalized = normalize_email(email)
    identity = CustomerIdentity.objects.filter(store=store, normalized_email=normalized,
                                               bc_customer_id__isnull=False).first()
    customer_id = identity.friendbuy_customer_id if identity else friendbuy_customer_id(
        store_hash=store.store_hash, bc_customer_id=None, email=email)
    earning_event_owe(store=store, event_type=NEWSLETTER, deduplication_id=email.lower(), email=email,
                      customer_id=customer_id, properties={"source": subscriber.get("source") or "",
                                                           "subscriberId": subscriber.get("id") or subscriber_id})


def handle_subscriber_delivery(delivery: WebhookDelivery) -> None:
    """Registered for store/subscriber/created in ReferralsConfig.ready."""
    subscriber_earning(store=delivery.store, subscriber_id=int(delivery.resource_id))
