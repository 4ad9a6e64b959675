"""Fixtures for the BigCommerce client and sandbox: an installed store whose fake twin accepts its token."""

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from sandbox.bigcommerce import world
from storefront.bigcommerce import BigCommerceClient
from storefront.call_log import outbound_call_record
from storefront.http import HttpTransport, RetryPolicy
from tests.factories import StoreFactory
from tests.openapi_check import SPECS, SPECS_MISSING, specs_available


class CapturingAdapter(BaseAdapter):
    """A webhook receiver outside the app: keeps every request it gets and answers 200."""

    received: list[requests.PreparedRequest] = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        CapturingAdapter.received.append(request)
        response = requests.Response()
        response.status_code = 200
        response.headers = CaseInsensitiveDict({"Content-Type": "text/plain"})
        response._content = b"ok"
        response.request, response.url = request, request.url
        return response

    def close(self):
        pass


@pytest.fixture
def bc_store(db):
    """An installed app Store and the sandbox store that accepts its access token."""
    store = StoreFactory()
    world.create_store(store.store_hash, access_token=store.access_token)
    return store


@pytest.fixture
def bc_client(bc_store):
    return BigCommerceClient(
        store_hash=bc_store.store_hash,
        access_token=bc_store.access_token,
        recorder=outbound_call_record,
    )


@pytest.fixture
def bc_sleeps():
    """Waits the transport would have slept, recorded instead of slept."""
    return []


@pytest.fixture
def bc_client_timed(bc_store, bc_sleeps, settings):
    """A client whose transport records its waits; max_delay lets X-Rate-Limit-Time-Reset-Ms show."""
    transport = HttpTransport(
        service="bigcommerce",
        base_url=f"{settings.BIGCOMMERCE_API_URL}/stores/{bc_store.store_hash}",
        recorder=outbound_call_record,
        store_hash=bc_store.store_hash,
        retry=RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=60.0),
        sleep=bc_sleeps.append,
    )
    return BigCommerceClient(
        store_hash=bc_store.store_hash, access_token=bc_store.access_token, transport=transport
    )


@pytest.fixture
def require_specs():
    """Fails (never skips) a test that reads BigCommerce's OpenAPI files when they are missing: a checkout
    without them must not pass its contract tests by not running them."""
    if not specs_available(SPECS):
        pytest.fail(SPECS_MISSING, pytrace=False)


@pytest.fixture
def webhook_receiver(settings):
    """Mounts CapturingAdapter on https://hooks.example.test/ and returns the list of requests it receives."""
    settings.HTTP_ADAPTERS = {
        **settings.HTTP_ADAPTERS,
        "https://hooks.example.test/": "tests.fixtures_bigcommerce.CapturingAdapter",
    }
    CapturingAdapter.received = []
    return CapturingAdapter.received


# Every modify scope of the resources the sandbox serves: for tests that drive the fake BigCommerce itself
# (writes the app never makes, such as creating refunds or customers), not the app's least-privilege grant.
FULL_SCOPE = ("store_v2_orders store_v2_transactions store_v2_customers store_v2_marketing store_v2_content "
              "store_content_checkout store_v2_information store_channel_settings store_sites")


@pytest.fixture
def bc_full_scope(db):
    """Grant every sandbox store created during the test all modify scopes."""
    from sandbox.bigcommerce import world

    original = world.create_store

    def create_store(store_hash, *, access_token=None, client_id=None, scope=None):
        return original(store_hash, access_token=access_token, client_id=client_id,
                        scope=FULL_SCOPE if scope is None else scope)

    world.create_store = create_store
    from sandbox.bigcommerce.models import FakeStore

    FakeStore.objects.update(scope=FULL_SCOPE)
    yield
    world.create_store = original
