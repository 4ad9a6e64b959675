"""The fake BigCommerce's store information, channels and sites: shaped as the published files answer
them (each response validated against its schema), behind their scopes, and changed by the world the way
a merchant changes them (with the documented webhooks)."""

import json

import pytest

from sandbox.bigcommerce import world
from tests.openapi_check import schema_problems

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("require_specs")]
BASE = "/sandbox/bigcommerce/stores"


def _get(client, store, path):
    return client.get(f"{BASE}/{store.store_hash}{path}", HTTP_X_AUTH_TOKEN=store.access_token,
                      HTTP_ACCEPT="application/json")


def _response_problems(file: str, pointer: str, body) -> list[str]:
    return schema_problems(file, {"$ref": pointer}, body)


def _response(name: str) -> str:
    return f"#/components/responses/{name}/content/application~1json/schema"


def test_store_information_has_every_field_of_the_spec_and_validates(client, bc_store):
    response = _get(client, bc_store, "/v2/store")
    assert response.status_code == 200
    info = response.json()
    assert _response_problems("store_information.v2.yml", "#/components/schemas/StoreInformation", info) == []
    assert info["id"] == bc_store.store_hash
    assert info["secure_url"] == f"https://store-{bc_store.store_hash}.mybigcommerce.com"
    assert info["default_channel_id"] == 1 and info["features"]["multi_storefront_enabled"] is True


def test_store_information_follows_the_merchant_and_moves_the_default_site(client, bc_store, webhook_receiver):
    world.set_store_information(bc_store.store_hash, secure_url="https://shop.example.com",
                                domain="shop.example.com", notify=False)
    info = _get(client, bc_store, "/v2/store").json()
    assert (info["secure_url"], info["domain"]) == ("https://shop.example.com", "shop.example.com")
    (site,) = _get(client, bc_store, "/v3/sites?channel_id:in=1").json()["data"]
    assert site["url"] == "https://shop.example.com" and site["id"] == info["default_site_id"]


def test_every_store_has_channel_one_and_channels_validate(client, bc_store):
    body = _get(client, bc_store, "/v3/channels").json()
    assert _response_problems("channels.v3.yml", _response("multiple_channels_without_currencies_resp"), body) == []
    (default,) = body["data"]
    assert (default["id"], default["type"], default["platform"], default["status"]) == (
        1, "storefront", "bigcommerce", "active")
    assert body["meta"]["pagination"]["total"] == 1


def test_a_channel_added_by_the_merchant_is_listed_filtered_and_announced(client, bc_store, webhook_receiver):
    world.create_store(bc_store.store_hash).hooks.create(
        client_id="app", scope="store/channel/*", destination="https://hooks.example.test/bc", created_at=0,
        updated_at=0)
    channel, responses = world.create_channel(bc_store.store_hash, name="Outlet", site_url="https://outlet.example.com/")
    world.create_channel(bc_store.store_hash, name="Amazon", type="marketplace", platform="amazon", notify=False)
    assert channel["id"] > 1 and channel["status"] == "prelaunch" and len(responses) == 1
    (delivered,) = webhook_receiver
    assert json.loads(delivered.body)["data"] == {"type": "channel", "id": channel["id"]}
    assert json.loads(delivered.body)["scope"] == "store/channel/created"

    storefronts = _get(client, bc_store, "/v3/channels?type:in=storefront").json()["data"]
    assert [c["id"] for c in storefronts] == [1, channel["id"]]
    assert [c["name"] for c in _get(client, bc_store, "/v3/channels?status:in=connected").json()["data"]] == ["Amazon"]
    one = _get(client, bc_store, f"/v3/channels/{channel['id']}").json()
    assert one["data"] == channel and _response_problems(
        "channels.v3.yml", _response("single_channel_with_currencies_resp"), one) == []
    assert _get(client, bc_store, "/v3/channels?status:in=live").status_code == 422
    assert _get(client, bc_store, "/v3/channels/999").status_code == 404


def test_sites_by_channel_validate_and_page_by_offset(client, bc_store):
    outlet, _ = world.create_channel(bc_store.store_hash, name="Outlet", site_url="https://outlet.example.com/")
    world.create_channel(bc_store.store_hash, name="Headless", platform="next", site_url="https://next.example.com/")
    body = _get(client, bc_store, "/v3/sites").json()
    assert _response_problems("sites.v3.yml", _response("site_RespCollection"), body) == []
    assert [s["url"] for s in body["data"]] == [
        f"https://store-{bc_store.store_hash}.mybigcommerce.com", "https://outlet.example.com/",
        "https://next.example.com/"]
    assert {u["type"] for u in body["data"][1]["urls"]} == {"primary", "canonical"}
    page = _get(client, bc_store, "/v3/sites?limit=2&page=2").json()
    assert page["meta"] == {"pagination": {"offset": 2, "limit": 2, "total_items": 3}} and len(page["data"]) == 1
    only = _get(client, bc_store, f"/v3/sites?channel_id:in={outlet['id']}").json()["data"]
    assert [s["channel_id"] for s in only] == [outlet["id"]]

    site = _get(client, bc_store, f"/v3/channels/{outlet['id']}/site").json()
    assert _response_problems("channels.v3.yml", _response("site_Resp"), site) == []
    assert site["data"] == only[0]


def test_a_channel_without_a_site_answers_404_on_its_site(client, bc_store):
    channel, _ = world.create_channel(bc_store.store_hash, name="POS", type="pos", platform="square", notify=False)
    assert _get(client, bc_store, f"/v3/channels/{channel['id']}/site").status_code == 404
    assert _get(client, bc_store, "/v3/channels/424242/site").status_code == 404


@pytest.mark.usefixtures("bc_full_scope")
def test_post_channels_validates_the_type_platform_and_status_tables(client, bc_store):
    def post(body):
        return client.post(f"{BASE}/{bc_store.store_hash}/v3/channels", data=json.dumps(body),
                           content_type="application/json", HTTP_X_AUTH_TOKEN=bc_store.access_token)

    assert post({"name": "Outlet"}).json()["errors"] == {"type": "type is required.",
                                                        "platform": "platform is required."}
    assert "platform" in post({"name": "x", "type": "pos", "platform": "amazon"}).json()["errors"]
    assert "status" in post({"name": "x", "type": "storefront", "platform": "next", "status": "connected"}).json()["errors"]
    created = post({"name": "Outlet", "type": "storefront", "platform": "catalyst", "status": "active"})
    assert created.status_code == 200 and created.json()["data"]["status"] == "active"


def test_each_resource_is_behind_its_scope(client, db):
    store = world.create_store("scoped", access_token="tok", scope="store_v2_orders_read_only")

    def status(path, scope):
        store.scope = scope
        store.save(update_fields=["scope"])
        return client.get(f"{BASE}/scoped{path}", HTTP_X_AUTH_TOKEN="tok").status_code

    for path, scope in (("/v2/store", "store_v2_information_read_only"),
                        ("/v3/channels", "store_channel_settings_read_only"),
                        ("/v3/channels/1", "store_channel_settings_read_only"),
                        ("/v3/channels/1/site", "store_sites_read_only"),
                        ("/v3/sites", "store_sites_read_only")):
        assert status(path, "store_v2_orders_read_only") == 403, path
        assert status(path, scope) == 200, path


def test_the_app_scopes_cover_reading_all_three(client, db):
    """The least-privilege grant (storefront.scopes) reads the store, its channels and their sites."""
    world.create_store("leastpriv", access_token="tok")
    for path in ("/v2/store", "/v3/channels", "/v3/channels/1/site", "/v3/sites"):
        assert client.get(f"{BASE}/leastpriv{path}", HTTP_X_AUTH_TOKEN="tok").status_code == 200, path
    body = json.dumps({"name": "x", "type": "storefront", "platform": "next"})
    refused = client.post(f"{BASE}/leastpriv/v3/channels", data=body, content_type="application/json",
                          HTTP_X_AUTH_TOKEN="tok")
    assert refused.status_code == 403
