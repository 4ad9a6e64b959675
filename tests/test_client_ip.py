"""The client IP comes from the configured proxy depth (NUM_PROXIES), the same way for the widget API's
throttle, the stored attribution captures (the fraud signals' IP) and the webhook inboxes: a caller can't
pick its own IP with X-Forwarded-For, and an appending proxy doesn't turn the stored IP into NULL."""
import json
import uuid

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from referrals.models import AttributionCapture
from storefront.client_ip import client_ip
from storefront.models import WebhookDelivery
from tests.fixtures_lifecycle import order_webhook
from tests.fixtures_storefront import STOREFRONT_ORIGIN

API = "/api/storefront/v1"
SPOOF = "6.6.6.6"


@pytest.fixture
def proxies(settings):
    def use(count: int) -> None:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}

    return use


def _request(remote_addr: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_direct_the_tcp_peer_is_the_client_and_the_header_is_ignored(proxies):
    proxies(0)
    assert client_ip(_request("203.0.113.9")) == "203.0.113.9"
    assert client_ip(_request("203.0.113.9", SPOOF)) == "203.0.113.9"


def test_behind_one_proxy_the_address_it_appended_is_the_client(proxies):
    proxies(1)
    assert client_ip(_request("10.0.0.2", "203.0.113.9")) == "203.0.113.9"


def test_behind_one_proxy_a_spoofed_header_is_ignored_not_nulled(proxies):
    proxies(1)
    assert client_ip(_request("10.0.0.2", f"{SPOOF}, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(_request("10.0.0.2", f"garbage,{SPOOF} , 203.0.113.9")) == "203.0.113.9"


def test_behind_two_proxies_the_outer_proxys_entry_is_the_client(proxies):
    proxies(2)
    assert client_ip(_request("10.0.0.3", f"{SPOOF}, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"


def test_addresses_are_normalised_and_non_addresses_are_none(proxies):
    proxies(1)
    assert client_ip(_request("10.0.0.2", "2001:DB8::0001")) == "2001:db8::1"
    assert client_ip(_request("10.0.0.2", "unknown")) is None


def _capture(client, world, **extra):
    body = {"visitorStatus": world.visitor_status(), "deviceId": str(uuid.uuid4()), "cartId": "cart-1"}
    return client.post(f"{API}/capture", data=json.dumps(body), content_type="application/json",
                       **{**world.headers(origin=STOREFRONT_ORIGIN), **extra})


def test_stored_capture_ip_comes_from_the_helper(client, storefront_world, proxies):
    proxies(1)
    response = _capture(client, storefront_world, REMOTE_ADDR="10.0.0.2",
                        HTTP_X_FORWARDED_FOR=f"{SPOOF}, 203.0.113.9")
    assert response.status_code == 201
    assert AttributionCapture.objects.get().ip_address == "203.0.113.9"


def test_direct_capture_stores_the_peer_not_the_header(client, storefront_world, proxies):
    proxies(0)
    _capture(client, storefront_world, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=SPOOF)
    assert AttributionCapture.objects.get().ip_address == "203.0.113.9"


def test_the_ip_throttle_cant_be_dodged_by_rotating_the_header(client, storefront_world, settings, proxies):
    proxies(1)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"storefront_ip": "3/min", "storefront_store": "1000/min"}}
    cache.clear()
    codes = [_capture(client, storefront_world, REMOTE_ADDR="10.0.0.2",
                      HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 203.0.113.9").status_code for i in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    other = _capture(client, storefront_world, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert other.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_the_bigcommerce_inbox_records_the_helpers_ip(client, lc_store, proxies):
    proxies(1)
    client.post(f"/bigcommerce/webhooks/{lc_store.public_id}", data=json.dumps(order_webhook(lc_store, 1)),
                content_type="application/json", headers={"X-Webhook-Secret": "wrong"},
                REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"{SPOOF}, 203.0.113.9")
    assert WebhookDelivery.objects.get().remote_ip == "203.0.113.9"
