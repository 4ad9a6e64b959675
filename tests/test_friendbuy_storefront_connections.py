"""One Friendbuy merchant per storefront, when the merchant wants it: by default every channel uses the store's
connection; a storefront given its own has its scripts, orders, customers' events and webhooks on that merchant."""

import json

import pytest
from django.db import connection as db

from referrals.friendbuy.services import FriendbuyConnectError, friendbuy_channel_connect, friendbuy_connect
from referrals.friendbuy.signatures import SIGNATURE_HEADER, friendbuy_signature
from referrals.models import FriendbuyChannelConnection, FriendbuyConnection, FriendbuyDelivery, OutboxEvent
from referrals.orders.privacy import customer_erase
from sandbox.bigcommerce import world as bc_world
from sandbox.bigcommerce.models import FakeScript
from sandbox.friendbuy import world as fb_world
from storefront.channels import channels_sync
from storefront.scripts import scripts_ensure

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/app/setup/storefront-connection/"


@pytest.fixture
def merchants(db):
    """(the store's merchant, the outlet storefront's merchant) in the fake Friendbuy."""
    return fb_world.create_merchant(), fb_world.create_merchant()


@pytest.fixture
def outlet(installed_store, merchants):
    """The store connected to its merchant, with a second live storefront channel known from BigCommerce."""
    store_merchant, _ = merchants
    friendbuy_connect(store=installed_store, merchant_id=store_merchant.merchant_id, api_key=store_merchant.api_key,
                      api_secret=store_merchant.api_secret, webhook_secret=store_merchant.webhook_secret)
    channel, _ = bc_world.create_channel(installed_store.store_hash, name="Outlet", status="active",
                                         site_url="https://outlet.example.com/", notify=False)
    channels_sync(store=installed_store)
    scripts_ensure(store=installed_store)
    return channel["id"]


def _credentials(merchant) -> dict:
    return {"merchant_id": merchant.merchant_id, "api_key": merchant.api_key, "api_secret": merchant.api_secret,
            "webhook_secret": merchant.webhook_secret}


def _give_outlet_its_merchant(client, outlet, merchant):
    return client.post(URL, {"action": "connect", "channel_id": outlet, **_credentials(merchant)})


def _script_merchants(store) -> dict[int, set[str]]:
    """{channel: merchant ids named in its scripts' html} as installed in the fake BigCommerce."""
    found: dict[int, set[str]] = {}
    for script in FakeScript.objects.filter(store__store_hash=store.store_hash):
        html = script.data.get("html") or ""
        names = {m for m in (fb_world.FakeMerchant.objects.values_list("merchant_id", flat=True)) if m in html}
        found.setdefault(int(script.data["channel_id"]), set()).update(names)
    return found


def test_by_default_every_storefront_uses_the_stores_merchant(installed_store, outlet, merchants):
    store_merchant, _ = merchants
    assert _script_merchants(installed_store) == {1: {store_merchant.merchant_id}, outlet: {store_merchant.merchant_id}}


def test_the_owner_gives_a_storefront_its_own_merchant_and_its_scripts_carry_that_merchant_id(
    client, installed_store, outlet, merchants
):
    store_merchant, outlet_merchant = merchants
    response = _give_outlet_its_merchant(client, outlet, outlet_merchant)
    assert response.status_code == 302 and response["Location"].endswith("/app/setup/#step-connect")

    row = FriendbuyChannelConnection.objects.get(store=installed_store, channel_id=outlet)
    assert row.merchant_id == outlet_merchant.merchant_id and row.health == "healthy"
    with db.cursor() as cursor:
        cursor.execute("SELECT api_secret, webhook_secret FROM referrals_friendbuychannelconnection WHERE id = %s",
                       [row.pk])
        raw = cursor.fetchone()
    assert outlet_merchant.api_secret not in raw[0] and outlet_merchant.webhook_secret not in raw[1]
    assert _script_merchants(installed_store) == {1: {store_merchant.merchant_id}, outlet: {outlet_merchant.merchant_id}}

    html = client.get("/app/setup/").content.decode()
    assert "Other storefronts" in html and outlet_merchant.merchant_id in html
    assert outlet_merchant.api_secret not in html


def test_orders_of_that_storefront_go_to_its_merchant_and_the_others_to_the_stores(
    client, installed_store, outlet, merchants
):
    store_merchant, outlet_merchant = merchants
    _give_outlet_its_merchant(client, outlet, outlet_merchant)
    at_outlet = bc_world.create_order(installed_store.store_hash, email="o@example.com", status_id=11,
                                      channel_id=outlet)
    at_main = bc_world.create_order(installed_store.store_hash, email="m@example.com", status_id=11)
    bc_world.fire_order_event(installed_store.store_hash, at_outlet["id"])
    bc_world.fire_order_event(installed_store.store_hash, at_main["id"])

    assert [p["orderId"] for p in fb_world.events(outlet_merchant, "purchase")] == [str(at_outlet["id"])]
    assert [p["orderId"] for p in fb_world.events(store_merchant, "purchase")] == [str(at_main["id"])]
    assert OutboxEvent.objects.get(natural_key=f"purchase:{at_outlet['id']}").channel_id == outlet


def test_a_customer_who_signed_up_on_that_storefront_is_sent_to_its_merchant(
    client, installed_store, outlet, merchants
):
    store_merchant, outlet_merchant = merchants
    _give_outlet_its_merchant(client, outlet, outlet_merchant)
    customer = bc_world.create_customer(installed_store.store_hash, email="sue@example.com", first_name="Sue",
                                        origin_channel_id=outlet)
    bc_world.deliver_webhook(installed_store.store_hash, scope="store/customer/created",
                             data={"type": "customer", "id": customer["id"]})
    assert [p["email"] for p in fb_world.events(outlet_merchant, "account-sign-up")] == ["sue@example.com"]
    assert fb_world.events(store_merchant, "account-sign-up") == []


def test_webhooks_signed_by_that_merchants_secret_are_accepted_and_an_unknown_secret_is_not(
    client, installed_store, outlet, merchants
):
    store_merchant, outlet_merchant = merchants
    _give_outlet_its_merchant(client, outlet, outlet_merchant)
    body = json.dumps({"id": "wh-1", "type": "advocateReward", "data": []}).encode()

    def post(secret, webhook_id):
        payload = body.replace(b"wh-1", webhook_id.encode())
        return client.post(f"/friendbuy/webhooks/{installed_store.public_id}", data=payload,
                           content_type="application/json",
                           headers={SIGNATURE_HEADER: friendbuy_signature(payload, secret)})

    assert post(outlet_merchant.webhook_secret, "wh-1").status_code == 200
    assert post(store_merchant.webhook_secret, "wh-2").status_code == 200
    assert post("someone-elses-secret", "wh-3").status_code == 401
    assert list(FriendbuyDelivery.objects.order_by("id").values_list("valid", flat=True)) == [True, True, False]


def test_refused_connections_save_nothing(client, installed_store, outlet, merchants):
    store_merchant, outlet_merchant = merchants
    with pytest.raises(FriendbuyConnectError, match="default storefront"):
        friendbuy_channel_connect(store=installed_store, channel_id=1, **_credentials(outlet_merchant))
    with pytest.raises(FriendbuyConnectError, match="store's Friendbuy merchant already"):
        friendbuy_channel_connect(store=installed_store, channel_id=outlet, **_credentials(store_merchant))
    with pytest.raises(FriendbuyConnectError, match="required"):
        friendbuy_channel_connect(store=installed_store, channel_id=outlet,
                                  **{**_credentials(outlet_merchant), "api_secret": ""})
    with pytest.raises(FriendbuyConnectError, match="rejected the Merchant API key"):
        friendbuy_channel_connect(store=installed_store, channel_id=outlet,
                                  **{**_credentials(outlet_merchant), "api_secret": "wrong-secret"})
    response = _give_outlet_its_merchant(client, 999, outlet_merchant)  # not one of the store's storefronts
    assert response.status_code == 302
    assert not FriendbuyChannelConnection.objects.exists()
    FriendbuyConnection.objects.filter(store=installed_store).delete()
    with pytest.raises(FriendbuyConnectError, match="first"):
        friendbuy_channel_connect(store=installed_store, channel_id=outlet, **_credentials(outlet_merchant))


def test_a_read_only_store_user_can_not_set_a_storefronts_merchant(client, installed_store, outlet, merchants,
                                                                   load_app):
    load_app(user_id=999, user_email="clerk@example.com")
    assert _give_outlet_its_merchant(client, outlet, merchants[1]).status_code == 403
    assert not FriendbuyChannelConnection.objects.exists()


def test_going_back_to_the_stores_merchant_moves_the_scripts_and_waiting_events_back(
    client, installed_store, outlet, merchants
):
    store_merchant, outlet_merchant = merchants
    _give_outlet_its_merchant(client, outlet, outlet_merchant)
    response = client.post(URL, {"action": "disconnect", "channel_id": outlet})
    assert response.status_code == 302 and not FriendbuyChannelConnection.objects.exists()
    assert _script_merchants(installed_store)[outlet] == {store_merchant.merchant_id}
    order = bc_world.create_order(installed_store.store_hash, email="o@example.com", status_id=11, channel_id=outlet)
    bc_world.fire_order_event(installed_store.store_hash, order["id"])
    assert [p["orderId"] for p in fb_world.events(store_merchant, "purchase")] == [str(order["id"])]


def test_an_erasure_asks_every_merchant_that_may_hold_the_shopper(client, installed_store, outlet, merchants):
    _give_outlet_its_merchant(client, outlet, merchants[1])
    order = bc_world.create_order(installed_store.store_hash, email="gone@example.com", status_id=11,
                                  channel_id=outlet)
    bc_world.fire_order_event(installed_store.store_hash, order["id"])
    customer_erase(store=installed_store, email="gone@example.com", actor="test")
    erasures = OutboxEvent.objects.filter(store=installed_store, kind=OutboxEvent.Kind.ERASURE)
    assert {event.channel_id for event in erasures} == {None, outlet}
    assert len([e for e in erasures if e.channel_id is None]) == len([e for e in erasures if e.channel_id == outlet])
