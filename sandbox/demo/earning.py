"""The demo's loyalty stories (issue 18): a newsletter sign-up that earns (store/subscriber/created →
newsletter_subscribed sent to Friendbuy once) and a tier change that moves a customer into the customer
group the merchant mapped the tier to (Friendbuy customerUpdate → BigCommerce PUT /v3/customers)."""
from __future__ import annotations

from referrals.models import FriendbuyConnection, TierGroupMapping
from sandbox.bigcommerce import world as bc
from sandbox.friendbuy import world as fb
from storefront.models import Store
from storefront.selectors import store_public_urls


def play_demo_earning(*, store: Store) -> dict:
    _subscriber, _ = bc.subscribe_newsletter(store.store_hash, email="nia.newsletter@example.com", first_name="Nia")
    gold = bc.create_customer_group(store.store_hash, name="Gold members")
    vic = bc.create_customer(store.store_hash, email="vic.gold@example.com", first_name="Vic", last_name="Gold")
    TierGroupMapping.objects.create(store=store, tier_id="tier-gold", tier_name="Gold",
                                    customer_group_id=gold["id"])
    connection = FriendbuyConnection.objects.get(store=store)
    fb.send_webhook(url=store_public_urls(store=store)["friendbuy_webhook_url"], secret=connection.webhook_secret,
                    type="customerUpdate",
                    data=[fb.customer_update_payload(customer_id=str(vic["id"]), email=vic["email"],
                                                     tier_id="tier-gold", tier_name="Gold", precedence=2)])
    return {"newsletter": "nia.newsletter@example.com",
            "tier_group": bc.customer_group_of(store.store_hash, vic["id"]) == gold["id"]}
