"""Fixtures for the Friendbuy side: a fake merchant in the sandbox and a store connected to it."""

import pytest

from referrals.friendbuy.clients import friendbuy_for
from sandbox.friendbuy import world
from tests.factories import FriendbuyConnectionFactory


@pytest.fixture
def friendbuy_merchant(db):
    """A merchant of the fake Friendbuy, with MAPI credentials, a Secret Key and a default campaign."""
    return world.create_merchant()


@pytest.fixture
def friendbuy_connection(friendbuy_merchant):
    """A store whose FriendbuyConnection holds the fake merchant's credentials."""
    return FriendbuyConnectionFactory(
        merchant_id=friendbuy_merchant.merchant_id,
        api_key=friendbuy_merchant.api_key,
        api_secret=friendbuy_merchant.api_secret,
        webhook_secret=friendbuy_merchant.webhook_secret,
    )


@pytest.fixture
def friendbuy_client(friendbuy_connection):
    """The production client for that connection (DB token cache, OutboundCall recorder)."""
    return friendbuy_for(friendbuy_connection)
