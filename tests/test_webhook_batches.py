"""A batch of webhook deliveries from the inbox's queue: the deliveries of one order share one re-fetch
(BigCommerce fires created, statusUpdated and updated together when an order is placed); everything
else is processed one delivery at a time, as before."""

import pytest

from sandbox import faults
from sandbox.bigcommerce import world as bc_world
from storefront.models import OutboundCall, WebhookDelivery
from storefront.tasks import webhooks as tasks
from tests.fixtures_lifecycle import order_webhook

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(monkeypatch):
    """Deliveries are accepted and stored but not processed: the test runs the batch itself."""
    monkeypatch.setattr(tasks.process_webhook_deliveries, "delay", lambda ids: None)


def _deliver(post_webhook, store, *payloads) -> list[int]:
    for payload in payloads:
        assert post_webhook(store, payload).status_code == 200
    return list(WebhookDelivery.objects.order_by("id").values_list("pk", flat=True))


def _order_gets(order_id: int) -> int:
    return OutboundCall.objects.filter(method="GET", path__regex=rf"/v2/orders/{order_id}(\?|$)").count()


def _placed(store, order_id: int) -> list[dict]:
    """What BigCommerce sends when an order is placed: created, then statusUpdated, then updated."""
    return [
        order_webhook(store, order_id, scope="store/order/created", hash=f"c{order_id}"),
        order_webhook(
            store,
            order_id,
            scope="store/order/statusUpdated",
            hash=f"s{order_id}",
            status={"previous_status_id": 0, "new_status_id": 11},
        ),
        order_webhook(store, order_id, scope="store/order/updated", hash=f"u{order_id}"),
    ]


def test_the_deliveries_of_one_order_in_a_batch_cost_one_refetch(lc_store, post_webhook, queued, purchases):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    ids = _deliver(post_webhook, lc_store, *_placed(lc_store, order["id"]))

    tasks.process_webhook_deliveries(ids)

    deliveries = list(WebhookDelivery.objects.order_by("id"))
    assert [(d.status, d.attempts) for d in deliveries] == [("processed", 1)] * 3
    assert all(d.processed_at for d in deliveries)
    assert _order_gets(order["id"]) == 1
    assert [p["orderId"] for p in purchases()] == [str(order["id"])]


def test_the_events_of_a_shared_refetch_point_at_the_newest_delivery(lc_store, post_webhook, queued):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    ids = _deliver(post_webhook, lc_store, *_placed(lc_store, order["id"]))

    tasks.process_webhook_deliveries(ids)

    newest = WebhookDelivery.objects.get(pk=ids[-1])
    assert set(newest.order_events.values_list("kind", flat=True)) == {"created", "paid"}


def test_each_order_in_a_batch_is_refetched_once(lc_store, post_webhook, queued, purchases):
    first = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    second = bc_world.create_order(lc_store.store_hash, email="bob@example.com", status_id=11)
    ids = _deliver(post_webhook, lc_store, *_placed(lc_store, first["id"]), *_placed(lc_store, second["id"]))

    tasks.process_webhook_deliveries(ids)

    assert (_order_gets(first["id"]), _order_gets(second["id"])) == (1, 1)
    assert sorted(p["orderId"] for p in purchases()) == sorted([str(first["id"]), str(second["id"])])


def test_a_refund_delivery_in_the_group_makes_the_shared_refetch_read_the_refunds(
    lc_store, post_webhook, queued
):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    bc_world.refund_order(lc_store.store_hash, order["id"], amount="5.00")
    bc_world.set_order_status(lc_store.store_hash, order["id"], 11)  # a refund that left the status alone
    ids = _deliver(
        post_webhook,
        lc_store,
        order_webhook(lc_store, order["id"], scope="store/order/updated", hash="u"),
        order_webhook(
            lc_store, order["id"], scope="store/order/refund/created", hash="r", refund={"refund_id": 1}
        ),
    )

    tasks.process_webhook_deliveries(ids)

    assert (
        OutboundCall.objects.filter(path__contains=f"/orders/{order['id']}/payment_actions/refunds").count()
        == 1
    )
    newest = WebhookDelivery.objects.get(pk=ids[-1])
    assert newest.order_events.filter(kind="partially_refunded").exists()


def test_a_failed_shared_refetch_fails_every_delivery_of_the_group(lc_store, post_webhook, queued):
    order = bc_world.create_order(lc_store.store_hash, email="ann@example.com", status_id=11)
    ids = _deliver(post_webhook, lc_store, *_placed(lc_store, order["id"]))
    faults.inject(service="bigcommerce", status=500, times=20, path_contains=f"/orders/{order['id']}")

    tasks.process_webhook_deliveries(ids)

    deliveries = list(WebhookDelivery.objects.order_by("id"))
    assert {(d.status, d.attempts) for d in deliveries} == {("failed", 1)}
    assert all("500" in d.error for d in deliveries)


def test_customer_deliveries_are_not_merged(lc_store, post_webhook, queued, lc_merchant):
    from sandbox.friendbuy import world as fb_world

    customer = bc_world.create_customer(lc_store.store_hash, email="cat@example.com")
    hook = {"store_id": "1001", "created_at": 1561479335, "producer": f"stores/{lc_store.store_hash}"}
    ids = _deliver(
        post_webhook,
        lc_store,
        {
            **hook,
            "scope": "store/customer/created",
            "hash": "c",
            "data": {"type": "customer", "id": customer["id"]},
        },
        {
            **hook,
            "scope": "store/customer/updated",
            "hash": "u",
            "data": {"type": "customer", "id": customer["id"]},
        },
    )

    tasks.process_webhook_deliveries(ids)

    assert [d.status for d in WebhookDelivery.objects.order_by("id")] == ["processed", "processed"]
    assert OutboundCall.objects.filter(path__contains="/v3/customers").count() == 2
    assert len(fb_world.events(lc_merchant, "account-sign-up")) == 1
