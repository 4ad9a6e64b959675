"""Decisions flow back into referrals: a held conversion keeps its rewards pending (no code minted) and the
reward validation callback answers 503; approving mints and answers 200; rejecting answers 400."""
import pytest

from fraud.models import Assessment, Decision, Signal
from fraud.services import assessment_decide
from referrals.models import AttributionCapture, OutboxEvent, ReviewHold, Reward
from referrals.orders.sync import order_sync
from sandbox.bigcommerce import world as bc
from sandbox.friendbuy import world as fb

pytestmark = pytest.mark.usefixtures("fraud_cache_clear")

FRIEND_EMAIL = "quick.friend@mailinator.com"
ADA_ADDRESS = {"street_1": "1 Advocate Way", "city": "Austin", "zip": "78701", "email": "ada@example.com"}
FRIEND_ADDRESS = {"street_1": "77 Friend Street", "city": "Boston", "zip": "02108", "email": FRIEND_EMAIL}


def _held_conversion(store, friendbuy):
    advocate = bc.create_customer(store.store_hash, email="ada@example.com", first_name="Ada")
    own = bc.create_order(store.store_hash, email="ada@example.com", customer_id=advocate["id"],
                          ip_address="198.51.100.1", billing_address=ADA_ADDRESS)
    order_sync(store=store, order_id=own["id"])
    friendbuy.webhook("emailCapture", [fb.email_capture_payload(
        email=FRIEND_EMAIL, advocate_email="ada@example.com", advocate_customer_id=str(advocate["id"]),
        coupon_code="FRIEND10")])
    order = bc.create_order(store.store_hash, email=FRIEND_EMAIL, coupons=[{"code": "FRIEND10", "amount": "10.00"}],
                            ip_address="198.51.100.2", billing_address=FRIEND_ADDRESS)
    order_sync(store=store, order_id=order["id"])
    return advocate, order


def _validate(friendbuy, order):
    return friendbuy.validate(fb.purchase_validation_body(
        order_id=str(order["id"]), amount=30, email=FRIEND_EMAIL, customer_id="", advocate_email="ada@example.com"))


def _conversion(store, order) -> Assessment:
    return Assessment.objects.get(store=store, subject_type=Assessment.SubjectType.CONVERSION,
                                  reference=str(order["id"]))


def test_held_conversion_keeps_the_reward_unminted_and_the_callback_answers_503(fraud_store, friendbuy):
    advocate, order = _held_conversion(fraud_store, friendbuy)

    assessment = _conversion(fraud_store, order)
    assert assessment.decision == Decision.HOLD
    assert {"disposable_email", "unreferred_code_use"} <= {hit["rule"] for hit in assessment.hits}
    assert ReviewHold.objects.get(store=fraud_store, bc_order_id=order["id"]).state == ReviewHold.State.PENDING
    assert _validate(friendbuy, order).status_code == 503

    item, _ = friendbuy.reward(email="ada@example.com", customer_id=str(advocate["id"]), orderId=str(order["id"]))
    reward = Reward.objects.get(store=fraud_store, friendbuy_reward_id=item["rewardId"])
    assert reward.state == Reward.State.PENDING
    assert reward.coupon is None


def test_approving_the_held_conversion_mints_the_reward_and_the_callback_answers_200(fraud_store, friendbuy,
                                                                                   django_user_model):
    advocate, order = _held_conversion(fraud_store, friendbuy)
    item, _ = friendbuy.reward(email="ada@example.com", customer_id=str(advocate["id"]), orderId=str(order["id"]))
    staff = django_user_model.objects.create_user("rita", password="pw")

    assessment_decide(assessment=_conversion(fraud_store, order), decision=Decision.APPROVE,
                      note="Called the friend: a real new customer", user=staff)

    reward = Reward.objects.select_related("coupon").get(store=fraud_store, friendbuy_reward_id=item["rewardId"])
    assert reward.state == Reward.State.ISSUED
    assert reward.coupon is not None and reward.coupon.state == "active"
    assert ReviewHold.objects.get(store=fraud_store, bc_order_id=order["id"]).state == ReviewHold.State.APPROVED
    assert _validate(friendbuy, order).status_code == 200


def test_rejecting_the_held_conversion_rejects_the_reward_and_the_callback_answers_400(fraud_store, friendbuy):
    advocate, order = _held_conversion(fraud_store, friendbuy)
    item, _ = friendbuy.reward(email="ada@example.com", customer_id=str(advocate["id"]), orderId=str(order["id"]))

    assessment_decide(assessment=_conversion(fraud_store, order), decision=Decision.REJECT,
                      note="Throwaway inbox, same household", decided_by="support")

    reward = Reward.objects.get(store=fraud_store, friendbuy_reward_id=item["rewardId"])
    assert reward.state == Reward.State.REJECTED
    assert reward.coupon is None
    assert _validate(friendbuy, order).status_code == 400


def test_assessing_a_referred_order_reuses_the_documents_its_sync_just_fetched(fraud_store, friendbuy):
    from storefront.models import OutboundCall

    _, order = _held_conversion(fraud_store, friendbuy)

    assert _conversion(fraud_store, order).decision == Decision.HOLD
    calls = OutboundCall.objects.filter(store=fraud_store, method="GET")
    assert calls.filter(path__regex=rf"/v2/orders/{order['id']}(\?|$)").count() == 1
    assert calls.filter(path__endswith=f"/v3/orders/{order['id']}/transactions").count() == 1


def test_a_referred_order_assessed_outside_its_sync_fetches_the_documents_itself(fraud_store, friendbuy):
    from referrals.models import OrderSnapshot
    from referrals.screening.assessment import _order_documents

    _, order = _held_conversion(fraud_store, friendbuy)
    snapshot = OrderSnapshot.objects.get(store=fraud_store, bc_order_id=order["id"])

    billing, transactions = _order_documents(snapshot)

    assert billing["email"] == FRIEND_EMAIL
    assert transactions and transactions[0]["event"] in ("purchase", "capture")


def test_unreferred_orders_record_signals_but_get_no_assessment(fraud_store, friendbuy):
    order = bc.create_order(fraud_store.store_hash, email="plain@example.com")
    order_sync(store=fraud_store, order_id=order["id"])
    assert not Assessment.objects.filter(store=fraud_store).exists()
    assert not ReviewHold.objects.filter(store=fraud_store).exists()
    assert _validate(friendbuy, order).status_code == 200


def test_purchase_payload_carries_the_fraud_inputs_for_friendbuy(fraud_store, friendbuy):
    _, order = _held_conversion(fraud_store, friendbuy)
    payload = OutboxEvent.objects.get(store=fraud_store, natural_key=f"purchase:{order['id']}").payload
    assert payload["ipAddress"] == "198.51.100.2"
    props = payload["additionalProperties"]
    assert props["disposableEmail"] == "true"
    assert len(props["emailNormalizedHash"]) == 64
    assert all(isinstance(value, str) for value in props.values())


def test_reward_code_used_by_someone_else_is_assessed_as_a_suspicious_redemption(fraud_store, friendbuy):
    item, _ = friendbuy.reward(email="owner@example.com", customer_id="501")
    code = Reward.objects.select_related("coupon").get(store=fraud_store, friendbuy_reward_id=item["rewardId"]).coupon
    stranger = bc.create_customer(fraud_store.store_hash, email="stranger@example.com")
    order = bc.create_order(fraud_store.store_hash, email="stranger@example.com", customer_id=stranger["id"],
                            coupons=[{"code": code.code, "amount": "20.00"}], ip_address="192.0.2.99")
    order_sync(store=fraud_store, order_id=order["id"])

    assessment = Assessment.objects.get(store=fraud_store, subject_type=Assessment.SubjectType.REDEMPTION)
    assert assessment.reference == f"{code.code}:{order['id']}"
    hit = {h["rule"]: h for h in assessment.hits}["suspicious_redemption"]
    assert "owne…@example.com" in hit["evidence"] and "stra…@example.com" in hit["evidence"]
    assert assessment.decision == Decision.HOLD


def test_referral_visits_record_normalised_signals(fraud_store):
    AttributionCapture.objects.create(store=fraud_store, device_id="dev-1", ip_address="192.0.2.1", user_agent="UA/1",
                                      referral_code="abc10", advocate_customer_id="7")
    kinds = dict(Signal.objects.filter(store=fraud_store, subject_kind="referral").values_list("kind", "value"))
    assert kinds["device"] == "dev-1" and kinds["ip"] == "192.0.2.1" and kinds["advocate"] == "7"
    assert kinds["coupon_code"] == "ABC10"
    assert len(kinds["ip_ua"]) == 64
