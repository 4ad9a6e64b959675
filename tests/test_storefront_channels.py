"""Storefront origins and channels known from BigCommerce: read at install, kept current by
store/information/updated and the channel webhooks and by the scheduled check; scripts on every live
storefront channel, each channel's reported on its own; the widget API's CORS origins follow."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from sandbox import faults
from sandbox.bigcommerce import world as bc_world
from sandbox.bigcommerce.models import FakeScript
from storefront.channels import channels_sync
from storefront.models import InstalledScript, Store, StorefrontChannel, WebhookDelivery
from storefront.scripts import SCRIPT_NAMES, scripts_check_all, scripts_ensure
from storefront.webhooks.registration import WEBHOOK_SCOPES
from storefront.widget_api.cors import allowed_origins
from storefront.widget_api.stores import forget_stores, store_for_public_id
from tests.fixtures_install import STORE_HASH

pytestmark = pytest.mark.django_db(transaction=True)
OUTLET = "https://outlet.example.com"


def _origins(store: Store) -> frozenset[str]:
    forget_stores()
    return allowed_origins(store_for_public_id(store.public_id))


def _scripts_by_channel(store: Store) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for row in InstalledScript.objects.filter(store=store, status=InstalledScript.Status.INSTALLED):
        found.setdefault(row.channel_id, set()).add(row.name)
    return found


def _remote_channels(store: Store) -> list[int]:
    return sorted({s.data["channel_id"] for s in FakeScript.objects.filter(store__store_hash=store.store_hash)})


@pytest.fixture
def synced_store(lc_store):
    """lc_store (hooks registered, Friendbuy connected) with its channels read and scripts installed."""
    channels_sync(store=lc_store)
    scripts_ensure(store=lc_store)
    return lc_store


def test_the_channel_scopes_are_registered(lc_store):
    assert {"store/information/updated", "store/channel/created", "store/channel/updated"} <= set(WEBHOOK_SCOPES)


def test_install_reads_the_store_url_and_its_default_channel_with_its_site(installed_store):
    installed_store.refresh_from_db()
    url = f"https://store-{STORE_HASH}.mybigcommerce.com"
    assert installed_store.storefront_url == url
    (channel,) = StorefrontChannel.objects.filter(store=installed_store)
    assert (channel.channel_id, channel.type, channel.platform, channel.status, channel.is_default) == (
        1, "storefront", "bigcommerce", "active", True)
    assert {u["url"] for u in channel.urls} == {url} and channel.synced_at is not None
    assert _origins(installed_store) == {url}


def test_a_channel_added_later_gets_its_own_scripts_and_its_origin_is_allowed(synced_store):
    assert _scripts_by_channel(synced_store) == {1: set(SCRIPT_NAMES)}
    assert OUTLET not in _origins(synced_store)

    channel, responses = bc_world.create_channel(synced_store.store_hash, name="Outlet", site_url=OUTLET + "/")
    assert [r.status_code for r in responses] == [200]
    (delivery,) = WebhookDelivery.objects.filter(store=synced_store, scope="store/channel/created")
    assert delivery.status == WebhookDelivery.Status.PROCESSED and delivery.resource_id == str(channel["id"])
    row = StorefrontChannel.objects.get(store=synced_store, channel_id=channel["id"])
    assert (row.name, row.status, row.is_default) == ("Outlet", "prelaunch", False)
    assert _scripts_by_channel(synced_store) == {1: set(SCRIPT_NAMES), channel["id"]: set(SCRIPT_NAMES)}
    assert _remote_channels(synced_store) == [1, channel["id"]]
    assert OUTLET in _origins(synced_store)


def test_a_channel_that_is_archived_loses_its_scripts_and_its_origin(synced_store):
    channel, _ = bc_world.create_channel(synced_store.store_hash, name="Outlet", site_url=OUTLET)
    assert channel["id"] in _scripts_by_channel(synced_store)
    bc_world.update_channel(synced_store.store_hash, channel["id"], status="archived")
    assert WebhookDelivery.objects.get(store=synced_store, scope="store/channel/updated").status == (
        WebhookDelivery.Status.PROCESSED)
    assert _scripts_by_channel(synced_store) == {1: set(SCRIPT_NAMES)}
    assert _remote_channels(synced_store) == [1]
    assert OUTLET not in _origins(synced_store)


def test_store_information_updated_is_accepted_and_moves_the_storefront_url(synced_store):
    responses = bc_world.set_store_information(synced_store.store_hash, secure_url="https://shop.example.com",
                                               domain="shop.example.com")
    assert [r.status_code for r in responses] == [200]
    (delivery,) = WebhookDelivery.objects.filter(store=synced_store, scope="store/information/updated")
    assert delivery.valid and delivery.status == WebhookDelivery.Status.PROCESSED
    assert delivery.resource_id.startswith("store@")
    synced_store.refresh_from_db()
    assert synced_store.storefront_url == "https://shop.example.com"
    assert "https://shop.example.com" in _origins(synced_store)


def test_store_information_events_are_told_apart_by_their_time_and_a_retry_is_a_duplicate(synced_store,
                                                                                           post_webhook):
    """BigCommerce's hash of {"type": "store"} is the same for every event: created_at tells them apart."""
    def event(created_at):
        return {"scope": "store/information/updated", "store_id": "1001", "data": {"type": "store"},
                "hash": "352e4afc6dd3fc85ea26bfdf3f91852604d57528", "created_at": created_at,
                "producer": f"stores/{synced_store.store_hash}"}

    for created_at in (1561482670, 1561482670, 1561482999):
        assert post_webhook(synced_store, event(created_at)).status_code == 200
    rows = WebhookDelivery.objects.filter(store=synced_store, scope="store/information/updated").order_by("id")
    assert [(r.resource_id, r.status) for r in rows] == [
        ("store@1561482670", WebhookDelivery.Status.PROCESSED), ("store@1561482670", WebhookDelivery.Status.DUPLICATE),
        ("store@1561482999", WebhookDelivery.Status.PROCESSED)]


def test_the_scheduled_check_picks_up_a_channel_no_webhook_announced(synced_store):
    channel, _ = bc_world.create_channel(synced_store.store_hash, name="Quiet", site_url=OUTLET, notify=False)
    bc_world.create_channel(synced_store.store_hash, name="Till", type="pos", platform="square", notify=False)
    assert channel["id"] not in _scripts_by_channel(synced_store)
    assert scripts_check_all() == {synced_store.store_hash: "6 scripts"}
    assert _scripts_by_channel(synced_store) == {1: set(SCRIPT_NAMES), channel["id"]: set(SCRIPT_NAMES)}
    assert StorefrontChannel.objects.filter(store=synced_store).count() == 3  # the POS channel is known, no scripts


def test_each_channel_s_scripts_are_reported_on_their_own(synced_store):
    channel, _ = bc_world.create_channel(synced_store.store_hash, name="Outlet", site_url=OUTLET, notify=False)
    channels_sync(store=synced_store)
    # BigCommerce refuses the next script created (the new channel's first), then answers normally.
    faults.inject(service="bigcommerce", method="POST", path_contains="/content/scripts", status=422, times=1)
    rows = scripts_ensure(store=synced_store)
    by_key = {(r.channel_id, r.name): r for r in rows}
    assert {r.status for k, r in by_key.items() if k[0] == 1} == {InstalledScript.Status.INSTALLED}
    statuses = [by_key[(channel["id"], name)].status for name in SCRIPT_NAMES]
    assert statuses.count(InstalledScript.Status.FAILED) == 1 and statuses.count(InstalledScript.Status.INSTALLED) == 2
    failed = next(r for k, r in by_key.items() if r.status == InstalledScript.Status.FAILED)
    assert "422" in failed.last_error and failed.next_attempt_at is not None


def test_a_channel_read_that_fails_is_retried_and_keeps_what_was_known(synced_store):
    faults.inject(service="bigcommerce", method="GET", path_contains="/v3/channels", status=503, times=10)
    bc_world.create_channel(synced_store.store_hash, name="Outlet", site_url=OUTLET)
    (delivery,) = WebhookDelivery.objects.filter(store=synced_store, scope="store/channel/created")
    assert delivery.status == WebhookDelivery.Status.FAILED and delivery.next_attempt_at is not None
    assert list(StorefrontChannel.objects.filter(store=synced_store).values_list("channel_id", flat=True)) == [1]


def test_store_status_shows_the_channels_and_each_script_s_channel_and_outcome(synced_store):
    channel, _ = bc_world.create_channel(synced_store.store_hash, name="Outlet", site_url=OUTLET, notify=False)
    channels_sync(store=synced_store)
    faults.inject(service="bigcommerce", method="POST", path_contains="/content/scripts", status=422, times=1)
    scripts_ensure(store=synced_store)
    out = StringIO()
    call_command("store_status", synced_store.store_hash, "--json", stdout=out)
    status = json.loads(out.getvalue())
    assert status["storefront_url"] == synced_store.storefront_url
    assert [(c["id"], c["takes_scripts"], c["urls"]) for c in status["channels"]] == [
        (1, True, [synced_store.storefront_url]), (channel["id"], True, [OUTLET])]
    assert sorted({s["channel_id"] for s in status["scripts"]}) == [1, channel["id"]]
    assert {s["install_status"] for s in status["scripts"]} == {"installed"} and len(status["scripts"]) == 5
    (failed,) = status["scripts_not_installed"]
    assert failed["channel_id"] == channel["id"] and failed["status"] == "failed" and "422" in failed["last_error"]
    text = StringIO()
    call_command("store_status", synced_store.store_hash, stdout=text)
    assert f"on channel {channel['id']}" in text.getvalue() and "Channels (2):" in text.getvalue()
