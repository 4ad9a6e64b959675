"""Reward validation callback: 200 fulfil, 400 don't, 503 ask again — decided on the live order."""
import pytest

from referrals.models import FriendbuyDelivery, OrderSnapshot, ReviewHold, ValidationCallback
from sandbox import faults
from sandbox.bigcommerce import world as bc
from sandbox.friendbuy import world as fb

pytestmark = pytest.mark.django_db(transaction=True)


def _order(store, status_id=11):
    return bc.create_order(store.store_hash, email="fred@example.com", customer_id=0, status_id=status_id,
                           products=[{"name": "Mug", "price": "40.00", "quantity": 1}])


def _purchase(order_id):
    return fb.purchase_validation_body(order_id=str(order_id), amount=40, email="fred@example.com",
                                       customer_id="", advocate_email="ada@example.com", advocate_customer_id="101")


def test_paid_order_is_validated_200_and_snapshot_refreshed(friendbuy, reward_store):
    order = _order(reward_store)
    response = friendbuy.validate(_purchase(order["id"]))
    assert response.status_code == 200
    assert OrderSnapshot.objects.get(store=reward_store, bc_order_id=order["id"]).is_paid
    callback = ValidationCallback.objects.get()
    assert callback.answer_status == 200 and callback.bc_order_id == order["id"]
    assert callback.delivery.kind == FriendbuyDelivery.Kind.VALIDATION


@pytest.mark.parametrize(("status_id", "reason"), [(5, "Order cancelled"), (4, "Order refunded"),
                                                    (6, "Payment declined")])
def test_reversed_orders_are_invalidated_400_with_a_reason(friendbuy, reward_store, status_id, reason):
    order = _order(reward_store)
    friendbuy.validate(_purchase(order["id"]))
    bc.set_order_status(reward_store.store_hash, order["id"], status_id)
    response = friendbuy.validate(_purchase(order["id"]))
    assert response.status_code == 400 and response.json()["reason"] == reason


def test_live_refetch_sees_a_refund_the_snapshot_did_not_know(friendbuy, reward_store):
    order = _order(reward_store)
    assert friendbuy.validate(_purchase(order["id"])).status_code == 200
    bc.refund_order(reward_store.store_hash, order["id"])
    assert friendbuy.validate(_purchase(order["id"])).status_code == 400


def test_unknown_order_is_invalidated_400(friendbuy):
    response = friendbuy.validate(_purchase(999999))
    assert response.status_code == 400 and response.json()["reason"] == "Unknown order"


def test_pending_review_answers_503_and_rejection_400(friendbuy, reward_store):
    order = _order(reward_store)
    hold = ReviewHold.objects.create(store=reward_store, bc_order_id=order["id"], reason="same IP as advocate")
    assert friendbuy.validate(_purchase(order["id"])).status_code == 503
    hold.state = ReviewHold.State.REJECTED
    hold.save()
    response = friendbuy.validate(_purchase(order["id"]))
    assert response.status_code == 400 and response.json()["reason"] == "Rejected by fraud review"


def test_bigcommerce_unreachable_answers_503(friendbuy, reward_store):
    order = _order(reward_store)
    faults.inject(service="bigcommerce", status=500, times=20, path_contains=f"/orders/{order['id']}")
    assert friendbuy.validate(_purchase(order["id"])).status_code == 503


def test_unpaid_order_answers_503_not_final(friendbuy, reward_store):
    order = _order(reward_store, status_id=7)
    assert friendbuy.validate(_purchase(order["id"])).status_code == 503


def test_event_shape_with_recipient_type_is_accepted(friendbuy):
    body = fb.event_validation_body(event_type="mtu", recipient_type="friend", email="fred@example.com",
                                    customer_id="55", advocate_email="ada@example.com")
    response = friendbuy.validate(body)
    assert response.status_code == 200
    assert ValidationCallback.objects.get().recipient_type == "friend"


def test_event_shape_naming_an_order_checks_it(friendbuy, reward_store):
    order = _order(reward_store, status_id=5)
    body = fb.event_validation_body(event_type="purchase", recipient_type="advocate", email="fred@example.com",
                                    customer_id="55", advocate_email="ada@example.com")
    body["event"]["orderId"] = str(order["id"])
    assert friendbuy.validate(body).status_code == 400


def test_bad_signature_is_401_and_recorded(friendbuy, reward_store):
    order = _order(reward_store)
    response = friendbuy.validate(_purchase(order["id"]), secret="wrong")
    assert response.status_code == 401
    callback = ValidationCallback.objects.get()
    assert callback.answer_status == 401 and not callback.delivery.valid
