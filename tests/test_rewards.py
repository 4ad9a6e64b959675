"""The reward state machine, its history, staff actions in the admin, and loyalty custom events."""
import pytest
from django.contrib.admin.sites import site
from django.contrib.auth import get_user_model

from coupons.models import CouponCode
from referrals.admin.rewards import RewardAdmin
from referrals.earning.send import loyalty_custom_event
from referrals.models import LoyaltyEvent, Reward, RewardTransition
from referrals.rewards import issue
from referrals.rewards.transitions import IllegalTransition, reward_transition
from sandbox.bigcommerce.models import FakeCouponCode
from sandbox.friendbuy import world as fb

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff(transactional_db):
    return get_user_model().objects.create_superuser("staff", "staff@example.com", "pw")


def test_issued_reward_has_a_full_history_with_snapshots(friendbuy):
    friendbuy.reward(amount="10.00")
    reward = Reward.objects.get()
    history = list(reward.transitions.values_list("from_state", "to_state"))
    assert history == [("", "pending"), ("pending", "approved"), ("approved", "issued")]
    issued = reward.transitions.last()
    assert issued.code == reward.coupon.code and issued.amount == 10 and issued.currency == "USD"
    assert issued.actor == RewardTransition.Actor.SYSTEM


def test_illegal_transitions_raise(friendbuy):
    friendbuy.reward(amount="10.00")
    reward = Reward.objects.get()
    with pytest.raises(IllegalTransition):
        reward_transition(reward=reward, to_state=Reward.State.PENDING)
    with pytest.raises(IllegalTransition):
        reward_transition(reward=reward, to_state=Reward.State.REJECTED)


@pytest.fixture
def fraud_holds(monkeypatch):
    """Fraud screening (referrals.screening, owned by the fraud feature) says: hold for review."""

    monkeypatch.setattr(issue, "reward_screen", lambda **kwargs: "hold")


def test_reward_held_by_fraud_screening_waits_pending_without_a_code(friendbuy, fraud_holds):
    friendbuy.reward(amount="10.00", orderId="42")
    reward = Reward.objects.get()
    assert reward.state == Reward.State.PENDING and reward.coupon is None


def test_admin_actions_are_registered_and_need_a_confirmed_reason(client, staff, friendbuy, reward_store):
    assert isinstance(site._registry[Reward], RewardAdmin)
    actions = site._registry[Reward].get_actions(type("R", (), {"user": staff, "GET": {}, "POST": {}})())
    assert {"approve_rewards", "reject_rewards", "reissue_rewards", "revoke_rewards"} <= set(actions)
    friendbuy.reward(amount="10.00")
    reward = Reward.objects.get()
    client.force_login(staff)
    url = "/admin/referrals/reward/"
    page = client.post(url, {"action": "revoke_rewards", "_selected_action": [reward.pk]})
    assert page.status_code == 200 and b"reason" in page.content
    no_reason = client.post(url, {"action": "revoke_rewards", "_selected_action": [reward.pk], "confirm": "yes"})
    assert no_reason.status_code == 200
    reward.refresh_from_db()
    assert reward.state == Reward.State.ISSUED
    client.post(url, {"action": "revoke_rewards", "_selected_action": [reward.pk], "confirm": "yes",
                      "reason": "customer asked"})
    reward.refresh_from_db()
    assert reward.state == Reward.State.REVOKED
    assert not FakeCouponCode.objects.filter(code__iexact=reward.coupon.code).exists()
    last = reward.transitions.last()
    assert last.actor == RewardTransition.Actor.USER and last.user == staff and last.reason == "customer asked"
    old_code = reward.coupon.code
    client.post(url, {"action": "reissue_rewards", "_selected_action": [reward.pk], "confirm": "yes",
                      "reason": "goodwill"})
    reward.refresh_from_db()
    assert reward.state == Reward.State.ISSUED and reward.coupon.code != old_code
    assert reward.coupon.state == CouponCode.State.ACTIVE
    assert FakeCouponCode.objects.filter(code=reward.coupon.code).exists()
    assert not FakeCouponCode.objects.filter(code=old_code).exists()


def test_admin_approve_and_reject_pending_rewards(client, staff, friendbuy, fraud_holds):
    friendbuy.reward(amount="10.00", orderId="7")
    friendbuy.reward(amount="10.00", orderId="8")
    first, second = Reward.objects.order_by("bc_order_id")
    client.force_login(staff)
    url = "/admin/referrals/reward/"
    client.post(url, {"action": "approve_rewards", "_selected_action": [first.pk], "confirm": "yes", "reason": "ok"})
    client.post(url, {"action": "reject_rewards", "_selected_action": [second.pk], "confirm": "yes", "reason": "no"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == Reward.State.ISSUED and second.state == Reward.State.REJECTED


def test_admin_pages_render(client, staff, friendbuy):
    friendbuy.reward(amount="10.00")
    client.force_login(staff)
    for path in ("referrals/reward", "referrals/friendbuydelivery", "referrals/validationcallback",
                 "coupons/couponcode", "coupons/codepool", "coupons/promotion"):
        assert client.get(f"/admin/{path}/").status_code == 200, path
    reward = Reward.objects.get()
    assert client.get(f"/admin/referrals/reward/{reward.pk}/change/").status_code == 200


def test_loyalty_custom_event_is_sent_once_per_deduplication_id(reward_store, friendbuy_merchant):
    from referrals.models import FriendbuyConnection

    FriendbuyConnection.objects.filter(store=reward_store).update(
        api_key=friendbuy_merchant.api_key, api_secret=friendbuy_merchant.api_secret)
    for _ in range(2):
        loyalty_custom_event(store=reward_store, customer_id="101", email="ada@example.com",
                             event_type="review", deduplication_id="review-9", properties={"stars": 5})
    event = LoyaltyEvent.objects.get()
    assert event.state == LoyaltyEvent.State.SENT
    sent = fb.events(friendbuy_merchant, fb.CUSTOM)
    assert len(sent) == 1
