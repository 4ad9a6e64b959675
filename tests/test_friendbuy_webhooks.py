"""Friendbuy webhooks in: stored raw, verified, acknowledged, every data[] item processed once."""
import pytest

from coupons.models import CouponCode
from referrals.attribution.services import is_friend_code
from referrals.models import EmailOptOut, FriendbuyDelivery, FriendbuyWebhookItem, FriendCode, Reward
from sandbox.bigcommerce.models import FakeCouponCode
from sandbox.friendbuy import world as fb

pytestmark = pytest.mark.django_db(transaction=True)


def test_signed_advocate_reward_is_stored_acknowledged_and_mints_one_code(friendbuy, reward_store):
    item, response = friendbuy.reward(amount="20.00")
    assert response.status_code == 200
    delivery = FriendbuyDelivery.objects.get()
    assert delivery.valid and delivery.status == FriendbuyDelivery.Status.PROCESSED
    assert delivery.store == reward_store and delivery.event_type == "advocateReward"
    assert delivery.headers["X-Friendbuy-Hmac-Sha256"].startswith("••••")
    reward = Reward.objects.get(friendbuy_reward_id=item["rewardId"])
    assert reward.state == Reward.State.ISSUED
    assert reward.coupon.state == CouponCode.State.ACTIVE
    assert FakeCouponCode.objects.filter(code=reward.coupon.code).count() == 1


def test_forged_signature_is_rejected_401_and_recorded_without_processing(friendbuy):
    item = fb.reward_payload(email="ada@example.com")
    response = friendbuy.webhook("advocateReward", [item], secret="not-the-secret")
    assert response.status_code == 401
    delivery = FriendbuyDelivery.objects.get()
    assert not delivery.valid and delivery.status == FriendbuyDelivery.Status.BAD_SIGNATURE
    assert not Reward.objects.exists()


def test_missing_signature_is_rejected_401(client, friendbuy):
    response = client.post(f"/friendbuy/webhooks/{friendbuy.store.public_id}", data=b'{"type":"x","data":[]}',
                           content_type="application/json")
    assert response.status_code == 401
    assert FriendbuyDelivery.objects.get().status == FriendbuyDelivery.Status.BAD_SIGNATURE


def test_unknown_store_answers_404_and_is_recorded(friendbuy):
    item = fb.reward_payload(email="ada@example.com")
    response = friendbuy.webhook("advocateReward", [item], url="https://app.example.test/friendbuy/webhooks/nope")
    assert response.status_code == 404
    delivery = FriendbuyDelivery.objects.get()
    assert delivery.store is None and delivery.status == FriendbuyDelivery.Status.UNKNOWN_STORE
    assert not Reward.objects.exists()


def test_replayed_reward_webhook_mints_no_second_code(friendbuy):
    item, _ = friendbuy.reward(amount="15.00")
    again = friendbuy.webhook("advocateReward", [item])
    assert again.status_code == 200
    assert Reward.objects.count() == 1
    assert CouponCode.objects.filter(source_key__isnull=False).count() == 1
    assert FakeCouponCode.objects.count() == CouponCode.objects.count()  # the rest wait in the pool
    assert FriendbuyWebhookItem.objects.filter(status=FriendbuyWebhookItem.Status.DUPLICATE).count() == 1


@pytest.mark.parametrize("amount", ["-5.00", "abc", "NaN", "1e9", None])
def test_bad_amounts_are_recorded_invalid_nothing_minted_still_200(friendbuy, amount):
    item = fb.reward_payload(email="ada@example.com")
    item["rewardAmount"] = amount
    response = friendbuy.webhook("advocateReward", [item])
    assert response.status_code == 200
    assert FriendbuyWebhookItem.objects.get().status == FriendbuyWebhookItem.Status.INVALID
    assert not Reward.objects.exists() and not FakeCouponCode.objects.exists()


def test_numeric_amount_field_is_accepted(friendbuy):
    item = fb.reward_payload(email="ada@example.com")
    del item["rewardAmount"]
    item["amount"] = 12.5
    friendbuy.webhook("advocateReward", [item])
    assert Reward.objects.get().amount == 12.5


def test_every_item_of_a_batched_webhook_is_processed(friendbuy):
    items = [fb.reward_payload(email=f"a{n}@example.com", customer_id=str(n)) for n in range(3)]
    friendbuy.webhook("advocateReward", items)
    assert Reward.objects.filter(state=Reward.State.ISSUED).count() == 3
    codes = {reward.coupon.code for reward in Reward.objects.select_related("coupon")}
    assert len(codes) == 3 and FakeCouponCode.objects.filter(code__in=codes).count() == 3


def test_friend_incentive_and_email_capture_record_friend_codes(friendbuy, reward_store):
    incentive = fb.friend_incentive_payload(email="fred@example.com", advocate_email="ada@example.com",
                                            coupon_code="friend-code-1")
    friendbuy.webhook("friendIncentive", [incentive])
    capture = fb.email_capture_payload(email="gina@example.com", advocate_email="ada@example.com",
                                       coupon_code="gina-code-2", referral_code="ref123")
    friendbuy.webhook("emailCapture", [capture])
    assert set(FriendCode.objects.values_list("code", flat=True)) == {"FRIEND-CODE-1", "GINA-CODE-2"}
    assert is_friend_code(store=reward_store, code="gina-code-2")
    assert not is_friend_code(store=reward_store, code="other")
    assert Reward.objects.get().recipient == Reward.Recipient.FRIEND


def test_loyalty_reward_mints_like_advocate_rewards(friendbuy):
    item = fb.reward_payload(email="lou@example.com", customer_id="7")
    friendbuy.webhook("loyaltyReward", [item])
    reward = Reward.objects.get()
    assert reward.recipient == Reward.Recipient.LOYALTY and reward.state == Reward.State.ISSUED


def test_opt_out_loyalty_and_unknown_types_are_recorded_and_acknowledged(friendbuy):
    assert friendbuy.webhook("emailOptOut", [{"emailAddress": "X@example.com", "campaignId": "c1"}]).status_code == 200
    assert EmailOptOut.objects.filter(email="x@example.com").exists()
    assert friendbuy.webhook("ledgerTransaction", [{"transactionId": "t1", "value": 5}]).status_code == 200
    assert friendbuy.webhook("somethingNew", [{"eventId": "e1"}]).status_code == 200
    statuses = list(FriendbuyWebhookItem.objects.order_by("id").values_list("type", "status"))
    assert statuses == [("emailOptOut", "processed"), ("ledgerTransaction", "recorded"), ("somethingNew", "recorded")]
