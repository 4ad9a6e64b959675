"""`manage.py demo` (the README's first command after migrate) sets everything up, and can run twice."""
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from referrals.models import (
    FriendbuyConnection,
    LoyaltyEvent,
    OrderSnapshot,
    Reward,
    RewardFulfilment,
    TierGroupChange,
)
from sandbox.bigcommerce import world as bc_world
from storefront.models import InstalledScript, Store, WebhookSubscription


@pytest.mark.django_db(transaction=True)
def test_demo_installs_the_store_connects_friendbuy_and_plays_the_journeys_idempotently():
    out = StringIO()
    call_command("demo", stdout=out)
    assert "Demo ready." in out.getvalue()
    store = Store.objects.get(store_hash="demostore")
    assert store.is_installed
    assert store.name == "Demo Coffee Roasters"  # read from the fake BigCommerce's /v2/store, as on a real store
    assert FriendbuyConnection.objects.get(store=store).health == FriendbuyConnection.Health.HEALTHY
    assert get_user_model().objects.filter(username="admin", is_superuser=True).exists()
    assert WebhookSubscription.objects.filter(store=store, is_active=True).count() >= 6
    assert InstalledScript.objects.filter(store=store).count() == 3  # three per channel, one channel
    orders, rewards = OrderSnapshot.objects.count(), Reward.objects.count()
    assert orders >= 3 and rewards >= 2
    # Loyalty: a newsletter sign-up that earned, a tier change that moved Vic into "Gold members".
    assert "'tier_group': True" in out.getvalue()
    assert LoyaltyEvent.objects.get(store=store, event_type="newsletter_subscribed").state == LoyaltyEvent.State.SENT
    assert TierGroupChange.objects.filter(store=store).count() == 1
    # Credit: store credit deposited on Cleo, a gift certificate to her email; each taken back on refund.
    fulfilments = {f.kind: f for f in RewardFulfilment.objects.filter(reward__store=store).select_related("reward")}
    assert set(fulfilments) == {"store_credit", "gift_certificate"}
    for fulfilment in fulfilments.values():
        assert fulfilment.state == RewardFulfilment.State.REVERSED and fulfilment.reward.state == Reward.State.REVOKED
        assert fulfilment.reversed_amount == fulfilment.amount
    assert fulfilments["store_credit"].amount == 15 and fulfilments["store_credit"].bc_customer_id
    assert bc_world.store_credit("demostore", fulfilments["store_credit"].bc_customer_id) == 0
    assert fulfilments["gift_certificate"].gift_certificate_code.startswith("GC-")

    call_command("demo", stdout=StringIO())
    assert (OrderSnapshot.objects.count(), Reward.objects.count()) == (orders, rewards)
