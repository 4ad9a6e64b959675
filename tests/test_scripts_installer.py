"""The scripts installer against the fake Scripts API: idempotent, repairs drift, re-creates what's missing,
follows the merchant id, removes on disconnect; every body obeys the documented limits; each script is
installed, retried and reported on its own; only the scopes the app requests are needed."""
import base64
import hashlib
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from referrals.models import FriendbuyConnection
from sandbox import faults
from sandbox.bigcommerce.models import FakeScript, FakeStore
from storefront.clients import bigcommerce_for
from storefront.models import InstalledScript
from storefront.scopes import app_scope_string
from storefront.scripts import (
    CONFIRMATION,
    TRACKING,
    WIDGET,
    desired_scripts,
    scripts_check_all,
    scripts_ensure,
    scripts_remove,
    scripts_retry_due,
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
    assert sorted(r.name for r in first) == sorted([TRACKING, CONFIRMATION, WIDGET])
    assert [r.bc_uuid for r in first] == [r.bc_uuid for r in second]
    assert InstalledScript.objects.filter(store=store).count() == 3
    assert len(remote_scripts(store)) == 3
    assert {r.status for r in second} == {InstalledScript.Status.INSTALLED}


def test_scripts_have_documented_placement_consent_and_auto_uninstall(storefront_world):
    store = storefront_world.store
    rows = by_name(scripts_ensure(store=store))
    remote = remote_scripts(store)
    tracking = remote[rows[TRACKING].bc_uuid]
    assert (tracking["visibility"], tracking["location"], tracking["kind"]) == ("storefront", "head", "script_tag")
    assert tracking["consent_category"] == "targeting" and tracking["channel_id"] == 1
    assert storefront_world.connection.merchant_id in tracking["html"]
    assert "getVisitorStatus" in tracking["html"] and "/identify" in tracking["html"]
    confirmation = remote[rows[CONFIRMATION].bc_uuid]
    assert (confirmation["visibility"], confirmation["location"]) == ("order_confirmation", "footer")
    assert "{{checkout.order.id}}" in confirmation["html"]
    # The confirmation page is not a `storefront` page: it brings Friendbuy's loader itself.
    assert storefront_world.connection.merchant_id in confirmation["html"]
    for item in remote.values():
        assert item["auto_uninstall"] is True
        if item["kind"] == "script_tag":
            assert item["html"].count("<script") == 1 and len(item["html"]) <= 65536
            assert item["load_method"] == "default"
            assert "track\", \"purchase" not in item["html"] and "purchase\"" not in item["html"]
    widget = remote[rows[WIDGET].bc_uuid]
    assert widget["kind"] == "src" and widget["integrity_hashes"] == [widget_asset().integrity]
    assert widget["consent_category"] == "functional"
    assert widget["src"].startswith(f"https://app.example.test/api/storefront/v1/widget.{widget_asset().version}.js")
    assert store.public_id in widget["src"]


def test_no_script_needs_the_checkout_scope_and_every_src_script_is_pinned_by_its_hash(storefront_world, client):
    specs = desired_scripts(store=storefront_world.store)
    assert {s.fields["visibility"] for s in specs} == {"storefront", "order_confirmation"}
    for spec in specs:
        if spec.fields["kind"] == "src":
            served = client.get(spec.fields["src"].replace("https://app.example.test", ""))
            assert served.status_code == 200
            algorithm, _, digest = spec.fields["integrity_hashes"][0].partition("-")
            assert algorithm == "sha384"
            assert digest == base64.b64encode(hashlib.sha384(served.content).digest()).decode()


def test_all_scripts_install_with_exactly_the_scopes_the_app_requests(storefront_world):
    store = storefront_world.store
    assert FakeStore.objects.get(store_hash=store.store_hash).scope == app_scope_string()
    assert "store_content_checkout" not in app_scope_string()
    rows = scripts_ensure(store=store)
    assert [r.status for r in rows] == [InstalledScript.Status.INSTALLED] * 3


def test_a_refused_script_does_not_stop_the_others_and_is_retried_on_its_own(storefront_world):
    store = storefront_world.store
    faults.inject(service="bigcommerce", method="POST", path_contains="/content/scripts", status=422, times=1,
                  body={"status": 422, "title": "JSON data is missing or invalid", "errors": {"html": "bad"}})
    rows = by_name(scripts_ensure(store=store))
    assert rows[TRACKING].status == InstalledScript.Status.FAILED and not rows[TRACKING].bc_uuid
    assert "422" in rows[TRACKING].last_error and rows[TRACKING].failures == 1
    assert rows[TRACKING].next_attempt_at > timezone.now()
    assert rows[CONFIRMATION].status == rows[WIDGET].status == InstalledScript.Status.INSTALLED
    assert len(remote_scripts(store)) == 2

    assert scripts_retry_due() == {}  # not due yet
    InstalledScript.objects.filter(pk=rows[TRACKING].pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert scripts_retry_due() == {store.store_hash: "3 scripts"}
    again = by_name(InstalledScript.objects.filter(store=store))
    assert again[TRACKING].status == InstalledScript.Status.INSTALLED and again[TRACKING].failures == 0
    assert again[TRACKING].last_error == "" and again[TRACKING].next_attempt_at is None
    assert len(remote_scripts(store)) == 3


def test_an_unreachable_scripts_api_is_recorded_on_every_script(storefront_world):
    store = storefront_world.store
    faults.inject(service="bigcommerce", method="GET", path_contains="/content/scripts", status=503, times=10)
    rows = scripts_ensure(store=store)
    assert len(rows) == 3 and {r.status for r in rows} == {InstalledScript.Status.FAILED}
    assert all("503" in r.last_error for r in rows)


def test_old_one_script_per_job_layout_is_replaced(storefront_world):
    store = storefront_world.store
    client = bigcommerce_for(store)
    old = client.create_script(name="BC-Friendbuy: Friendbuy loader", kind="script_tag", html="<script></script>",
                               visibility="storefront", location="head", auto_uninstall=True)
    InstalledScript.objects.create(store=store, name="friendbuy-loader", bc_uuid=old["uuid"])
    scripts_ensure(store=store)
    assert old["uuid"] not in remote_scripts(store)
    assert sorted(InstalledScript.objects.filter(store=store).values_list("name", flat=True)) == sorted(
        [TRACKING, CONFIRMATION, WIDGET])


def test_loader_is_friendbuys_snippet_with_the_merchant_id(storefront_world):
    tracking = next(s for s in desired_scripts(store=storefront_world.store) if s.name == TRACKING)
    html = tracking.fields["html"]
    merchant_id = storefront_world.connection.merchant_id
    assert f'friendbuyAPI.merchantId = "{merchant_id}";' in html
    assert 'friendbuyAPI.push(["merchant", friendbuyAPI.merchantId]);' in html
    assert '"https://static.fbot.me/friendbuy.js",' in html
    assert '"https://campaign.fbot.me/" + friendbuyAPI.merchantId + "/campaigns.js",' in html


def test_drift_is_repaired_by_put_and_missing_scripts_are_recreated(storefront_world):
    store = storefront_world.store
    rows = by_name(scripts_ensure(store=store))
    client = bigcommerce_for(store)
    client.update_script(rows[TRACKING].bc_uuid, html="<script>tampered()</script>")
    client.delete_script(rows[CONFIRMATION].bc_uuid)

    again = by_name(scripts_ensure(store=store))

    remote = remote_scripts(store)
    assert again[TRACKING].bc_uuid == rows[TRACKING].bc_uuid
    assert "getVisitorStatus" in remote[again[TRACKING].bc_uuid]["html"]
    assert again[CONFIRMATION].bc_uuid != rows[CONFIRMATION].bc_uuid and again[CONFIRMATION].bc_uuid in remote
    assert len(remote) == 3


def test_merchants_consent_choice_and_disabling_are_kept(storefront_world):
    store = storefront_world.store
    rows = by_name(scripts_ensure(store=store))
    bigcommerce_for(store).update_script(rows[TRACKING].bc_uuid, consent_category="analytics", enabled=False)
    again = by_name(scripts_ensure(store=store))
    tracking = remote_scripts(store)[again[TRACKING].bc_uuid]
    assert tracking["consent_category"] == "analytics" and tracking["enabled"] is False
    assert again[TRACKING].enabled is False


def test_a_new_merchant_id_updates_the_loader_in_place(storefront_world):
    store = storefront_world.store
    rows = by_name(scripts_ensure(store=store))
    FriendbuyConnection.objects.filter(store=store).update(merchant_id="0b6a1f0e-1111-2222-3333-444455556666")
    store.refresh_from_db()
    again = by_name(scripts_ensure(store=store))
    assert again[TRACKING].bc_uuid == rows[TRACKING].bc_uuid
    assert "0b6a1f0e-1111-2222-3333-444455556666" in remote_scripts(store)[again[TRACKING].bc_uuid]["html"]


def test_lost_local_rows_adopt_the_existing_scripts_instead_of_duplicating(storefront_world):
    store = storefront_world.store
    scripts_ensure(store=store)
    InstalledScript.objects.filter(store=store).delete()
    scripts_ensure(store=store)
    assert len(remote_scripts(store)) == 3


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
    assert FakeScript.objects.filter(store__store_hash=store.store_hash).count() == 3
    call_command("install_scripts", store.store_hash, "--remove")
    assert FakeScript.objects.filter(store__store_hash=store.store_hash).count() == 0


def test_scheduled_check_repairs_every_installed_store(storefront_world):
    store = storefront_world.store
    assert scripts_check_all() == {store.store_hash: "3 scripts"}
    assert len(remote_scripts(store)) == 3


def test_script_bodies_carry_the_app_url_and_store_public_id(storefront_world):
    store = storefront_world.store
    for spec in desired_scripts(store=store):
        if spec.name in (TRACKING, CONFIRMATION):
            assert '"api": "https://app.example.test/api/storefront/v1"' in spec.fields["html"]
            assert store.public_id in spec.fields["html"]


def test_admin_recheck_action_asks_first_then_repairs(storefront_world, admin_client):
    store = storefront_world.store
    rows = by_name(scripts_ensure(store=store))
    bigcommerce_for(store).delete_script(rows[TRACKING].bc_uuid)
    url = "/admin/storefront/installedscript/"
    form = {"action": "recheck_scripts", "_selected_action": [rows[TRACKING].pk]}
    confirm = admin_client.post(url, form)
    assert confirm.status_code == 200 and b"Re-check the storefront scripts" in confirm.content
    assert len(remote_scripts(store)) == 2
    done = admin_client.post(url, {**form, "confirm": "yes"}, follow=True)
    assert done.status_code == 200
    assert len(remote_scripts(store)) == 3


def test_admin_pages_for_attribution_and_settings_load(storefront_world, admin_client):
    for url in ("/admin/referrals/attributioncapture/", "/admin/referrals/orderattributionlink/",
                "/admin/referrals/shopperidentification/", "/admin/storefront/storefrontsettings/",
                f"/admin/storefront/storefrontsettings/{storefront_world.store.storefront_settings.pk}/change/"):
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get("/admin/referrals/attributioncapture/add/").status_code == 403
