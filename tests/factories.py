"""factory-boy factories for the app's own models."""
import factory

from referrals.models import FriendbuyConnection
from storefront.models import Store, StorefrontChannel, StoreUser


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ("store_hash",)

    store_hash = factory.Sequence(lambda n: f"store{n:04d}")
    status = Store.Status.INSTALLED
    scopes = "store_v2_orders_read_only store_v2_customers store_v2_marketing store_v2_content"
    access_token = factory.Sequence(lambda n: f"token-{n:04d}-abcdefghijklmnop")
    owner_bc_user_id = 1
    owner_email = factory.LazyAttribute(lambda o: f"owner@{o.store_hash}.example")
    installed_at = factory.Faker("date_time_this_year", tzinfo=__import__("datetime").UTC)


class StoreUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoreUser

    store = factory.SubFactory(StoreFactory)
    bc_user_id = factory.Sequence(lambda n: 1000 + n)
    email = factory.Sequence(lambda n: f"user{n}@example.com")


class FriendbuyConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FriendbuyConnection

    store = factory.SubFactory(StoreFactory)
    merchant_id = factory.Faker("uuid4")
    api_key = factory.Faker("uuid4")
    api_secret = factory.Faker("uuid4")
    webhook_secret = factory.Sequence(lambda n: f"fb-webhook-secret-{n:04d}")


class StorefrontChannelFactory(factory.django.DjangoModelFactory):
    """A channel of a store as storefront.channels would have synced it (a live storefront by default)."""

    class Meta:
        model = StorefrontChannel
        django_get_or_create = ("store", "channel_id")

    store = factory.SubFactory(StoreFactory)
    channel_id = factory.Sequence(lambda n: 1000 + n)
    name = factory.LazyAttribute(lambda o: f"Storefront {o.channel_id}")
    type = "storefront"
    platform = "bigcommerce"
    status = "active"
    is_default = factory.LazyAttribute(lambda o: o.channel_id == 1)
