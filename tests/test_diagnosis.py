"""Each common cause of "my friend bought and I got nothing" is found and said in plain words."""
from datetime import timedelta

import pytest

from referrals.models import FriendbuyDelivery, ReviewHold, ValidationCallback
from referrals.support import diagnosis
from referrals.support.selectors import customer_file
from tests.fixtures_support import T0

pytestmark = pytest.mark.django_db


def _file(store, **keys):
    return customer_file(store_id=store.pk, **keys)


def _codes(findings):
    return [f.code for f in findings]


def _callback(store, order_id, status, reason=""):
    delivery = FriendbuyDelivery.objects.create(store=store, kind="validation", public_id="p", valid=True,
                                                status="answered")
    return ValidationCallback.objects.create(store=store, delivery=delivery, bc_order_id=order_id,
                                             order_reference=str(order_id), answer_status=status, reason=reason)


def test_no_attribution_signal_on_the_friends_order(build):
    build.order(10, email="friend@example.com")
    f = _file(build.store, normalized_email="friend@example.com")
    finding = diagnosis.check_no_attribution(f, diagnosis.focus_order(f))
    assert finding.severity == "error"
    assert "Order 10 carried no referral signal" in finding.message
    assert "link the order to the advocate's referral by hand" in finding.message


def test_no_attribution_mentions_a_capture_made_on_another_device(build):
    from referrals.models import AttributionCapture

    build.order(10, email="friend@example.com")
    AttributionCapture.objects.create(store=build.store, device_id="d1", email="friend@example.com",
                                      referral_code="ADV-1", signature_valid=True)
    f = _file(build.store, normalized_email="friend@example.com")
    assert "referral visit WAS captured" in diagnosis.check_no_attribution(f, diagnosis.focus_order(f)).message


def test_attributed_order_has_no_no_attribution_finding(build):
    order = build.order(10)
    build.attribution(order)
    f = _file(build.store, bc_order_id=10)
    assert diagnosis.check_no_attribution(f, diagnosis.focus_order(f)) is None


def test_friend_was_an_existing_customer(build):
    build.order(5, email="friend@example.com", at=T0 - timedelta(days=60))
    order = build.order(10, email="friend@example.com")
    build.purchase_event(order, is_new=False)
    f = _file(build.store, bc_order_id=10)
    finding = diagnosis.check_existing_customer(f, diagnosis.focus_order(f, bc_order_id=10))
    assert finding.code == "existing_customer"
    assert "already a customer (earlier paid order 5" in finding.message and "isNewCustomer false" in finding.message


def test_below_minimum_spend(build):
    order = build.order(10, subtotal="30.00")
    build.reward("RW-MIN", order=order, state="pending", min_order_amount="50")
    f = _file(build.store, bc_order_id=10)
    finding = diagnosis.check_below_minimum(f, diagnosis.focus_order(f, bc_order_id=10))
    assert "spent 30.00 USD, below the 50.00 minimum" in finding.message


def test_below_minimum_from_our_validation_answer(build):
    build.order(10, subtotal="30.00")
    _callback(build.store, 10, 400, "Order below minimum spend")
    f = _file(build.store, bc_order_id=10)
    assert diagnosis.check_below_minimum(f, diagnosis.focus_order(f, bc_order_id=10)).code == "below_minimum"


@pytest.mark.parametrize(("kwargs", "word"), [({"status_id": 4, "refunded": True}, "refunded"),
                                              ({"status_id": 5, "cancelled": True}, "cancelled")])
def test_order_refunded_or_cancelled(build, kwargs, word):
    build.order(10, **kwargs)
    f = _file(build.store, bc_order_id=10)
    finding = diagnosis.check_reversed(f, diagnosis.focus_order(f, bc_order_id=10))
    assert f"Order 10 was {word}" in finding.message


def test_still_inside_the_hold_period(build):
    order = build.order(10)
    build.reward("RW-P", order=order, state="pending")
    _callback(build.store, 10, 503, "Order too recent")
    f = _file(build.store, bc_order_id=10)
    finding = diagnosis.check_hold_period(f, diagnosis.focus_order(f, bc_order_id=10))
    assert "still pending: it is inside the hold period" in finding.message and "503" in finding.message


def test_held_for_review_names_the_rule_and_evidence(build):
    order = build.order(10)
    build.assessment(order, decision="hold", rule="shared_ip", evidence={"ip": "198.51.100.4"})
    f = _file(build.store, bc_order_id=10)
    finding = diagnosis.check_held_for_review(f, diagnosis.focus_order(f, bc_order_id=10))
    assert "held for fraud review" in finding.message and "shared_ip (ip=198.51.100.4)" in finding.message


def test_rejected_by_the_fraud_rules_names_the_rule_and_says_how_to_overturn(build):
    order = build.order(10)
    build.assessment(order, decision="reject", rule="self_referral", evidence={"email": "same mailbox"})
    f = _file(build.store, bc_order_id=10)
    finding = diagnosis.check_rejected_by_fraud(f, diagnosis.focus_order(f, bc_order_id=10))
    assert finding.severity == "error"
    assert "rejected by the fraud rules" in finding.message and "self_referral (email=same mailbox)" in finding.message
    assert diagnosis.diagnose(f, bc_order_id=10)[0].code == "rejected_by_fraud"


def test_review_hold_without_assessment(build):
    build.order(10)
    ReviewHold.objects.create(store=build.store, bc_order_id=10, reason="Manual check")
    f = _file(build.store, bc_order_id=10)
    assert "Manual check" in diagnosis.check_held_for_review(f, diagnosis.focus_order(f)).message


@pytest.mark.parametrize(("state", "text"), [("issued", "not redeemed yet"), ("revoked", "was revoked"),
                                             ("expired", "expired unused")])
def test_code_issued_but_not_redeemed_expired_or_revoked(build, state, text):
    build.order(20, email="advocate@example.com", customer_id=900)
    build.reward("RW-C", customer_id="900", state=state, code="code77")
    f = _file(build.store, bc_customer_id=900)
    finding = diagnosis.check_codes(f, diagnosis.focus_order(f))
    assert "CODE77" in finding.message and text in finding.message


def test_event_to_friendbuy_failed_shows_the_response(build):
    order = build.order(10)
    build.purchase_event(order, state="dead", status=400, error="Invalid email",
                         response={"error": "Bad Request", "message": "email is invalid"})
    f = _file(build.store, bc_order_id=10)
    finding = diagnosis.check_event_failed(f, diagnosis.focus_order(f))
    assert finding.severity == "error"
    assert "could not be sent to Friendbuy" in finding.message and "email is invalid" in finding.message


def test_all_good_says_when_issued_and_redeemed(build):
    friend = build.order(10)
    build.attribution(friend)
    build.reward("RW-OK", order=friend, state="redeemed", code="good10", redeemed_on=11)
    f = _file(build.store, bc_order_id=10)
    finding = diagnosis.check_all_good(f, diagnosis.focus_order(f))
    assert finding.message.startswith("All good: advocate reward RW-OK")
    assert "code GOOD10" in finding.message and "redeemed on" in finding.message


def test_diagnose_orders_findings_worst_first(build):
    order = build.order(10, status_id=4, refunded=True)
    build.reward("RW-X", order=order, state="redeemed", code="x1")
    severities = [f.severity for f in diagnosis.diagnose(_file(build.store, bc_order_id=10), bc_order_id=10)]
    assert severities == sorted(severities, key=diagnosis.SEVERITY_ORDER.get)


def test_nothing_found_when_there_is_no_data(build):
    findings = diagnosis.diagnose(_file(build.store, normalized_email="ghost@example.com"))
    assert _codes(findings) == ["nothing_found"]
