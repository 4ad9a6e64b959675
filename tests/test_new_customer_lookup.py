"""isNewCustomer from BigCommerce's own record: a customer's earlier orders are asked once, then our history answers."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from referrals.models import CustomerOrderHistory, OrderSnapshot
from referrals.orders.backfill import orders_backfill
from referrals.orders.identity import guest_customer_id, normalize_email
from sandbox import faults
from sandbox.bigcommerce import world as bc_world
from storefront.models import OutboundCall

pytestmark = pytest.mark.django_db(transaction=True)


def _order(store, **kwargs):
    kwargs.setdefault("email", "rita@example.com")
    return bc_world.create_order(store.store_hash, **kwargs)


def _list_queries(store) -> list[dict[str, list[str]]]:
    """The query of every GET /v2/orders (the list) the app made for this store."""
    calls = OutboundCall.objects.filter(store=store, service="bigcommerce", method="GET")
    return [
        parse_qs(urlsplit(call.path).query)
        for call in calls.order_by("id")
        if urlsplit(call.path).path.endswith("/v2/orders")
    ]


def _row(store, key) -> CustomerOrderHistory:
    return CustomerOrderHistory.objects.get(store=store, customer_key=key)


def test_a_returning_registered_customers_first_order_after_install_is_not_new(lc_store, purchases):
    customer = bc_world.create_customer(lc_store.store_hash, email="rita@example.com", first_name="Rita")
    # Bought last year, before the app was installed: no webhook, no snapshot.
    before = _order(lc_store, customer_id=customer["id"], status_id=10,
                    date_created=timezone.now() - timedelta(days=300))
    order = _order(lc_store, customer_id=customer["id"], status_id=11)
    bc_world.fire_order_event(lc_store.store_hash, order["id"])

    [sent] = purchases()
    assert sent["isNewCustomer"] is False
    assert "newCustomerGuessed" not in sent["additionalProperties"]
    [query] = _list_queries(lc_store)
    assert query["customer_id"] == [str(customer["id"])] and query["max_id"] == [str(order["id"] - 1)]
    assert "email" not in query
    row = _row(lc_store, str(customer["id"]))
    assert (row.source, row.earlier_order_id, row.asked_for_order_id) == ("bigcommerce", before["id"], order["id"])
    assert not OrderSnapshot.objects.filter(bc_order_id=before["id"]).exists()


def test_a_guest_is_looked_up_by_email_and_a_guest_with_earlier_orders_is_not_new(lc_store, purchases):
    _order(lc_store, email="Gus@Example.com", status_id=2)
    order = _order(lc_store, email="Gus@Example.com", status_id=11)
    bc_world.fire_order_event(lc_store.store_hash, order["id"])

    assert purchases()[0]["isNewCustomer"] is False
    [query] = _list_queries(lc_store)
    assert query["email"] == ["Gus@Example.com"] and "customer_id" not in query
    key = guest_customer_id(store_hash=lc_store.store_hash, normalized_email=normalize_email("gus@example.com"))
    assert _row(lc_store, key).source == "bigcommerce"


def test_earlier_orders_that_never_took_money_leave_the_customer_new(lc_store, purchases):
    customer = bc_world.create_customer(lc_store.store_hash, email="nia@example.com", first_name="Nia")
    for status in (0, 1, 5, 6, 7, 12):  # incomplete, pending, cancelled, declined, awaiting payment, verification
        _order(lc_store, customer_id=customer["id"], email="nia@example.com", status_id=status)
    order = _order(lc_store, customer_id=customer["id"], email="nia@example.com", status_id=11)
    bc_world.fire_order_event(lc_store.store_hash, order["id"])

    assert purchases()[0]["isNewCustomer"] is True
    row = _row(lc_store, str(customer["id"]))
    assert row.source == "bigcommerce" and row.earlier_order_id is None


def test_a_refunded_earlier_order_counts_as_a_purchase_made(lc_store, purchases):
    customer = bc_world.create_customer(lc_store.store_hash, email="ray@example.com", first_name="Ray")
    _order(lc_store, customer_id=customer["id"], email="ray@example.com", status_id=4)
    order = _order(lc_store, customer_id=customer["id"], email="ray@example.com", status_id=11)
    bc_world.fire_order_event(lc_store.store_hash, order["id"])
    assert purchases()[0]["isNewCustomer"] is False


def test_each_customer_costs_at_most_one_lookup_and_our_history_answers_afterwards(lc_store, purchases):
    first = _order(lc_store, email="new@example.com", status_id=11)
    bc_world.fire_order_event(lc_store.store_hash, first["id"])
    second = _order(lc_store, email="new@example.com", status_id=11)
    bc_world.fire_order_event(lc_store.store_hash, second["id"])
    bc_world.set_order_status(lc_store.store_hash, second["id"], 2)
    bc_world.fire_order_event(lc_store.store_hash, second["id"], scope="store/order/statusUpdated")

    assert [p["isNewCustomer"] for p in purchases()] == [True, False]
    assert len(_list_queries(lc_store)) == 1


def test_a_customer_our_history_already_knows_as_a_buyer_costs_no_lookup(lc_store, purchases):
    earlier = _order(lc_store, email="known@example.com", status_id=11)
    orders_backfill(store=lc_store, since=timezone.now() - timedelta(days=1))
    assert OrderSnapshot.objects.get(bc_order_id=earlier["id"]).is_history
    order = _order(lc_store, email="known@example.com", status_id=11)
    bc_world.fire_order_event(lc_store.store_hash, order["id"])

    assert [p["isNewCustomer"] for p in purchases()] == [False]
    assert all("email" not in q and "customer_id" not in q for q in _list_queries(lc_store))  # the backfill's own
    key = guest_customer_id(store_hash=lc_store.store_hash, normalized_email="known@example.com")
    row = _row(lc_store, key)
    assert (row.source, row.earlier_order_id) == ("local", earlier["id"])


def test_a_backfill_asks_nothing_for_orders_it_records_as_history(lc_store, purchases):
    for n in range(3):
        _order(lc_store, email=f"old{n}@example.com", status_id=10)
    orders_backfill(store=lc_store, since=timezone.now() - timedelta(days=1))
    assert all("email" not in q and "customer_id" not in q for q in _list_queries(lc_store))
    assert not CustomerOrderHistory.objects.filter(store=lc_store).exists()
    assert purchases() == []


def test_a_failed_lookup_sends_the_purchase_from_our_history_marked_as_a_guess_and_asks_again_next_time(
    lc_store, purchases
):
    customer = bc_world.create_customer(lc_store.store_hash, email="fay@example.com", first_name="Fay")
    _order(lc_store, customer_id=customer["id"], email="fay@example.com", status_id=10)
    order = _order(lc_store, customer_id=customer["id"], email="fay@example.com", status_id=11)
    # The order list alone fails, past every retry of the transport.
    faults.inject(service="bigcommerce", status=503, times=20, method="GET", path_contains="/v2/orders$")
    bc_world.fire_order_event(lc_store.store_hash, order["id"])

    [sent] = purchases()
    assert sent["isNewCustomer"] is True  # all our own history knows
    assert sent["additionalProperties"]["newCustomerGuessed"] == "true"
    row = _row(lc_store, str(customer["id"]))
    assert row.source == "failed" and row.error.startswith("BigCommerce")

    # The next sync of a paid order of hers asks again; the purchase already sent stays as it was.
    faults.clear()
    bc_world.set_order_status(lc_store.store_hash, order["id"], 2)
    bc_world.fire_order_event(lc_store.store_hash, order["id"], scope="store/order/statusUpdated")
    row = _row(lc_store, str(customer["id"]))
    assert row.source == "bigcommerce" and row.earlier_order_id < order["id"]
    assert len(purchases()) == 1
