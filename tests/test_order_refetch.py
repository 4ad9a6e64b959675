"""An order is re-fetched with its consignments: products and shipping addresses come in the order call.

GET /v2/orders/{id}?include=consignments.line_items&consignment_structure=object answers what
/products and /shipping_addresses would, two calls fewer per order. Whenever that answer may be
incomplete (BigCommerce ignored the include, cut a consignment at 50 line items, linked the line items,
or the counts disagree with the order's), the two separate calls are made instead; backfill, which has
the order from the list already, makes them too. Either way the snapshot comes out the same.
"""

import pytest

from referrals.models import OrderSnapshot
from referrals.orders.sync import order_sync
from sandbox import faults
from sandbox.bigcommerce import world as bc_world
from storefront.clients import bigcommerce_for
from storefront.models import OutboundCall

pytestmark = pytest.mark.django_db

WITH_CONSIGNMENTS = "include=consignments.line_items&consignment_structure=object"
BUNDLE = [
    {"name": "Kit", "price": "30.00", "sku": "KIT"},
    {"name": "Kit part", "price": "0", "sku": "KIT-PART", "parent": 0},
    {"name": "Mug", "price": "12.00", "quantity": 2, "sku": "MUG"},
]
DIGITAL = [
    {"name": "E-book", "price": "9.00", "sku": "EBOOK", "type": "digital"},
    {"name": "Gift card", "price": "25.00", "sku": "GIFT", "type": "giftcertificate"},
]
OVER_50 = [{"name": f"Item {n}", "price": "1.00", "sku": f"ITEM-{n}"} for n in range(60)]


def _order(store, products):
    """A paid order in the sandbox, the call log emptied of the store's set-up (webhook registration)."""
    _paths_called(store)
    return bc_world.create_order(store.store_hash, email="ann@example.com", status_id=11, products=products)


def _paths_called(store) -> list[str]:
    """The BigCommerce paths called so far (queries left out), and the log emptied for the next step."""
    calls = OutboundCall.objects.filter(store=store, service="bigcommerce").order_by("id")
    paths = [path.split("?")[0] for path in calls.values_list("path", flat=True)]
    calls.delete()
    return paths


def _snapshot_documents(store, order_id) -> dict:
    snapshot = OrderSnapshot.objects.get(store=store, bc_order_id=order_id)
    return {"line_items": snapshot.line_items, "shipping_addresses": snapshot.shipping_addresses}


def _raw_order_with_consignments(client, store, order_id) -> dict:
    """What the sandbox answers the consignments call, as JSON (to tamper with in a fault)."""
    url = f"/sandbox/bigcommerce/stores/{store.store_hash}/v2/orders/{order_id}?{WITH_CONSIGNMENTS}"
    return client.get(url, HTTP_X_AUTH_TOKEN=store.access_token).json()


def _answer_the_order_call_with(store, order_id, body) -> None:
    # The order call is the sync's first GET under /v2/orders/{id}, so it alone gets this answer.
    faults.inject(
        service="bigcommerce", status=200, method="GET", path_contains=f"/v2/orders/{order_id}", body=body
    )


def test_a_webhook_refetch_gets_products_and_shipping_addresses_in_the_order_call(lc_store):
    order = _order(lc_store, BUNDLE)

    order_sync(store=lc_store, order_id=order["id"])

    assert _paths_called(lc_store) == [
        f"/v2/orders/{order['id']}",
        f"/v2/orders/{order['id']}/coupons",
        f"/v3/orders/{order['id']}/transactions",
        # Ann's first paid order here: her earlier orders are asked once (referrals.orders.customer_history).
        "/v2/orders",
    ]
    second = _order(lc_store, BUNDLE)
    order_sync(store=lc_store, order_id=second["id"])
    assert "/v2/orders" not in _paths_called(lc_store)
    documents = _snapshot_documents(lc_store, order["id"])
    # The bundled part is priced in its kit's line.
    assert documents["line_items"] == [
        {"sku": "KIT", "name": "Kit", "quantity": 1, "price": "30.0000"},
        {"sku": "MUG", "name": "Mug", "quantity": 2, "price": "12.0000"},
    ]
    assert documents["shipping_addresses"] == [
        {
            "first_name": "Jane",
            "last_name": "Doe",
            "street_1": "455 Main Street",
            "street_2": "",
            "city": "Austin",
            "state": "Texas",
            "zip": "78751",
            "country_iso2": "US",
        }
    ]


@pytest.mark.parametrize(
    ("products", "trusted"),
    [(BUNDLE, True), (DIGITAL, True), (OVER_50, False)],
    ids=["bundled child", "digital, no shipping address", "over 50 line items"],
)
def test_the_consignments_and_the_separate_calls_give_the_same_snapshot(lc_store, products, trusted):
    order = _order(lc_store, products)
    separate_calls = {f"/v2/orders/{order['id']}/products", f"/v2/orders/{order['id']}/shipping_addresses"}

    order_sync(store=lc_store, order_id=order["id"])
    from_consignments = _snapshot_documents(lc_store, order["id"])
    assert separate_calls.isdisjoint(_paths_called(lc_store)) == trusted

    # Backfill's way: the order from the list, its products and shipping addresses asked for separately.
    OrderSnapshot.objects.filter(store=lc_store).update(line_items=[], shipping_addresses=[])
    (listed,) = bigcommerce_for(lc_store).iter_orders(min_id=order["id"], max_id=order["id"])
    _paths_called(lc_store)
    order_sync(store=lc_store, order_id=order["id"], order=listed)

    assert f"/v2/orders/{order['id']}/products" in _paths_called(lc_store)
    assert _snapshot_documents(lc_store, order["id"]) == from_consignments
    assert len(from_consignments["line_items"]) == len([p for p in products if "parent" not in p])
    assert bool(from_consignments["shipping_addresses"]) == (products is not DIGITAL)


def _without_consignments(body):
    del body["consignments"]


def _consignments_as_a_link(body):
    body["consignments"] = {
        "url": "https://api.bigcommerce.com/x",
        "resource": f"/orders/{body['id']}/consignments",
    }


def _legacy_array(body):
    body["consignments"] = [body["consignments"]]


def _line_items_as_links(body):
    shipping = body["consignments"]["shipping"][0]
    shipping["line_items"] = [
        {"url": "https://x", "resource": f"/orders/{body['id']}/products/{p['id']}"}
        for p in shipping["line_items"]
    ]


def _a_warning(body):
    body["consignments"]["shipping"][0]["__warning__"] = {"message": "Not all line items are returned."}


def _a_line_item_missing(body):
    body["consignments"]["shipping"][0]["line_items"].pop()


def _another_shipping_address(body):
    body["shipping_address_count"] = 2


def _counts_that_are_not_numbers(body):
    body["items_total"] = "several"


def _empty_consignments_and_no_items_total(body):
    body["consignments"] = {"pickups": [], "shipping": [], "downloads": [], "email": {"gift_certificates": []}}
    body.pop("items_total", None)
    body.pop("shipping_address_count", None)


@pytest.mark.parametrize(
    "tamper",
    [
        _without_consignments,
        _consignments_as_a_link,
        _legacy_array,
        _line_items_as_links,
        _a_warning,
        _a_line_item_missing,
        _another_shipping_address,
        _empty_consignments_and_no_items_total,
        _counts_that_are_not_numbers,
    ],
)
def test_an_order_call_that_may_be_incomplete_is_completed_by_the_separate_calls(client, lc_store, tamper):
    order = _order(lc_store, BUNDLE)
    body = _raw_order_with_consignments(client, lc_store, order["id"])
    tamper(body)
    _answer_the_order_call_with(lc_store, order["id"], body)

    order_sync(store=lc_store, order_id=order["id"])

    called = _paths_called(lc_store)
    assert f"/v2/orders/{order['id']}/products" in called
    assert f"/v2/orders/{order['id']}/shipping_addresses" in called
    tampered = _snapshot_documents(lc_store, order["id"])
    order_sync(store=lc_store, order_id=order["id"])
    assert tampered == _snapshot_documents(lc_store, order["id"])
    assert [item["sku"] for item in tampered["line_items"]] == ["KIT", "MUG"]


def test_line_items_of_every_consignment_kind_are_taken(client, lc_store):
    """Pickups too (the sandbox takes no pickup orders, so one is made of the shipping consignment)."""
    order = _order(lc_store, BUNDLE + DIGITAL)
    body = _raw_order_with_consignments(client, lc_store, order["id"])
    consignments = body["consignments"]
    shipping = consignments["shipping"].pop()
    consignments["pickups"] = [{"id": 99, "pickup_method_id": 1, "line_items": shipping["line_items"]}]
    body["shipping_address_count"] = 0
    _answer_the_order_call_with(lc_store, order["id"], body)

    order_sync(store=lc_store, order_id=order["id"])

    called = _paths_called(lc_store)
    assert f"/v2/orders/{order['id']}/products" not in called
    documents = _snapshot_documents(lc_store, order["id"])
    assert [item["sku"] for item in documents["line_items"]] == ["KIT", "MUG", "EBOOK", "GIFT"]
    assert documents["shipping_addresses"] == []


def test_items_total_is_trusted_whether_or_not_it_counts_bundled_children(client, lc_store):
    order = _order(lc_store, BUNDLE)
    body = _raw_order_with_consignments(client, lc_store, order["id"])
    body["items_total"] -= 1  # the kit's part left out of the count
    _answer_the_order_call_with(lc_store, order["id"], body)

    order_sync(store=lc_store, order_id=order["id"])

    assert f"/v2/orders/{order['id']}/products" not in _paths_called(lc_store)
