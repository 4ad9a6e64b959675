"""Attribution lookups for orders and sign-ups: link → cart → customer → email, latest trusted capture wins;
self-referrals and unsigned captures never attribute; order links are believed only for the order's cart."""
import uuid
from datetime import timedelta

from django.utils import timezone

from referrals.attribution.services import (
    AttributionInfo,
    attribution_for_customer,
    attribution_for_order,
    capture_record,
    friend_coupon_codes,
    is_captured_friend_coupon,
    order_link_record,
    visitor_status_signature_valid,
)
from referrals.models import AttributionCapture


def capture(world, *, device=None, cart="", customer_id=None, email="", code="sam42", signed=True,
            self_referral=False, coupon="", age_minutes=0, **payload):
    status = world.visitor_status(referralCode=code, isSelfReferral=self_referral, **payload)
    if not signed:
        status["signature"] = "bm90LWEtc2lnbmF0dXJl"
    row = capture_record(store=world.store, device_id=device or str(uuid.uuid4()), cart_id=cart,
                         visitor_status=status, friend_coupon=coupon, user_agent="UA-capture",
                         ip_address="192.0.2.1", customer_id=customer_id, email=email)
    if age_minutes:
        AttributionCapture.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(minutes=age_minutes))
    return row


def order(world, **kwargs):
    defaults = {"order_id": 500, "cart_id": None, "customer_id": None, "email": None}
    return attribution_for_order(store=world.store, **{**defaults, **kwargs})


def test_visitor_status_signature_is_checked_over_the_compact_payload_json(storefront_world):
    status = storefront_world.visitor_status()
    secret = storefront_world.connection.webhook_secret
    assert visitor_status_signature_valid(payload=status["payload"], signature=status["signature"], secret=secret)
    assert not visitor_status_signature_valid(payload={**status["payload"], "referralCode": "x"},
                                              signature=status["signature"], secret=secret)


def test_order_link_carries_device_user_agent_and_ip(storefront_world):
    row = capture(storefront_world, cart="cart-1", coupon="FRIEND10")
    order_link_record(store=storefront_world.store, order_id=500, device_id=row.device_id, cart_id="cart-1",
                      user_agent="UA-order", ip_address="198.51.100.2")
    info = order(storefront_world, cart_id="cart-1")
    assert info == AttributionInfo(attribution_id=row.attribution_id, referral_code="sam42", coupon_code="FRIEND10",
                                   device_id=row.device_id, user_agent="UA-order", ip_address="198.51.100.2")


def test_a_link_for_another_cart_is_not_believed(storefront_world):
    victim_capture = capture(storefront_world, cart="cart-attacker")
    order_link_record(store=storefront_world.store, order_id=500, device_id=victim_capture.device_id,
                      cart_id="cart-attacker", user_agent="UA")
    assert order(storefront_world, cart_id="cart-real") is None


def test_falls_back_to_cart_then_customer_then_email(storefront_world):
    by_email = capture(storefront_world, email="Ada@Example.com", code="byemail")
    assert order(storefront_world, email="ada@example.com").referral_code == "byemail"
    capture(storefront_world, customer_id=77, code="bycustomer")
    assert order(storefront_world, customer_id=77, email="ada@example.com").referral_code == "bycustomer"
    capture(storefront_world, cart="c-1", code="bycart")
    assert order(storefront_world, cart_id="c-1", customer_id=77).referral_code == "bycart"
    assert by_email.pk


def test_latest_non_self_referral_capture_wins(storefront_world):
    capture(storefront_world, customer_id=5, code="older", age_minutes=60)
    capture(storefront_world, customer_id=5, code="newer", age_minutes=10)
    capture(storefront_world, customer_id=5, code="", self_referral=True)
    assert order(storefront_world, customer_id=5).referral_code == "newer"


def test_unsigned_captures_never_attribute(storefront_world):
    capture(storefront_world, customer_id=5, signed=False)
    assert order(storefront_world, customer_id=5) is None
    assert AttributionCapture.objects.get().signature_valid is False


def test_unsigned_capture_with_a_coupon_offers_only_the_coupon(storefront_world):
    capture(storefront_world, customer_id=5, signed=False, coupon="FRIEND-5")
    info = order(storefront_world, customer_id=5)
    assert info.coupon_code == "FRIEND-5" and info.referral_code == "" and info.attribution_id == ""


def test_blocked_referral_codes_are_not_passed_on(storefront_world):
    capture(storefront_world, customer_id=5, referralCodeBlocked=True)
    info = order(storefront_world, customer_id=5)
    assert info.referral_code == "" and info.attribution_id


def test_sign_up_attribution_by_customer_then_email(storefront_world):
    capture(storefront_world, email="new@example.com", code="viaemail")
    assert attribution_for_customer(store=storefront_world.store, customer_id=8,
                                    email="new@example.com").referral_code == "viaemail"
    assert attribution_for_customer(store=storefront_world.store, customer_id=8, email=None) is None


def test_captured_friend_coupons_are_recognised_case_insensitively(storefront_world):
    capture(storefront_world, coupon="Friend-ABC")
    assert is_captured_friend_coupon(store=storefront_world.store, code="friend-abc")
    assert not is_captured_friend_coupon(store=storefront_world.store, code="SUMMER")
    assert friend_coupon_codes(store=storefront_world.store) == {"friend-abc"}


def test_lookups_are_per_store(storefront_world):
    from tests.fixtures_storefront import build_storefront_world

    other = build_storefront_world(store_hash="sfother")
    capture(storefront_world, customer_id=5)
    assert attribution_for_order(store=other.store, order_id=500, cart_id=None, customer_id=5, email=None) is None
