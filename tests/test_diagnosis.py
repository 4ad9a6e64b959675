"""The diagnosis decision table: for each referral the person is in, the first step that did not happen,
in plain words, with the next step and the support action that takes it — one test per case."""
from datetime import timedelta

import pytest
from django.utils import timezone

from coupons.models import CouponCode, CouponTemplate
from fraud.rules import DEFAULTS
from referrals.models import (
    AttributionCapture,
    FriendbuyConnection,
    FriendbuyDelivery,
    FriendCode,
    ReviewHold,
    ValidationCallback,
)
from referrals.support import actions as support_actions
from referrals.support import diagnosis
from referrals.support.admin import ACTIONS
from referrals.support.selectors import customer_file
from tests.fixtures_support import T0

pytestmark = pytest.mark.django_db

WHEN = diagnosis._when


def _diagnose(store, **keys):
    return diagnosis.diagnose(customer_file(store_id=store.pk, **keys), bc_order_id=keys.get("bc_order_id"))


def _first(store, **keys):
    return _diagnose(store, **keys)[0]


def _callback(store, order_id, status, reason=""):
    delivery = FriendbuyDelivery.objects.create(store=store, kind="validation", public_id=f"p{order_id}{status}",
                                                valid=True, status="answered")
    return ValidationCallback.objects.create(store=store, delivery=delivery, bc_order_id=order_id,
                                             order_reference=str(order_id), answer_status=status, reason=reason)


def _referred(build, order_id=10, **kwargs):
    order = build.order(order_id, **kwargs)
    build.attribution(order)
    return order


def test_every_fraud_rule_has_words():
    assert set(DEFAULTS) <= set(diagnosis.RULE_WORDS)


def test_every_row_names_a_support_action_the_lookup_page_knows():
    assert {s.action for s in diagnosis.STEPS if s.action} <= set(ACTIONS)


def test_friend_never_visited_a_referral_link(build):
    order = build.order(10, email="friend@example.com")
    finding = _first(build.store, normalized_email="friend@example.com")
    assert finding.code == "never_visited" and finding.severity == "error"
    assert finding.message == (f"The friend never visited a referral link: order 10 ($100.00, placed {WHEN(T0)} by "
                               "friend@example.com) carried no referral link, code or friend coupon, and no referral "
                               "visit was ever recorded for them.")
    assert "link the order to the advocate's referral by hand" in finding.next_step
    assert (finding.action, finding.target, finding.role) == ("link_order", order.pk, "friend")


def test_visited_but_ordered_on_another_device_with_no_code(build):
    build.order(10, email="friend@example.com")
    capture = AttributionCapture.objects.create(store=build.store, device_id="phone", email="friend@example.com",
                                                referral_code="ADA-REF", advocate_customer_id="900",
                                                signature_valid=True)
    finding = _first(build.store, normalized_email="friend@example.com")
    assert finding.code == "other_device"
    assert finding.message == (f"The friend visited 900's referral link on {WHEN(capture.created_at)} (code ADA-REF) "
                               f"but order 10 ($100.00, placed {WHEN(T0)}) carried no code and no link: it was most "
                               "likely placed on another device or browser.")
    assert "code ADA-REF" in finding.next_step and finding.action == "link_order"


def test_used_another_advocates_link_first(build):
    placed = timezone.now()
    order = build.order(10, at=placed)
    earlier = AttributionCapture.objects.create(store=build.store, device_id="laptop", email=order.email,
                                                referral_code="BEN-REF", advocate_customer_id="901",
                                                signature_valid=True)
    AttributionCapture.objects.filter(pk=earlier.pk).update(created_at=placed - timedelta(days=3))
    build.attribution(order, referral_code="ADA-REF")
    findings = _diagnose(build.store, bc_order_id=10)
    assert findings[0].code == "another_advocate_first"
    assert findings[0].message == (
        f"Order 10 was credited to the referral it carried (ADA-REF); the friend had also used 901's link "
        f"(code BEN-REF) on {WHEN(placed - timedelta(days=3))}, and that advocate gets nothing for it.")
    # A note: the walk goes on to the step that did not happen (the purchase was never sent).
    assert findings[1].code == "event_not_sent" and "was never queued" in findings[1].message


def test_ordered_with_a_code_but_not_paid_yet(build):
    _referred(build, status_id=7, paid=False)
    finding = _first(build.store, bc_order_id=10)
    assert finding.code == "not_paid"
    assert finding.message == (f"Order 10 ($100.00, placed {WHEN(T0)}) with referral code ADV-REF is not paid yet "
                               "(Awaiting Payment); Friendbuy hears of a referred order only once it is paid.")
    assert "replay the order's webhook" in finding.next_step


@pytest.mark.parametrize(("kwargs", "word", "at"), [({"status_id": 4, "refunded": True}, "refunded", T0 + timedelta(days=2)),
                                                    ({"status_id": 5, "cancelled": True}, "cancelled", T0 + timedelta(days=1))])
def test_order_refunded_or_cancelled(build, kwargs, word, at):
    _referred(build, **kwargs)
    finding = _first(build.store, bc_order_id=10)
    assert finding.code == "order_reversed"
    assert finding.message.startswith(f"Order 10 was {word} on {WHEN(at)}")
    assert "earns no reward" in finding.message


def test_below_the_campaigns_minimum_spend(build):
    order = build.order(10, subtotal="30.00", currency="EUR")
    build.reward("RW-MIN", order=order, state="pending", min_order_amount="50")
    finding = _first(build.store, bc_order_id=10)
    assert finding.code == "below_minimum"
    assert finding.message == ("Order 10 spent €30.00, below €50.00 the reward requires (the campaign's minimum "
                               "spend).")


def test_below_minimum_from_our_validation_answer(build):
    _referred(build, subtotal="30.00")
    _callback(build.store, 10, 400, "Order below minimum spend")
    finding = _first(build.store, bc_order_id=10)
    assert finding.code == "below_minimum" and "Order below minimum spend" in finding.message


def test_friend_was_not_a_new_customer(build):
    build.order(5, email="friend@example.com", at=T0 - timedelta(days=60))
    order = _referred(build, email="friend@example.com")
    build.purchase_event(order, is_new=False)
    finding = _first(build.store, bc_order_id=10)
    assert finding.code == "existing_customer"
    assert finding.message == (f"The friend was not a new customer (earlier paid order 5 on "
                               f"{WHEN(T0 - timedelta(days=60))}): order 10 was sent to Friendbuy with isNewCustomer "
                               "false, and the referral campaign rewards new customers only.")


def test_self_referral_rejected_names_the_rule_in_words_and_how_to_overturn(build):
    order = _referred(build)
    assessment = build.assessment(order, decision="reject", rule="self_referral", evidence={"email": "same mailbox"})
    finding = _first(build.store, bc_order_id=10)
    assert finding.code == "rejected_by_fraud" and finding.severity == "error"
    assert finding.message == (f"The referred order 10 was rejected by the fraud rules on {WHEN(T0)}: self-referral: the "
                               "friend is the advocate (same customer, email or mailbox) (email same mailbox). No "
                               "reward is paid for it and Friendbuy's validation call is answered 400.")
    assert "overturns it with Approve" in finding.next_step
    assert finding.link == f"/admin/fraud/assessment/{assessment.pk}/decide/"


def test_held_for_review_says_since_when_and_who_can_approve(build):
    order = _referred(build)
    reward = build.reward("RW-H", order=order, state="pending")
    assessment = build.assessment(order, decision="hold", rule="shared_ip", evidence={"ip": "198.51.100.4"})
    finding = _first(build.store, bc_order_id=10)
    assert finding.code == "held_for_review"
    assert finding.message == (f"The referred order 10 is held for fraud review since {WHEN(assessment.created_at)}: "
                               "the same IP address placed several referred orders (ip 198.51.100.4).")
    assert finding.next_step.startswith("the store owner or a store user with the act support role (Support in the "
                                        "app), or a Support staff user approves or rejects it")
    assert (finding.action, finding.target) == ("approve_reward", reward.pk)


def test_review_hold_without_an_assessment(build):
    _referred(build)
    hold = ReviewHold.objects.create(store=build.store, bc_order_id=10, reason="Manual check")
    finding = _first(build.store, bc_order_id=10)
    assert finding.message == f"The order 10 is held for fraud review since {WHEN(hold.created_at)}: Manual check."


def test_purchase_event_dead_lettered_offers_the_replay(build):
    order = _referred(build)
    event = build.purchase_event(order, state="dead", status=400, error="Invalid email",
                                 response={"error": "Bad Request", "message": "email is invalid"})
    finding = _first(build.store, bc_order_id=10)
    assert finding.code == "event_failed" and finding.severity == "error"
    assert finding.message == ("The purchase event purchase:10 is dead-lettered after 12 attempts (HTTP 400): error: "
                               "Bad Request; message: email is invalid. Friendbuy never received the purchase.")
    assert (finding.action, finding.target) == ("resend_event", event.pk)


def test_purchase_sent_and_friendbuy_has_not_rewarded_yet(build):
    order = _referred(build)
    event = build.purchase_event(order, referral_code="ADV-REF")
    finding = _first(build.store, bc_order_id=10)
    assert finding.code == "awaiting_friendbuy"
    assert finding.message == (f"Order 10 was sent to Friendbuy as referred by referral code ADV-REF on "
                               f"{WHEN(event.updated_at)} (HTTP 200), and Friendbuy has not rewarded the advocate "
                               "yet: the campaign's approval delay may still be running.")
    assert "Retailer App" in finding.next_step and "reward approval delay" in finding.next_step


def test_validation_callback_answered_400_says_why(build):
    order = _referred(build)
    build.purchase_event(order, referral_code="ADV-REF")
    callback = _callback(build.store, 10, 400, "Order 10 was cancelled")
    finding = _first(build.store, bc_order_id=10)
    assert finding.code == "validation_refused"
    assert finding.message == (f"Friendbuy asked us to confirm the reward for order 10 on {WHEN(callback.at)} and we "
                               "answered 400 (refused): Order 10 was cancelled.")


def test_still_inside_the_approval_period(build):
    order = _referred(build)
    build.reward("RW-P", order=order, state="pending")
    _callback(build.store, 10, 503, "Order too recent")
    finding = _first(build.store, bc_order_id=10)
    assert finding.code == "reward_pending"
    assert "Reward RW-P ($10.00) for order 10 is pending" in finding.message
    assert "was 503 on" in finding.message and "Order too recent" in finding.message


def test_reward_received_but_code_not_minted_says_why_and_offers_the_reissue(build, support_user):
    order = _referred(build)
    reward = build.reward("RW-A", order=order, state="approved")
    finding = _first(build.store, bc_order_id=10)
    assert finding.code == "code_not_minted"
    approved = reward.transitions.get(to_state="approved").at
    assert finding.message == (f"Reward RW-A ($10.00) was approved on {WHEN(approved)} but has no code yet: the code "
                               "was not made yet (the reward pool was empty or BigCommerce refused it); the "
                               "pending-issue sweep tries again.")
    assert (finding.action, finding.target) == ("reissue_code", reward.pk)
    # The action issues it now (the fake BigCommerce makes the code).
    support_actions.action_reissue_code(user=support_user, reward_id=reward.pk, reason="Ada wrote in")
    reward.refresh_from_db()
    assert reward.state == "issued" and reward.coupon is not None
    assert _first(build.store, bc_order_id=10).code == "code_unused"


def test_code_not_minted_because_no_template_covers_the_reward(build):
    order = _referred(build)
    CouponTemplate.objects.create(store=build.store, name="friends only", recipients=["friend"])
    build.reward("RW-T", order=order, state="approved")
    assert _first(build.store, bc_order_id=10).message.endswith(
        "no code template in the app settings makes codes for a discount reward for the advocate.")


def test_advocate_code_issued_but_unused(build):
    build.order(20, email="advocate@example.com", customer_id=900)  # her own order: no referral, not diagnosed
    reward = build.reward("RW-C", customer_id="900", state="issued", code="code77")
    expires = timezone.now() + timedelta(days=30)
    CouponCode.objects.filter(pk=reward.coupon_id).update(expires_at=expires)
    findings = _diagnose(build.store, bc_customer_id=900)
    assert [f.code for f in findings] == ["code_unused"]
    assert findings[0].role == "advocate"
    assert findings[0].message == (f"The referral worked: reward RW-C's code CODE77 ($10.00) was issued on "
                                   f"{WHEN(T0 + timedelta(days=1))} to advocate@example.com and has not been used yet; "
                                   f"it expires on {WHEN(expires)}.")


def test_advocate_code_expired(build):
    reward = build.reward("RW-E", customer_id="900", state="expired", code="code78")
    finding = _first(build.store, bc_customer_id=900)
    assert finding.code == "code_expired"
    assert finding.message == (f"Code CODE78 ($10.00, issued {WHEN(T0 + timedelta(days=1))}) expired unused on "
                               f"{WHEN(T0 + timedelta(days=91))}.")
    assert (finding.action, finding.target) == ("reissue_code", reward.pk)


def test_advocate_code_already_redeemed_says_on_which_order(build):
    friend = _referred(build)
    build.reward("RW-OK", order=friend, state="redeemed", code="good10", redeemed_on=11)
    finding = _first(build.store, bc_order_id=10)
    assert finding.code == "all_good" and finding.severity == "ok"
    assert finding.message.startswith("All good: advocate reward RW-OK ($10.00) for order 10 was issued on")
    assert "with code GOOD10 and redeemed on order 11 on" in finding.message


def test_code_revoked_after_a_refund(build):
    order = _referred(build, status_id=4, refunded=True)
    reward = build.reward("RW-R", order=order, state="revoked", code="gone10")
    CouponCode.objects.filter(pk=reward.coupon_id).update(disabled_at=T0 + timedelta(days=2, hours=1),
                                                          disabled_reason="Order 10 refunded")
    finding = _first(build.store, bc_order_id=10)
    assert finding.code == "code_revoked_after_refund"
    assert finding.message == (f"Code GONE10 was revoked on {WHEN(T0 + timedelta(days=2, hours=1))} because order 10 "
                               f"was refunded or cancelled ({WHEN(T0 + timedelta(days=2))}).")
    assert (finding.action, finding.target) == ("reissue_code", reward.pk)


def test_code_revoked_by_hand(build):
    build.reward("RW-V", customer_id="900", state="revoked", code="hand10")
    assert _first(build.store, bc_customer_id=900).message.startswith("Code HAND10 was revoked on")


def test_store_disconnected_from_friendbuy_at_the_time(build):
    order = _referred(build)
    event = build.purchase_event(order, state="pending", status=None, error="Friendbuy is not connected for this store.")
    FriendbuyConnection.objects.filter(store=build.store).delete()
    finding = _first(build.store, bc_order_id=10)
    assert finding.code == "store_disconnected"
    assert finding.message == (f"The store was not connected to Friendbuy when order 10 was placed on {WHEN(T0)} (the "
                               "store is still not connected), so Friendbuy could not hear of the purchase.")
    assert "Reconnect Friendbuy" in finding.next_step
    assert (finding.action, finding.target) == ("resend_event", event.pk)


def test_advocate_whose_friend_has_not_ordered(build):
    other = build.reward("RW-OTHER", customer_id="900", state="issued", code="x9")  # makes 900 known
    CouponCode.objects.filter(pk=other.coupon_id).update(expires_at=timezone.now() + timedelta(days=30))
    FriendCode.objects.create(store=build.store, code="FRIEND-9", friend_email="newfriend@example.com",
                              advocate_customer_id="900", advocate_email="advocate@example.com", source="emailCapture")
    codes = [f.code for f in _diagnose(build.store, bc_customer_id=900)]
    assert codes == ["code_unused", "friend_has_not_ordered"]
    last = _diagnose(build.store, bc_customer_id=900)[-1]
    assert last.message.startswith("newfriend@example.com got friend code FRIEND-9 on")


def test_the_order_searched_for_comes_first_and_each_referral_has_one_stopping_finding(build):
    order = _referred(build, status_id=4, refunded=True)
    build.reward("RW-X", order=order, state="redeemed", code="x1")
    findings = _diagnose(build.store, bc_order_id=10)
    assert [f.code for f in findings] == ["order_reversed"]


def test_nothing_found_when_there_is_no_data(build):
    findings = _diagnose(build.store, normalized_email="ghost@example.com")
    assert [f.code for f in findings] == ["nothing_found"]
    assert findings[0].next_step.startswith("Ask for the email used at checkout")
