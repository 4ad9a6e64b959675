"""Loyalty tiers as BigCommerce customer groups: Friendbuy's customerUpdate webhook (through the app's real
URL, signed) moves a mapped member into the tier's group, down into the lower tier's group, and back out to
the group they had before when the tier has none; each move audited; guests and stale reports change nothing."""
from datetime import UTC, datetime, timedelta

import pytest

from referrals.models import TierGroupChange, TierGroupMapping, TierMembership
from sandbox.bigcommerce import world as bc_world
from sandbox.bigcommerce.models import FakeCustomer
from sandbox.friendbuy import world as fb_world
from tests.fixtures_rewards import FriendbuyPlayer

pytestmark = pytest.mark.django_db(transaction=True)
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def _tier(store, customer_id, tier_id, name="", at=T0):
    item = fb_world.customer_update_payload(customer_id=str(customer_id), email="ada@example.com", tier_id=tier_id,
                                            tier_name=name, updated_on=at)
    assert FriendbuyPlayer(store).webhook("customerUpdate", [item]).status_code == 200


def test_tier_moves_the_customer_in_down_and_back_out_audited(lc_store):
    vip = bc_world.create_customer_group(lc_store.store_hash, name="VIP pricing")
    gold = bc_world.create_customer_group(lc_store.store_hash, name="Gold")
    silver = bc_world.create_customer_group(lc_store.store_hash, name="Silver")
    ada = bc_world.create_customer(lc_store.store_hash, email="ada@example.com", customer_group_id=vip["id"])
    TierGroupMapping.objects.create(store=lc_store, tier_id="t-gold", tier_name="Gold", customer_group_id=gold["id"])
    TierGroupMapping.objects.create(store=lc_store, tier_id="t-silver", customer_group_id=silver["id"])

    _tier(lc_store, ada["id"], "t-gold", "Gold")
    assert bc_world.customer_group_of(lc_store.store_hash, ada["id"]) == gold["id"]
    _tier(lc_store, ada["id"], "t-silver", "Silver", at=T0 + timedelta(days=1))
    assert bc_world.customer_group_of(lc_store.store_hash, ada["id"]) == silver["id"]
    _tier(lc_store, ada["id"], "t-gold", "Gold", at=T0 - timedelta(days=1))  # stale: ignored
    assert bc_world.customer_group_of(lc_store.store_hash, ada["id"]) == silver["id"]
    _tier(lc_store, ada["id"], "t-bronze", "Bronze", at=T0 + timedelta(days=2))  # unmapped tier: back out
    assert bc_world.customer_group_of(lc_store.store_hash, ada["id"]) == vip["id"]
    moves = [(c.from_group_id, c.to_group_id) for c in TierGroupChange.objects.order_by("id")]
    assert moves == [(vip["id"], gold["id"]), (gold["id"], silver["id"]), (silver["id"], vip["id"])]


def test_a_customer_moved_by_hand_is_left_there_and_a_guest_is_skipped(lc_store):
    gold = bc_world.create_customer_group(lc_store.store_hash, name="Gold")
    wholesale = bc_world.create_customer_group(lc_store.store_hash, name="Wholesale")
    ada = bc_world.create_customer(lc_store.store_hash, email="ada@example.com")
    TierGroupMapping.objects.create(store=lc_store, tier_id="t-gold", customer_group_id=gold["id"])
    _tier(lc_store, ada["id"], "t-gold")
    customer = FakeCustomer.objects.get(pk=ada["id"])
    customer.data["customer_group_id"] = wholesale["id"]
    customer.save()
    _tier(lc_store, ada["id"], None, at=T0 + timedelta(days=1))
    assert bc_world.customer_group_of(lc_store.store_hash, ada["id"]) == wholesale["id"]
    _tier(lc_store, "guest-abc", "t-gold")
    assert "Guest" in TierMembership.objects.get(store=lc_store, friendbuy_customer_id="guest-abc").reason


def test_the_owner_maps_a_tier_to_a_group_listed_from_bigcommerce(client, installed_store, load_app):
    bc_world.create_store(installed_store.store_hash)
    gold = bc_world.create_customer_group(installed_store.store_hash, name="Gold")
    load_app()
    body = client.get("/app/events/").content.decode()
    assert f'<option value="{gold["id"]}">Gold</option>' in body
    client.post("/app/events/", {"action": "tier", "tier_id": "t-gold", "tier_name": "Gold",
                                 "customer_group_id": str(gold["id"])})
    assert TierGroupMapping.objects.get(store=installed_store, tier_id="t-gold").customer_group_id == gold["id"]
    load_app(user_id=999, user_email="clerk@example.com")
    client.post("/app/events/", {"action": "tier", "tier_id": "t-gold", "customer_group_id": ""})
    assert TierGroupMapping.objects.filter(store=installed_store).count() == 1
