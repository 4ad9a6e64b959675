"""Fixtures for rewards and coupons: a store known to both fakes, and helpers that play Friendbuy."""
import pytest

from referrals.models import FriendbuyConnection
from sandbox.bigcommerce import world as bc
from sandbox.friendbuy import world as fb
from storefront.selectors import store_public_urls
from tests.factories import FriendbuyConnectionFactory


@pytest.fixture
def reward_store(transactional_db):
    """An installed store whose token the fake BigCommerce accepts and that is connected to Friendbuy."""
    connection = FriendbuyConnectionFactory(webhook_secret="fb-secret-for-rewards-0001")
    store = connection.store
    bc.create_store(store.store_hash, access_token=store.access_token)
    return store


class FriendbuyPlayer:
    """Sends signed webhooks and callbacks to the app's real URLs for one store."""

    def __init__(self, store):
        self.store = store
        self.urls = store_public_urls(store=store)
        self.secret = FriendbuyConnection.objects.get(store=store).webhook_secret

    def webhook(self, type, data, *, secret=None, url=None):
        return fb.send_webhook(url=url or self.urls["friendbuy_webhook_url"], secret=secret or self.secret,
                               type=type, data=data)

    def reward(self, **kwargs):
        kwargs.setdefault("email", "ada@example.com")
        kwargs.setdefault("customer_id", "101")
        item = fb.reward_payload(**kwargs)
        return item, self.webhook("advocateReward", [item])

    def validate(self, body, *, secret=None):
        return fb.send_reward_validation(url=self.urls["friendbuy_validation_url"], secret=secret or self.secret,
                                         body=body)


@pytest.fixture
def friendbuy(reward_store):
    return FriendbuyPlayer(reward_store)
