"""CORS preflights of the widget API: every endpoint answers its OPTIONS without authentication (a
preflight carries no Authorization header) and with exactly what that endpoint needs; a foreign origin
gets no CORS headers; a storefront channel's site origin, read from BigCommerce, is allowed too."""

import pytest

from sandbox.bigcommerce import world as bc_world
from storefront.channels import channels_sync
from storefront.widget_api.stores import forget_stores
from tests.fixtures_storefront import STOREFRONT_ORIGIN

API = "/api/storefront/v1"
CORS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
        "Access-Control-Max-Age", "Access-Control-Allow-Credentials")
# endpoint: (methods, request headers) its preflight allows.
ENDPOINTS = {
    "me/referral-link": ("GET", "Authorization, X-Store-Id"),
    "me/referral-status": ("GET", "Authorization, X-Store-Id"),
    "me/loyalty": ("GET", "Authorization, X-Store-Id"),
    "me/rewards": ("GET", "Authorization, X-Store-Id"),
    "identify": ("POST", "Content-Type, X-Store-Id"),
    "capture": ("POST", "Content-Type, X-Store-Id"),
    "orders/link": ("POST", "Content-Type, X-Store-Id"),
}


def preflight(client, world, path, *, origin=STOREFRONT_ORIGIN, method=None, store=True):
    methods, headers = ENDPOINTS[path]
    query = f"?store={world.store.public_id}" if store else ""
    return client.options(f"{API}/{path}{query}", HTTP_ORIGIN=origin,
                          HTTP_ACCESS_CONTROL_REQUEST_METHOD=method or methods,
                          HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers.lower().replace(" ", ""))


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_each_endpoint_answers_its_preflight_without_authentication(client, storefront_world, path):
    methods, headers = ENDPOINTS[path]
    response = preflight(client, storefront_world, path)
    assert response.status_code == 204, response.content
    assert response["Access-Control-Allow-Origin"] == STOREFRONT_ORIGIN
    assert response["Access-Control-Allow-Methods"] == methods
    assert response["Access-Control-Allow-Headers"] == headers
    assert response["Access-Control-Max-Age"] == "600"
    assert response["Vary"] == "Origin"
    assert "Access-Control-Allow-Credentials" not in response and not response.content


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_a_foreign_origin_gets_no_cors_headers_on_any_endpoint(client, storefront_world, path):
    response = preflight(client, storefront_world, path, origin="https://evil.example")
    assert response.status_code == 403
    assert not [name for name in CORS if name in response]
    assert response.json()["error"]["code"] == "origin_not_allowed"


@pytest.mark.parametrize("path", ["me/rewards", "capture"])
def test_a_preflight_that_names_no_store_is_answered_for_a_known_origin_only(client, storefront_world, path):
    known = preflight(client, storefront_world, path, store=False)
    assert known.status_code == 204 and known["Access-Control-Allow-Origin"] == STOREFRONT_ORIGIN
    unknown = preflight(client, storefront_world, path, store=False, origin="https://evil.example")
    assert unknown.status_code == 403 and "Access-Control-Allow-Origin" not in unknown


def test_the_actual_response_carries_only_the_origin(client, storefront_world):
    response = client.get(f"{API}/me/rewards?store={storefront_world.store.public_id}",
                          **storefront_world.headers(storefront_world.jwt()))
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == STOREFRONT_ORIGIN and response["Vary"] == "Origin"
    assert "Access-Control-Allow-Methods" not in response and "Access-Control-Max-Age" not in response


def test_without_a_token_the_actual_call_is_still_401(client, storefront_world):
    response = client.get(f"{API}/me/rewards?store={storefront_world.store.public_id}",
                          **storefront_world.headers())
    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == STOREFRONT_ORIGIN  # so the page can read the 401


def test_a_storefront_channel_s_site_origin_from_bigcommerce_is_allowed(client, storefront_world):
    outlet = "https://outlet.example.com"
    assert preflight(client, storefront_world, "me/loyalty", origin=outlet).status_code == 403
    bc_world.create_channel(storefront_world.store.store_hash, name="Outlet", status="active",
                            site_url=outlet + "/", notify=False)
    channels_sync(store=storefront_world.store)
    forget_stores()
    response = preflight(client, storefront_world, "me/loyalty", origin=outlet)
    assert response.status_code == 204 and response["Access-Control-Allow-Origin"] == outlet
