"""Every request the app sends to BigCommerce conforms to BigCommerce's published OpenAPI files.

The app's journeys run against the in-process sandbox with a recording adapter on the API base URL;
each recorded request is then checked by tests/openapi_check.py (operation, query parameters, headers,
JSON body). A mismatch here is what BigCommerce, or an independent contract suite playing BigCommerce,
would refuse. The last tests feed the checker bad requests, so a silent checker can't pass for a
conforming app.
"""

import os
import subprocess
import sys
import threading
from collections import defaultdict
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command

from coupons.models import CodePool, CouponCode, CouponTemplate
from coupons.services import CodeRequest, coupon_disable, coupon_mint, coupon_reserve, coupon_template_default
from referrals.orders.customer_history import customer_history_ensure
from sandbox.bigcommerce import world
from sandbox.bigcommerce.models import FakeHook, FakeScript
from sandbox.transport import InProcessAdapter
from storefront.clients import bigcommerce_for
from storefront.models import Store
from tests.openapi_check import (
    AMBIGUOUS_ONE_OF,
    REPO,
    SPECS,
    SPECS_ENV,
    CapturedRequest,
    check_request,
    load_spec,
    locate_specs,
    resolve_pointer,
    schema_problems,
    specs_candidates,
)

pytestmark = pytest.mark.usefixtures("require_specs", "bc_full_scope")

API = "http://sandbox.test/sandbox/bigcommerce/stores/abc123"
WITH_CONSIGNMENTS = "include=consignments.line_items&consignment_structure=object"
HEADERS = {"X-Auth-Token": "t", "Accept": "application/json", "Content-Type": "application/json"}

# What the journeys below must reach; a journey that stops calling one shows up here, not as a pass.
JOURNEY_OPERATIONS = {
    "GET /orders (orders.v2.oas2.yml)",
    "GET /orders/count (orders.v2.oas2.yml)",
    "GET /orders/{order_id} (orders.v2.oas2.yml)",
    "GET /orders/{order_id}/products (orders.v2.oas2.yml)",
    "GET /orders/{order_id}/coupons (orders.v2.oas2.yml)",
    "GET /orders/{order_id}/shipping_addresses (orders.v2.oas2.yml)",
    "GET /orders/{order_id}/transactions (orders.v3.yml)",
    "GET /orders/{order_id}/payment_actions/refunds (orders.v3.yml)",
    "GET /customers (customers.v3.yml)",
    "GET /hooks (webhooks.v3.yml)",
    "POST /hooks (webhooks.v3.yml)",
    "PUT /hooks/{webhook_id} (webhooks.v3.yml)",
    "GET /content/scripts (scripts.v3.yml)",
    "POST /content/scripts (scripts.v3.yml)",
    "PUT /content/scripts/{uuid} (scripts.v3.yml)",
    "DELETE /content/scripts/{uuid} (scripts.v3.yml)",
    "GET /promotions (promotions.v3.yml)",
    "POST /promotions (promotions.v3.yml)",
    "POST /promotions/{promotion_id}/codes (promotions.v3.yml)",
    "POST /promotions/{promotion_id}/codegen (promotions.v3.yml)",
    "GET /promotions/codes (promotions.v3.yml)",
    "DELETE /promotions/{promotion_id}/codes/{code_id} (promotions.v3.yml)",
    "GET /store (store_information.v2.yml)",
    "GET /channels (channels.v3.yml)",
    "GET /sites (sites.v3.yml)",
}


class RecordingAdapter(InProcessAdapter):
    """The sandbox adapter, keeping every request it answers (from any thread)."""

    received: list[CapturedRequest] = []
    lock = threading.Lock()

    def send(self, request, **kwargs):
        with RecordingAdapter.lock:
            RecordingAdapter.received.append(CapturedRequest.from_prepared(request))
        return super().send(request, **kwargs)


@pytest.fixture
def bigcommerce_requests(settings):
    """The list every request to settings.BIGCOMMERCE_API_URL is appended to while the test runs.

    Mounted on the API base itself: requests picks the longest matching prefix, so the OAuth host and
    Friendbuy keep the plain sandbox adapter.
    """
    settings.HTTP_ADAPTERS = {
        **settings.HTTP_ADAPTERS,
        settings.BIGCOMMERCE_API_URL + "/": "tests.test_bigcommerce_requests_conform.RecordingAdapter",
    }
    RecordingAdapter.received = []
    return RecordingAdapter.received


def checked(requests_sent) -> dict[str, set[str]]:
    """{operation: problems} over every request sent."""
    found: dict[str, set[str]] = defaultdict(set)
    for request in requests_sent:
        label, problems = check_request(request, api_base=settings.BIGCOMMERCE_API_URL)
        found[label].update(problems)
    return found


def _report(found: dict[str, set[str]]) -> str:
    return "\n".join(
        f"{label}\n" + "\n".join(f"    {problem}" for problem in sorted(problems))
        for label, problems in sorted(found.items()) if problems
    )


def _call(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _drift_hooks_and_scripts(store: Store) -> None:
    """What a merchant or another app might do: a hook switched off, one re-pointed, a script moved."""
    hooks = list(FakeHook.objects.filter(store__store_hash=store.store_hash).order_by("id"))
    FakeHook.objects.filter(pk=hooks[0].pk).update(is_active=False)
    FakeHook.objects.filter(pk=hooks[1].pk).update(destination="https://elsewhere.example/hook", headers=None)
    script = FakeScript.objects.filter(store__store_hash=store.store_hash).order_by("id").first()
    script.data = {**script.data, "html": "", "src": "https://cdn.example/other.js"}
    script.save(update_fields=["data"])


@pytest.mark.django_db(transaction=True)
def test_every_request_of_the_app_journeys_conforms_to_the_published_specs(bigcommerce_requests):
    # Install, webhooks, scripts, Friendbuy connect, orders, rewards (mint, redeem, refund), fraud.
    _call("demo")
    store = Store.objects.get(store_hash="demostore")
    friend = world.create_customer(store.store_hash, email="late.friend@example.com", first_name="Lou")
    world.deliver_webhook(store.store_hash, scope="store/customer/updated",
                          data={"type": "customer", "id": friend["id"]})
    refunded = world.create_order(store.store_hash, email="late.friend@example.com", customer_id=friend["id"],
                                  status_id=11, products=[{"name": "Tea", "price": "12.00", "quantity": 1}])
    world.fire_order_event(store.store_hash, refunded["id"])
    refund = world.refund_order(store.store_hash, refunded["id"], amount="5.00")
    world.fire_order_event(store.store_hash, refunded["id"], scope="store/order/refund/created",
                           refund_id=refund["id"])
    # More line items than BigCommerce embeds in a consignment: the re-fetch asks /products and
    # /shipping_addresses as well.
    big = world.create_order(store.store_hash, email="late.friend@example.com", customer_id=friend["id"],
                             status_id=11, products=[{"name": f"Card {n}", "price": "1.00", "quantity": 1}
                                                     for n in range(60)])
    world.fire_order_event(store.store_hash, big["id"])

    # Repair, checks, backfill, reconciliation, code pools, erasure, disconnect.
    _drift_hooks_and_scripts(store)
    _call("repair_webhooks", "--store", store.store_hash)
    _call("install_scripts", store.store_hash)
    _call("store_status", store.store_hash, "--json")
    _call("backfill_orders", store.store_hash, "--since", "2000-01-01", "--no-progress")
    _call("reconcile_orders", "--store", store.store_hash, "--days", "30")
    _call("mint_codes", store.store_hash, "--template", "default", "--count", "3")
    CouponTemplate.objects.create(store=store, name="vip", discount_kind="percentage", min_spend=50,
                                  prefix="VIP", expiry_days=0)
    _call("mint_codes", store.store_hash, "--template", "vip", "--count", "2", "--amount", "15", "--unit", "%")
    pool_code = CouponCode.objects.filter(pool__in=CodePool.objects.filter(store=store)).order_by("id").first()
    coupon_disable(coupon=pool_code, reason="conformance test")
    # A code reserved before reward pools (SINGLE promotion, /codes) is still finished.
    legacy = coupon_reserve(store=store, template=coupon_template_default(store=store),
                            request=CodeRequest(source_key="reward:legacy", amount=7, unit="USD"))
    coupon_mint(coupon_id=legacy.pk)
    _call("erase_customer", store.store_hash, "--email", "late.friend@example.com", "--yes")
    _call("install_scripts", store.store_hash, "--remove")

    found = checked(bigcommerce_requests)
    assert not any(found.values()), "Requests that break BigCommerce's OpenAPI files:\n" + _report(found)
    assert set(found) >= JOURNEY_OPERATIONS, sorted(JOURNEY_OPERATIONS - set(found))
    # Webhooks re-fetch the order with its consignments and backfill asks the order list for them
    # (checked above like every request); /products and /shipping_addresses serve the orders whose
    # consignments are not whole.
    assert any(r.url.endswith(f"?{WITH_CONSIGNMENTS}") for r in bigcommerce_requests if r.method == "GET")


@pytest.mark.django_db
def test_client_calls_no_journey_makes_yet_conform_too(bc_store, bigcommerce_requests):
    """The client's other methods, so they are right before a journey starts using them."""
    client = bigcommerce_for(bc_store)
    order = world.create_order(bc_store.store_hash, email="a@example.com", status_id=11)
    refund = world.refund_order(bc_store.store_hash, order["id"], amount="1.00")
    customer = world.create_customer(bc_store.store_hash, email="c@example.com", first_name="C")
    promotion = client.create_promotion({
        "name": "Bulk", "redemption_type": "COUPON", "coupon_type": "BULK",
        "rules": [{"action": {"cart_value": {"discount": {"fixed_amount": "5"}}}}],
    })
    client.create_coupon_code(promotion["id"], code="ABC-123")
    hook = client.create_hook(scope="store/order/created", destination="https://app.example.test/hook",
                              headers=None)

    client.count_orders(min_date_created="Wed, 01 Jan 2020 00:00:00 +0000")
    client.update_order(order["id"], status_id=2)
    client.get_refund(refund["id"])
    client.get_customer(customer["id"])
    list(client.iter_customers())
    client.find_customers_by_email("c@example.com")
    client.get_promotion(promotion["id"])
    client.update_promotion(promotion["id"], {"name": "Bulk renamed"})
    list(client.iter_promotions(name="Bulk renamed"))
    list(client.iter_coupon_codes(promotion["id"], code="ABC-123"))
    client.find_coupon_code("ABC-123")
    client.delete_hook(hook["id"])
    # Loyalty: tiers as customer groups, newsletter subscribers, the birthday field.
    group = world.create_customer_group(bc_store.store_hash, name="Gold")
    subscriber, _ = world.subscribe_newsletter(bc_store.store_hash, email="n@example.com")
    world.set_customer_form_field(bc_store.store_hash, customer["id"], name="Birthday", value="1990-05-17")
    world.set_customer_attribute(bc_store.store_hash, customer["id"], name="birthday", value="1990-05-17")
    list(client.iter_customer_groups())
    client.set_customer_group(customer["id"], group["id"])
    client.get_customers([customer["id"]])
    client.get_subscriber(subscriber["id"])
    list(client.iter_form_field_values(field_name="Birthday"))
    attribute = client.find_customer_attribute("birthday")
    list(client.iter_attribute_values(attribute_id=attribute["id"]))

    found = checked(bigcommerce_requests)
    assert not any(found.values()), "Requests that break BigCommerce's OpenAPI files:\n" + _report(found)
    assert set(found) == {
        "POST /promotions (promotions.v3.yml)", "POST /promotions/{promotion_id}/codes (promotions.v3.yml)",
        "POST /hooks (webhooks.v3.yml)", "GET /orders/count (orders.v2.oas2.yml)",
        "PUT /orders/{order_id} (orders.v2.oas2.yml)",
        "GET /orders/payment_actions/refunds/{refund_id} (orders.v3.yml)", "GET /customers (customers.v3.yml)",
        "GET /promotions/{id} (promotions.v3.yml)", "PUT /promotions/{id} (promotions.v3.yml)",
        "GET /promotions (promotions.v3.yml)",
        "GET /promotions/{promotion_id}/codes (promotions.v3.yml)", "GET /promotions/codes (promotions.v3.yml)",
        "DELETE /hooks/{webhook_id} (webhooks.v3.yml)",
        "GET /customer_groups (customers.v2.yml)", "PUT /customers (customers.v3.yml)",
        "GET /customers/subscribers/{subscriber_id} (subscribers.v3.yml)",
        "GET /customers/form-field-values (customers.v3.yml)", "GET /customers/attributes (customers.v3.yml)",
        "GET /customers/attribute-values (customers.v3.yml)",
    }


@pytest.mark.django_db
def test_store_information_channels_and_sites_requests_conform(bc_store, bigcommerce_requests):
    """What the app reads to know a store's storefronts: /v2/store, /v3/channels (filtered and one by
    id), each channel's site, and /v3/sites by channel, paged."""
    client = bigcommerce_for(bc_store)
    outlet, _ = world.create_channel(bc_store.store_hash, name="Outlet", site_url="https://outlet.example.com/",
                                     notify=False)
    world.create_channel(bc_store.store_hash, name="POS", type="pos", platform="square", notify=False)

    info = client.get_store_information()
    assert info["secure_url"].startswith("https://") and info["default_channel_id"] == 1
    storefronts = list(client.iter_channels(types=("storefront",), statuses=("active", "prelaunch")))
    assert [c["id"] for c in storefronts] == [1, outlet["id"]]
    assert len(list(client.iter_channels())) == 3
    assert client.get_channel(outlet["id"])["name"] == "Outlet"
    assert client.get_channel(999) is None
    assert client.get_channel_site(outlet["id"])["url"] == "https://outlet.example.com/"
    sites = list(client.iter_sites(channel_ids=[1, outlet["id"]], limit=1))
    assert [s["channel_id"] for s in sites] == [1, outlet["id"]]
    assert list(client.iter_sites(channel_ids=[])) == []

    found = checked(bigcommerce_requests)
    assert not any(found.values()), "Requests that break BigCommerce's OpenAPI files:\n" + _report(found)
    assert set(found) == {
        "GET /store (store_information.v2.yml)", "GET /channels (channels.v3.yml)",
        "GET /channels/{channel_id} (channels.v3.yml)", "GET /channels/{channel_id}/site (channels.v3.yml)",
        "GET /sites (sites.v3.yml)",
    }
    assert sum(1 for r in bigcommerce_requests if "/v3/sites" in r.url) == 2  # paged by offset


@pytest.mark.django_db
def test_the_earlier_orders_lookup_behind_is_new_customer_conforms(bc_store, bigcommerce_requests):
    """isNewCustomer's one call per new customer: the order list by customer_id (registered) or email
    (guest), below the order's id, oldest first, a short page."""
    client = bigcommerce_for(bc_store)
    customer = world.create_customer(bc_store.store_hash, email="reg@example.com", first_name="Reg")
    world.create_order(bc_store.store_hash, email="reg@example.com", customer_id=customer["id"], status_id=10)
    registered = world.create_order(bc_store.store_hash, email="reg@example.com", customer_id=customer["id"],
                                    status_id=11)
    guest = world.create_order(bc_store.store_hash, email="guest@example.com", status_id=11)
    bigcommerce_requests.clear()
    rows = [customer_history_ensure(store=bc_store, client=client, order=client.get_order(order["id"]))
            for order in (registered, guest)]

    found = checked(bigcommerce_requests)
    assert not any(found.values()), "Requests that break BigCommerce's OpenAPI files:\n" + _report(found)
    lookups = [parse_qs(urlsplit(r.url).query) for r in bigcommerce_requests
               if r.method == "GET" and urlsplit(r.url).path.endswith("/v2/orders")]
    assert [sorted(q) for q in lookups] == [
        ["customer_id", "limit", "max_id", "page", "sort"], ["email", "limit", "max_id", "page", "sort"]
    ]
    assert [row.source for row in rows] == ["bigcommerce", "bigcommerce"]
    assert rows[0].earlier_order_id is not None and rows[1].earlier_order_id is None


# --- where the files are looked for ----------------------------------------------------------------


def test_specs_are_looked_for_beside_the_checkout_and_beside_a_worktrees_main_checkout(tmp_path):
    main = tmp_path / "main"
    (main / ".git" / "worktrees" / "wt1").mkdir(parents=True)
    (main / ".git" / "worktrees" / "wt1" / "commondir").write_text("../..\n")
    worktree = tmp_path / "elsewhere" / "wt1"
    worktree.mkdir(parents=True)
    (worktree / ".git").write_text(f"gitdir: {main / '.git' / 'worktrees' / 'wt1'}\n")

    assert specs_candidates(main, environ={}) == [tmp_path / "shared" / "bigcommerce-specs"]
    assert specs_candidates(worktree, environ={}) == [
        tmp_path / "elsewhere" / "shared" / "bigcommerce-specs", tmp_path / "shared" / "bigcommerce-specs"]
    assert specs_candidates(worktree, environ={SPECS_ENV: str(tmp_path / "mine")}) == [tmp_path / "mine"]


def test_the_first_folder_holding_every_file_is_used():
    assert locate_specs([Path("/nowhere"), SPECS]) == SPECS
    assert locate_specs([Path("/nowhere")]) == Path("/nowhere")


def test_a_contract_test_fails_rather_than_skips_without_the_files(tmp_path):
    """A checkout without the files must not pass its contract tests by not running them."""
    # On SQLite in memory: the inner run must not touch this run's test database.
    env = {**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, SPECS_ENV: str(tmp_path / "absent")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         "tests/test_bigcommerce_requests_conform.py::test_checker_accepts_a_conforming_request"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ERROR tests/test_bigcommerce_requests_conform.py::test_checker_accepts" in result.stdout
    assert "skipped" not in result.stdout
    assert "OpenAPI files" in result.stdout and SPECS_ENV in result.stdout


# --- the checker can fail -----------------------------------------------------------------------


def _problems_of(method: str, path: str, body=None, headers=HEADERS) -> list[str]:
    request = CapturedRequest(method=method, url=f"{API}{path}", headers=dict(headers), body=body,
                              has_body=body is not None)
    return check_request(request, api_base="http://sandbox.test/sandbox/bigcommerce")[1]


def test_checker_accepts_a_conforming_request():
    assert _problems_of("GET", "/v2/orders?min_id=1&max_id=200&page=1&limit=250&sort=id") == []
    assert _problems_of("GET", f"/v2/orders/5?{WITH_CONSIGNMENTS}") == []
    assert _problems_of("GET", "/v3/customers?id:in=1,2&include=addresses,storecredit") == []
    assert _problems_of("POST", "/v3/promotions/7/codes", {"code": "ABC", "max_uses": 1}) == []


def test_checker_refuses_an_unknown_query_parameter():
    assert _problems_of("GET", "/v2/orders?min_id=1&colour=blue") == [
        "query colour: not a parameter of this operation"
    ]


def test_checker_refuses_a_value_outside_the_enum():
    (problem,) = _problems_of("GET", "/v2/orders?sort=id:asc")
    assert problem.startswith("query sort: 'id:asc' is not one of ['id',")
    assert _problems_of("GET", "/v2/orders/5?include=consignments.lineitems&consignment_structure=array") == [
        "query include/0: 'consignments.lineitems' is not one of ['consignments', 'consignments.line_items', "
        "'fees']",
        "query consignment_structure: 'array' is not one of ['object']",
    ]


def test_checker_refuses_a_wrong_type_a_repeated_comma_list_and_a_value_over_the_maximum():
    problems = _problems_of("GET", "/v3/customers?id:in=1&id:in=x")
    assert "query id:in: sent 2 times, the spec wants one comma list" in problems
    assert "query id:in/1: 'x' is not of type 'integer'" in problems
    assert _problems_of("GET", "/v3/promotions?limit=251") == ["query limit: 251 is greater than the maximum of 250"]


def test_checker_refuses_a_path_parameter_of_the_wrong_format():
    assert _problems_of("DELETE", "/v3/content/scripts/not-a-uuid") == ["path uuid: 'not-a-uuid' is not a 'uuid'"]


def test_checker_refuses_a_body_missing_a_required_field():
    assert _problems_of("POST", "/v3/promotions/7/codes", {"max_uses": 1}) == [
        "body: 'code' is a required property"
    ]


def test_checker_refuses_missing_required_headers_and_the_api_key():
    problems = _problems_of("GET", "/v2/orders/5", headers={})
    assert problems == ["header Accept: required but missing", "header X-Auth-Token: the API key header is missing"]


def test_checker_refuses_an_operation_the_specs_do_not_have():
    assert _problems_of("PATCH", "/v3/hooks/5", {"is_active": True}) == [
        "no operation in the specs matches this method and path"
    ]
    assert _problems_of("GET", "/v3/orders/5") == ["no operation in the specs matches this method and path"]


# A body each AMBIGUOUS_ONE_OF entry must take, as BigCommerce's docs show it.
AMBIGUOUS_SAMPLES = {
    ("promotions.v3.yml", "#/components/schemas/Condition"): {"cart": {"minimum_spend": "50.00"}},
    ("promotions.v3.yml", "#/paths/~1promotions~1{id}/put/requestBody/content/application~1json/schema"):
        {"name": "Spring sale"},
}


def test_each_oneof_the_checker_reads_as_anyof_is_still_ambiguous_in_the_published_files():
    """Only while no body can pass the strict oneOf; once BigCommerce fixes a file, this names the entry."""
    assert set(AMBIGUOUS_SAMPLES) == set(AMBIGUOUS_ONE_OF)
    for (file, pointer), sample in AMBIGUOUS_SAMPLES.items():
        branches = resolve_pointer(load_spec(SPECS, file), pointer)["oneOf"]
        assert len(branches) > 1 and all(schema_problems(file, b, sample) == [] for b in branches), pointer
        (strict,) = schema_problems(file, {"oneOf": branches}, sample)
        assert "is valid under each of" in strict
