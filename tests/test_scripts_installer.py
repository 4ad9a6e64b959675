"""The scripts installer against the fake Scripts API: idempotent, repairs drift, re-creates what's missing,
follows the merchant id, removes on disconnect; every body obeys the documented limits."""
from django.core.management import call_command

from referrals.models import FriendbuyConnection
from sandbox.bigcommerce.models import FakeScript
from storefront.clients import bigcommerce_for
from storefront.models import InstalledScript
from storefront.scripts import (
    CAPTURE,
    IDENTIFY,
    LOADER,
    ORDER_LINK,
    WIDGET,
    desired_scripts,
    scripts_check_all,
    scripts_ensure,
    scripts_remove,
    widget_asset,
)


def remote_scripts(store):
    return {item["uuid"]: item for item in bigcommerce_for(store).list_scripts()}


def by_name(rows):
    return {row.name: row for row in rows}


def test_installing_twice_leaves_one_of_each_script(storefront_world):
    store = storefront_world.store
    first = scripts_ensure(store=store)
    second = scripts_ensure(store=store)
    assert sorted(r.name for r in first) == sorted([LOADER, IDENTIFY, CAPTURE, ORDER_LINK, WIDGET])
    assert [r.bc_uuid for r in first] == [r.bc_uuid for r in second]
    assert InstalledScript.objects.filter(store=store).count() == 5
    assert len(remote_scripts(store)) == 5


def test_scripts_have_documented_placement_consent_and_auto_uninstall(storefront_world):
    store = storefront_world.store
    rows = by_name(scripts_ensure(store=store))
    remote = remote_scripts(store)
    loader = remote[rows[LOADER].bc_uuid]
    assert (loader["visibility"], loader["location"], loader["kind"]) == ("all_pages", "head", "script_tag")
    assert loader["consent_category"] == "targeting"
    assert storefront_world.connection.merchant_id in loader["html"]
    assert remote[rows[ORDER_LINK].bc_uuid]["visibility"] == "order_confirmation"
    assert "{{checkout.order.id}}" in remote[rows[ORDER_LINK].bc_uuid]["html"]
    assert remote[rows[IDENTIFY].bc_uuid]["consent_category"] == "functional"
    for item in remote.values():
        assert item["auto_uninstall"] is True
        if item["kind"] == "script_tag":
            assert item["html"].count("<script") == 1 and len(item["html"]) <= 65536
            assert item["load_method"] == "default"
            assert "track\", \"purchase" not in item["html"] and "purchase\"" not in item["html"]
    widget = remote[rows[WIDGET].bc_uuid]
    assert widget["kind"] == "src" and widget["integrity_hashes"] == [widget_asset().integrity]
    assert widget["src"].startswith(f"https://app.example.test/api/storefront/v1/widget.{widget_asset().version}.js")
    assert store.public_id in widget["src"]


def test_loader_is_friendbuys_snippet_with_the_merchant_id(storefront_world):
    loader = next(s for s in desired_scripts(store=storefront_world.store) if s.name == LOADER)
    html = loader.fields["html"]
    merchant_id = storefront_world.connection.merchant_id
    assert f'friendbuyAPI.merchantId = "{merchant_id}";' in html
    assert 'friendbuyAPI.push(["merchant", friendbuyAPI.merchantId]);' in html
    assert '"https://static.fbot.me/friendbuy.js",' in html
    assert '"https://campaign.fbot.me/" + friendbuyAPI.merchantId + "/campaigns.js",' in html


def test_drift_is_repaired_by_put_and_missing_scripts_are_recreated(storefront_world):
    store = storefront_world.store
    rows = by_name(scripts_ensure(store=store))
    client = bigcommerce_for(store)
    client.update_script(rows[CAPTURE].bc_uuid, html="<script>tampered()</script>")
    client.delete_script(rows[IDENTIFY].bc_uuid)

    again = by_name(scripts_ensure(store=store))

    remote = remote_scripts(store)
    assert again[CAPTURE].bc_uuid == rows[CAPTURE].bc_uuid
    assert "getVisitorStatus" in remote[again[CAPTURE].bc_uuid]["html"]
    assert again[IDENTIFY].bc_uuid != rows[IDENTIFY].bc_uuid and again[IDENTIFY].bc_uuid in remote
    assert len(remote) == 5


def test_merchants_consent_choice_and_disabling_are_kept(storefront_world):
    store = storefront_world.store
    rows = by_name(scripts_ensure(store=store))
    bigcommerce_for(store).update_script(rows[LOADER].bc_uuid, consent_category="analytics", enabled=False)
    again = by_name(scripts_ensure(store=store))
    loader = remote_scripts(store)[again[LOADER].bc_uuid]
    assert loader["consent_category"] == "analytics" and loader["enabled"] is False
    assert again[LOADER].enabled is False


def test_a_new_merchant_id_updates_the_loader_in_place(storefront_world):
    store = storefront_world.store
    rows = by_name(scripts_ensure(store=store))
    FriendbuyConnection.objects.filter(store=store).update(merchant_id="0b6a1f0e-1111-2222-3333-444455556666")
    store.refresh_from_db()
    again = by_name(scripts_ensure(store=store))
    assert again[LOADER].bc_uuid == rows[LOADER].bc_uuid
    assert "0b6a1f0e-1111-2222-3333-444455556666" in remote_scripts(store)[again[LOADER].bc_uuid]["html"]


def test_lost_local_rows_adopt_the_existing_scripts_instead_of_duplicating(storefront_world):
    store = storefront_world.store
    scripts_ensure(store=store)
    InstalledScript.objects.filter(store=store).delete()
    scripts_ensure(store=store)
    assert len(remote_scripts(store)) == 5


def test_remove_deletes_remote_scripts_and_rows(storefront_world):
    store = storefront_world.store
    scripts_ensure(store=store)
    scripts_remove(store=store)
    assert remote_scripts(store) == {}
    assert not InstalledScript.objects.filter(store=store).exists()


def test_without_friendbuy_no_scripts_are_wanted_and_old_ones_go(storefront_world):
    store = storefront_world.store
    scripts_ensure(store=store)
    FriendbuyConnection.objects.filter(store=store).delete()
    store.refresh_from_db()
    assert scripts_ensure(store=store) == []
    assert remote_scripts(store) == {}


def test_widget_can_be_switched_off(storefront_world):
    store = storefront_world.store
    store.storefront_settings.widget_enabled = False
    store.storefront_settings.save()
    assert WIDGET not in by_name(scripts_ensure(store=store))


def test_management_command_installs_and_removes(storefront_world, capsys):
    store = storefront_world.store
    call_command("install_scripts", store.store_hash)
    assert FakeScript.objects.filter(store__store_hash=store.store_hash).count() == 5
    call_command("install_scripts", store.store_hash, "--remove")
    assert FakeScript.objects.filter(store__store_hash=store.store_hash).count() == 0


def test_scheduled_check_repairs_every_installed_store(storefront_world):
    store = storefront_world.store
    assert scripts_check_all() == {store.store_hash: "5 scripts"}
    assert len(remote_scripts(store)) == 5


def test_script_bodies_carry_the_app_url_and_store_public_id(storefront_world):
    store = storefront_world.store
    for spec in desired_scripts(store=store):
        if spec.name in (IDENTIFY, CAPTURE, ORDER_LINK):
            assert '"api": "https://app.example.test/api/storefront/v1"' in spec.fields["html"]
            assert store.public_id in spec.fields["html"]


def test_admin_recheck_action_asks_first_then_repairs(storefront_world, admin_client):
    store = storefront_world.store
    rows = by_name(scripts_ensure(store=store))
    bigcommerce_for(store).delete_script(rows[LOADER].bc_uuid)
    url = "/admin/storefront/installedscript/"
    form = {"action": "recheck_scripts", "_selected_action": [rows[LOADER].pk]}
    confirm = admin_client.post(url, form)
    assert confirm.status_code == 200 and b"Re-check the storefront scripts" in confirm.content
    assert len(remote_scripts(store)) == 4
    done = admin_client.post(url, {**form, "confirm": "yes"}, follow=True)
    assert done.status_code == 200
    assert len(remote_scripts(store)) == 5


def test_admin_pages_for_attribution_and_settings_load(storefront_world, admin_client):
    for url in ("/admin/referrals/attributioncapture/", "/admin/referrals/orderattributionlink/",
                "/admin/referrals/shopperidentification/", "/admin/storefront/storefrontsettings/",
                f"/admin/storefront/storefrontsettings/{storefront_world.store.storefront_settings.pk}/change/"):
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get("/admin/referrals/attributioncapture/add/").status_code == 403
