"""The demo's loyalty stories (issue 18): a newsletter sign-up that earns (store/subscriber/created →
newsletter_subscribed sent to Friendbuy once), a tier change that moves a customer into the customer
group the merchant mapped the tier to (Friendbuy customerUpdate → BigCommerce PUT /v3/customers), and a
product review that earns once the merchant approves it (the review scan → product_review), beside one
still pending that earns nothing."""
from __future__ import annotations

from referrals.earning.reviews import review_scan_run
from referrals.models import EarningSettings, FriendbuyConnection, TierGroupMapping
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
            "tier_group": bc.customer_group_of(store.store_hash, vic["id"]) == gold["id"],
            "product_reviews_earned": _review_story(store=store, reviewer_email=vic["email"])}


def _review_story(*, store: Store, reviewer_email: str) -> int:
    """The merchant switches reviews on; Vic reviews a mug and the merchant approves it; another shopper's
    review waits for approval. The scan (beat's, hourly; here in-process) owes product_review for Vic's only."""
    EarningSettings.objects.update_or_create(store=store, defaults={"reviews_enabled": True})
    mug = bc.create_product(store.store_hash, name="Demo mug", price="12.00")
    review = bc.add_review(store.store_hash, mug["id"], email=reviewer_email, name="Vic", rating=5,
                           title="Holds my coffee", text="Sturdy, and the handle stays cool.")
    bc.add_review(store.store_hash, mug["id"], email="pat.pending@example.com", name="Pat", rating=4,
                  title="Nice colour", text="Waiting for the merchant's approval.")
    bc.set_review_status(store.store_hash, review["id"], "approved")
    return review_scan_run(store_id=store.pk).owed
