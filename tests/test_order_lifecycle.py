"""Orders: re-fetched on every webhook, snapshotted, purchase sent once when first paid, later changes recorded."""

from decimal import Decimal

import pytest

from referrals.attribution.services import AttributionInfo
from referrals.models import (
    AttributionCapture,
    CustomerIdentity,
    FriendCode,
    OrderEvent,
    OrderSnapshot,
    OutboxEvent,
    StoreSettings,
)
from referrals.orders.identity import guest_customer_id, normalize_email
from referrals.orders.purchase import purchase_payload
from referrals.orders.signals import order_event_recorded
from referrals.orders.sync import order_sync
from sandbox.bigcommerce import world as bc_world

pytestmark = pytest.mark.django_db(transaction=True)

PRODUCTS = [
    {"name": "Mug", "price": "30.00", "quantity": 2, "sku": "MUG-1"},
    {"name": "Tee", "price": "40.00", "quantity": 1, "sku": "TEE-1"},
]


def _order(store, **kwargs):
    kwargs.setdefault("email", "Ann.Smith+promo@GMail.com")
    kwargs.setdefault("products", PRODUCTS)
    return bc_world.create_order(store.store_hash, **kwargs)


def _kinds(order_id):
    return list(OrderEvent.objects.filter(order__bc_order_id=order_id).values_list("kind", flat=True))


def test_paid_order_sends_one_purchase_with_the_documented_fields(lc_store, purchases):
    # FRIEND-10 was handed out by Friendbuy (its friendIncentive webhook told us).
    FriendCode.objects.create(store=lc_store, code="FRIEND-10", source="friendIncentive")
    customer = bc_world.create_customer(lc_store.store_hash, email="ann@example.com", first_name="Ann")
    order = _order(
        lc_store,
        customer_id=customer["id"],
        email="ann@example.com",
        status_id=11,
        coupons=[{"code": "FRIEND-10", "amount": "10.00"}],
        shipping_cost="5.00",
        billing_address={"first_name": "Ann", "last_name": "Smith"},
    )
    bc_world.fire_order_event(lc_store.store_hash, order["id"])
    [sent] = purchases()
    assert sent["orderId"] == str(order["id"])
    assert sent["customerId"] == str(customer["id"])
    assert sent["email"] == "ann@example.com"
    assert sent["firstName"] == "Ann" and sent["lastName"] == "Smith"
    # subtotal 100 ex tax - 10 coupon; shipping and tax excluded.
    assert sent["amount"] == 90.0
    assert sent["currency"] == "USD"
    assert sent["isNewCustomer"] is True
    assert sent["couponCode"] == "FRIEND-10"
    assert sent["products"] == [
        {"sku": "MUG-1", "name": "Mug", "quantity": 2, "price": 30.0},
        {"sku": "TEE-1", "name": "Tee", "quantity": 1, "price": 40.0},
    ]
    assert sent["ipAddress"] == "203.0.113.10"
    assert {"bcOrderStatus": "11", "channelId": "1"}.items() <= sent["additionalProperties"].items()
    assert all(isinstance(v, str) for v in sent["additionalProperties"].values())
    snapshot = OrderSnapshot.objects.get(store=lc_store, bc_order_id=order["id"])
    assert snapshot.subtotal_ex_tax == Decimal("100") and snapshot.coupon_discount == Decimal("10")
    assert snapshot.coupon_codes == ["FRIEND-10"] and snapshot.is_paid and snapshot.first_paid_at
    assert _kinds(order["id"]) == ["created", "paid"]


def test_guest_gets_the_stable_surrogate_customer_id(lc_store, purchases):
    order = _order(lc_store, status_id=11)
    bc_world.fire_order_event(lc_store.store_hash, order["id"])
    expected = guest_customer_id(store_hash=lc_store.store_hash, normalized_email="annsmith@gmail.com")
    assert purchases()[0]["customerId"] == expected
    assert expected.startswith("guest-") and len(expected) == len("guest-") + 24
    identity = CustomerIdentity.objects.get(store=lc_store)
    assert identity.is_guest and identity.friendbuy_customer_id == expected


@pytest.mark.parametrize("status_id", [0, 1, 5, 6, 7, 12, 13])
def test_unpaid_statuses_send_nothing(lc_store, purchases, status_id):
    order = _order(lc_store, status_id=status_id)
    bc_world.fire_order_event(lc_store.store_hash, order["id"])
    assert purchases() == []
    assert OrderSnapshot.objects.get(bc_order_id=order["id"]).first_paid_at is None


def test_pending_then_paid_sends_once_and_later_changes_send_nothing_more(lc_store, purchases):
    order = _order(lc_store, status_id=1)
    bc_world.fire_order_event(lc_store.store_hash, order["id"])
    assert purchases() == []
    for status_id in (11, 2, 10):
        bc_world.set_order_status(lc_store.store_hash, order["id"], status_id)
        bc_world.fire_order_event(lc_store.store_hash, order["id"], scope="store/order/statusUpdated")
    assert len(purchases()) == 1
    refund = bc_world.refund_order(lc_store.store_hash, order["id"], amount="20.00")
    bc_world.fire_order_event(
        lc_store.store_hash, order["id"], scope="store/order/refund/created", refund_id=refund["id"]
    )
    snapshot = OrderSnapshot.objects.get(bc_order_id=order["id"])
    assert snapshot.refunded_amount == Decimal("20.00")
    assert "partially_refunded" in _kinds(order["id"])
    bc_world.set_order_status(lc_store.store_hash, order["id"], 5)
    bc_world.fire_order_event(lc_store.store_hash, order["id"], scope="store/order/statusUpdated")
    snapshot.refresh_from_db()
    assert snapshot.cancelled_at is not None and "cancelled" in _kinds(order["id"])
    assert len(purchases()) == 1
    assert OutboxEvent.objects.filter(kind="purchase").count() == 1


def test_full_refund_and_dispute_are_recorded(lc_store, purchases):
    order = _order(lc_store, status_id=11)
    bc_world.fire_order_event(lc_store.store_hash, order["id"])
    bc_world.refund_order(lc_store.store_hash, order["id"])
    bc_world.fire_order_event(lc_store.store_hash, order["id"], scope="store/order/updated")
    bc_world.set_order_status(lc_store.store_hash, order["id"], 13)
    bc_world.fire_order_event(lc_store.store_hash, order["id"], scope="store/order/statusUpdated")
    snapshot = OrderSnapshot.objects.get(bc_order_id=order["id"])
    kinds = _kinds(order["id"])
    assert "refunded" in kinds and "disputed" in kinds
    assert snapshot.refunded_at is not None and snapshot.disputed_at is not None
    assert snapshot.refunded_amount == snapshot.total_inc_tax
    assert len(purchases()) == 1


def test_status_updated_before_created_converges(lc_store, purchases):
    order = _order(lc_store, status_id=11)
    bc_world.fire_order_event(
        lc_store.store_hash, order["id"], scope="store/order/statusUpdated", previous_status_id=1
    )
    bc_world.fire_order_event(lc_store.store_hash, order["id"], scope="store/order/created")
    assert len(purchases()) == 1
    snapshot = OrderSnapshot.objects.get(bc_order_id=order["id"])
    assert snapshot.status_id == 11 and snapshot.is_paid


def test_cancelled_order_seen_first_is_never_sent_even_after_a_late_created_webhook(lc_store, purchases):
    order = _order(lc_store, status_id=11)
    bc_world.set_order_status(lc_store.store_hash, order["id"], 5)
    bc_world.fire_order_event(lc_store.store_hash, order["id"], scope="store/order/statusUpdated")
    bc_world.fire_order_event(lc_store.store_hash, order["id"])
    assert purchases() == []


def test_is_new_customer_is_false_after_an_earlier_paid_order_by_the_same_normalised_email(
    lc_store, purchases
):
    first = _order(lc_store, status_id=11, email="ann.smith@gmail.com")
    second = _order(lc_store, status_id=11, email="AnnSmith+again@googlemail.com")
    bc_world.fire_order_event(lc_store.store_hash, first["id"])
    bc_world.fire_order_event(lc_store.store_hash, second["id"])
    assert [p["isNewCustomer"] for p in purchases()] == [True, False]
    assert len({p["customerId"] for p in purchases()}) == 1


def test_the_stores_own_coupon_is_not_sent_as_friendbuy_coupon_code(lc_store, purchases):
    order = _order(lc_store, status_id=11, coupons=[{"code": "SPRING-SALE", "amount": "10.00"}])
    bc_world.fire_order_event(lc_store.store_hash, order["id"])
    [sent] = purchases()
    assert "couponCode" not in sent
    assert OrderSnapshot.objects.get(bc_order_id=order["id"]).coupon_codes == ["SPRING-SALE"]


def test_a_friend_code_the_storefront_saw_friendbuy_hand_out_is_sent_beside_the_stores_own(lc_store, purchases):
    AttributionCapture.objects.create(store=lc_store, device_id="d-1", friend_coupon="friend-abc")
    order = _order(
        lc_store,
        status_id=11,
        coupons=[{"code": "SPRING-SALE", "amount": "5.00"}, {"code": "FRIEND-ABC", "amount": "10.00"}],
    )
    bc_world.fire_order_event(lc_store.store_hash, order["id"])
    assert purchases()[0]["couponCode"] == "FRIEND-ABC"


def test_without_a_friendbuy_code_the_attribution_id_and_referral_code_still_attribute(lc_store):
    order = _order(lc_store, status_id=1, coupons=[{"code": "SPRING-SALE", "amount": "10.00"}])
    snapshot = order_sync(store=lc_store, order_id=order["id"])
    payload = purchase_payload(
        snapshot=snapshot,
        identity=None,
        attribution=AttributionInfo(attribution_id="attr-1", referral_code="ref-1"),
        amount_field="subtotal_ex_tax",
    )
    assert "couponCode" not in payload
    assert (payload["attributionId"], payload["referralCode"]) == ("attr-1", "ref-1")


def test_purchase_amount_field_setting_is_honoured(lc_store, purchases):
    StoreSettings.objects.create(store=lc_store, purchase_amount_field="total_inc_tax")
    order = _order(lc_store, status_id=11, shipping_cost="5.00", coupons=[{"code": "X", "amount": "10.00"}])
    bc_world.fire_order_event(lc_store.store_hash, order["id"])
    assert purchases()[0]["amount"] == 95.0


def test_order_events_are_announced_to_subscribers(lc_store):
    heard = []

    def receiver(sender, event, **kwargs):
        heard.append(event.kind)

    order_event_recorded.connect(receiver)
    try:
        order = _order(lc_store, status_id=11)
        bc_world.fire_order_event(lc_store.store_hash, order["id"])
    finally:
        order_event_recorded.disconnect(receiver)
    assert heard == ["created", "paid"]


def test_an_order_gone_from_bigcommerce_is_skipped(lc_store):
    assert order_sync(store=lc_store, order_id=999999) is None
    assert not OrderSnapshot.objects.exists()


def test_store_without_friendbuy_keeps_snapshots_and_sends_nothing(lc_store, purchases):
    lc_store.friendbuy.delete()
    order = _order(lc_store, status_id=11)
    bc_world.fire_order_event(lc_store.store_hash, order["id"])
    assert OrderSnapshot.objects.get(bc_order_id=order["id"]).first_paid_at is not None
    assert not OutboxEvent.objects.exists()


def test_normalize_email_rules():
    assert normalize_email("  A.B+x@GoogleMail.com ") == "ab@gmail.com"
    assert normalize_email("a.b+x@outlook.com") == "a.b@outlook.com"
    assert normalize_email("a.b+x@example.com") == "a.b+x@example.com"
    assert normalize_email("") == ""


def test_demo_orders_send_two_purchases_and_skip_the_cancelled_one(lc_store, purchases):
    from sandbox.demo.orders import play_demo_orders

    result = play_demo_orders(store=lc_store)
    assert result["snapshots"] == 3 and result["purchases_sent"] == 2 and result["sign_ups_sent"] == 1
    sent = {p["orderId"]: p for p in purchases()}
    assert set(sent) == {str(result["regular_order"]), str(result["guest_order"])}
    assert not sent[str(result["regular_order"])].get("couponCode")  # the store's own coupon is not Friendbuy's
    assert sent[str(result["guest_order"])]["customerId"].startswith("guest-")
