"""The account widget API shows each reward kind with how to use it (coupon code, gift certificate code,
store credit applied at checkout), a reversed credit reward as taken back, and the store credit balance
and tier beside the Friendbuy points balance."""
from decimal import Decimal

import pytest

from referrals.models import TierMembership
from referrals.orders.sync import order_sync
from sandbox.bigcommerce import world as bc_world
from tests.fixtures_rewards import FriendbuyPlayer

API = "/api/storefront/v1"

pytestmark = pytest.mark.django_db(transaction=True)


def _rewards(client, world, token):
    response = client.get(f"{API}/me/rewards", **world.headers(token))
    assert response.status_code == 200, response.content
    return {r["kind"]: r for r in response.json()["rewards"]}


def test_each_reward_kind_says_how_to_use_it(client, storefront_world, clear_cache):
    store = storefront_world.store
    ada = bc_world.create_customer(store.store_hash, email="ada@example.com", first_name="Ada")
    token = storefront_world.jwt(customer_id=ada["id"], email="ada@example.com")
    player = FriendbuyPlayer(store)
    player.reward(amount="10.00", customer_id=str(ada["id"]), reward_id="rw-coupon")
    player.reward(amount="7.50", reward_type="credit", customer_id=str(ada["id"]), reward_id="rw-credit")
    player.reward(amount="25.00", reward_type="giftCard", customer_id=str(ada["id"]), reward_id="rw-gift")
    rewards = _rewards(client, storefront_world, token)
    assert set(rewards) == {"coupon", "store_credit", "gift_certificate"}
    coupon, credit, gift = rewards["coupon"], rewards["store_credit"], rewards["gift_certificate"]
    assert coupon["code"] and coupon["how_to_use"] == f"Enter the code {coupon['code']} at checkout."
    assert (credit["code"], credit["amount"], credit["usable"]) == ("", "7.50", True)
    assert "applied automatically at checkout" in credit["how_to_use"]
    assert gift["code"].startswith("GC-") and gift["code"] in gift["how_to_use"] and gift["usable"]
    assert "ada@example.com" in gift["how_to_use"]

    loyalty = client.get(f"{API}/me/loyalty", **storefront_world.headers(token)).json()
    assert loyalty["storeCredit"] == "7.50" and loyalty["balance"] == "0.00" and loyalty["tier"] == ""
    TierMembership.objects.create(store=store, friendbuy_customer_id=str(ada["id"]), tier_id="t-s",
                                  tier_name="Silver")
    assert client.get(f"{API}/me/loyalty", **storefront_world.headers(token)).json()["tier"] == "Silver"


def test_a_refunded_credit_reward_is_shown_as_taken_back(client, storefront_world, clear_cache):
    store = storefront_world.store
    ada = bc_world.create_customer(store.store_hash, email="ada@example.com")
    order = bc_world.create_order(store.store_hash, email="fred@example.com", customer_id=ada["id"], status_id=11,
                                  products=[{"name": "Shirt", "price": "60.00", "quantity": 1}])
    order_sync(store=store, order_id=order["id"])
    FriendbuyPlayer(store).reward(amount="10.00", reward_type="credit", customer_id=str(ada["id"]),
                                  orderId=str(order["id"]))
    token = storefront_world.jwt(customer_id=ada["id"], email="ada@example.com")
    assert _rewards(client, storefront_world, token)["store_credit"]["usable"]
    bc_world.refund_order(store.store_hash, order["id"])
    order_sync(store=store, order_id=order["id"])
    credit = _rewards(client, storefront_world, token)["store_credit"]
    assert (credit["usable"], credit["code_state"], credit["state"]) == (False, "reversed", "revoked")
    assert credit["how_to_use"].startswith("Taken back")
    assert Decimal(client.get(f"{API}/me/loyalty", **storefront_world.headers(token)).json()["storeCredit"]) == 0
