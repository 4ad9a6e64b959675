"""`manage.py demo` (the README's first command after migrate) sets everything up, and can run twice."""
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from referrals.models import FriendbuyConnection, LoyaltyEvent, OrderSnapshot, Reward, TierGroupChange
from storefront.models import InstalledScript, Store, WebhookSubscription


@pytest.mark.django_db(transaction=True)
def test_demo_installs_the_store_connects_friendbuy_and_plays_the_journeys_idempotently():
    out = StringIO()
    call_command("demo", stdout=out)
    assert "Demo ready." in out.getvalue()
    store = Store.objects.get(store_hash="demostore")
    assert store.is_installed
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

    call_command("demo", stdout=StringIO())
    assert (OrderSnapshot.objects.count(), Reward.objects.count()) == (orders, rewards)
