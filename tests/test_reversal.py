"""Redemption on paid orders, reversal on refunds/cancellations, expiry, and the demo story."""
from datetime import timedelta

import pytest
from django.utils import timezone

from coupons.models import CouponCode, Redemption, RedemptionAnomaly
from coupons.services import coupon_template_default
from referrals.models import Reward
from referrals.orders.sync import order_sync
from referrals.rewards import reversal
from referrals.rewards.order_events import rewards_expire_due
from referrals.rewards.selectors import rewards_for_shopper
from sandbox.bigcommerce import world as bc
from sandbox.bigcommerce.models import FakeCouponCode

pytestmark = pytest.mark.django_db(transaction=True)


def _paid_order(store, *, code="", customer_id=101, email="ada@example.com", price="60.00"):
    order = bc.create_order(store.store_hash, email=email, customer_id=customer_id, status_id=11,
                            products=[{"name": "Shirt", "price": price, "quantity": 1}],
                            coupons=[{"code": code, "amount": "10.00"}] if code else [])
    order_sync(store=store, order_id=order["id"])
    return order


def test_paid_order_with_our_code_in_any_case_redeems_code_and_reward(friendbuy, reward_store):
    _item, _ = friendbuy.reward(amount="10.00", customer_id="101")
    reward = Reward.objects.get()
    order = _paid_order(reward_store, code=reward.coupon.code.lower())
    reward.refresh_from_db()
    assert reward.state == Reward.State.REDEEMED and reward.coupon.state == CouponCode.State.REDEEMED
    assert Redemption.objects.get().bc_order_id == order["id"]
    assert not RedemptionAnomaly.objects.exists()
    assert rewards_for_shopper(store=reward_store, customer_id=101)[0]["redeemed"] is True


def test_a_paid_order_without_coupon_codes_queues_no_redemption_task(reward_store, monkeypatch):
    from referrals.tasks import rewards as reward_tasks

    queued = []
    monkeypatch.setattr(reward_tasks.rewards_order_event_task, "delay", queued.append)
    _paid_order(reward_store)
    assert queued == []
    _paid_order(reward_store, code="SOMECODE", email="bo@example.com", customer_id=102)
    assert len(queued) == 1


def test_code_used_by_another_customer_is_a_fraud_signal(friendbuy, reward_store):
    friendbuy.reward(amount="10.00", customer_id="101")
    code = Reward.objects.get().coupon.code
    _paid_order(reward_store, code=code, customer_id=202, email="eve@example.com")
    anomaly = RedemptionAnomaly.objects.get()
    assert anomaly.kind == "code_used_by_other_customer"
    assert anomaly.evidence["order_customer_id"] == "202"


def test_refund_of_the_order_behind_an_unused_code_disables_it_and_revokes(friendbuy, reward_store):
    order = _paid_order(reward_store, customer_id=303, email="fred@example.com")
    friendbuy.reward(amount="10.00", orderId=str(order["id"]))
    reward = Reward.objects.get()
    assert reward.state == Reward.State.ISSUED
    assert FakeCouponCode.objects.filter(code=reward.coupon.code).exists()
    bc.refund_order(reward_store.store_hash, order["id"])
    order_sync(store=reward_store, order_id=order["id"])
    reward.refresh_from_db()
    assert reward.state == Reward.State.REVOKED
    assert reward.coupon.state == CouponCode.State.DISABLED
    assert not FakeCouponCode.objects.filter(code=reward.coupon.code).exists()
    assert reward.transitions.last().reason.startswith(f"Order {order['id']}")


def test_two_reversals_of_one_order_at_once_revoke_it_once_without_failing(friendbuy, reward_store, monkeypatch):
    """Two reversing order events of one refund, run at once by two worker processes (a real worker found it)."""
    from referrals.rewards.reversal import coupon_disable, reward_reverse

    order = _paid_order(reward_store, customer_id=303, email="fred@example.com")
    friendbuy.reward(amount="10.00", orderId=str(order["id"]))
    reward = Reward.objects.get()
    disable = coupon_disable

    def disable_while_the_other_worker_reverses(*, coupon, reason):
        monkeypatch.setattr(reversal, "coupon_disable", disable)
        reward_reverse(reward=reward, reason="the other worker's event")
        return disable(coupon=coupon, reason=reason)

    monkeypatch.setattr(reversal, "coupon_disable", disable_while_the_other_worker_reverses)
    assert reward_reverse(reward=reward, reason="Order refunded").state == Reward.State.REVOKED
    assert reward.transitions.filter(to_state=Reward.State.REVOKED).count() == 1


def test_cancellation_reverses_too(friendbuy, reward_store):
    order = _paid_order(reward_store, customer_id=303, email="fred@example.com")
    friendbuy.reward(amount="10.00", orderId=str(order["id"]))
    bc.set_order_status(reward_store.store_hash, order["id"], 5)
    order_sync(store=reward_store, order_id=order["id"])
    assert Reward.objects.get().state == Reward.State.REVOKED


def test_reward_is_linked_to_its_order_through_the_validation_callback(friendbuy, reward_store):
    from sandbox.friendbuy import world as fb

    order = _paid_order(reward_store, customer_id=303, email="fred@example.com")
    body = fb.purchase_validation_body(order_id=str(order["id"]), amount=60, email="fred@example.com",
                                       customer_id="303", advocate_email="ada@example.com",
                                       advocate_customer_id="101")
    assert friendbuy.validate(body).status_code == 200
    friendbuy.reward(amount="10.00", customer_id="101")
    assert Reward.objects.get().bc_order_id == order["id"]


def test_partial_refund_below_the_earning_minimum_revokes(friendbuy, reward_store):
    template = coupon_template_default(store=reward_store)
    template.earn_minimum = 50
    template.save()
    order = _paid_order(reward_store, customer_id=303, email="fred@example.com", price="60.00")
    friendbuy.reward(amount="10.00", orderId=str(order["id"]))
    bc.refund_order(reward_store.store_hash, order["id"], amount="5.00")
    order_sync(store=reward_store, order_id=order["id"])
    assert Reward.objects.get().state == Reward.State.ISSUED
    bc.refund_order(reward_store.store_hash, order["id"], amount="20.00")
    order_sync(store=reward_store, order_id=order["id"])
    assert Reward.objects.get().state == Reward.State.REVOKED


def test_refund_after_redemption_flags_clawback(friendbuy, reward_store):
    order = _paid_order(reward_store, customer_id=303, email="fred@example.com")
    friendbuy.reward(amount="10.00", customer_id="101", orderId=str(order["id"]))
    _paid_order(reward_store, code=Reward.objects.get().coupon.code)
    bc.refund_order(reward_store.store_hash, order["id"])
    order_sync(store=reward_store, order_id=order["id"])
    assert Reward.objects.get().state == Reward.State.CLAWBACK_FLAGGED


def test_expired_codes_are_deleted_in_bigcommerce_and_rewards_expire(friendbuy):
    friendbuy.reward(amount="10.00")
    CouponCode.objects.filter(source_key__isnull=False).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert rewards_expire_due() == 1
    reward = Reward.objects.get()
    assert reward.state == Reward.State.EXPIRED and reward.coupon.state == CouponCode.State.EXPIRED
    assert not FakeCouponCode.objects.filter(code=reward.coupon.code).exists()


def _refund_with_the_reversal_task_lost(store, order_id, monkeypatch, **refund):
    """A refund synced while the broker drops the reversal task (the event is recorded, nothing reverses it)."""
    from referrals.rewards import order_events

    with monkeypatch.context() as patch:
        patch.setattr(order_events, "task_enqueue", lambda *args, **kwargs: None)
        bc.refund_order(store.store_hash, order_id, **refund)
        order_sync(store=store, order_id=order_id)


def _age_order_events(order_id, minutes):
    from referrals.models import OrderEvent

    OrderEvent.objects.filter(order__bc_order_id=order_id).update(at=timezone.now() - timedelta(minutes=minutes))


def test_a_refund_whose_reversal_task_was_lost_is_reversed_by_the_sweep_once(friendbuy, reward_store, monkeypatch):
    from referrals.rewards.order_events import rewards_reverse_missed

    order = _paid_order(reward_store, customer_id=303, email="fred@example.com")
    friendbuy.reward(amount="10.00", orderId=str(order["id"]))
    reward = Reward.objects.get()
    _refund_with_the_reversal_task_lost(reward_store, order["id"], monkeypatch)
    reward.refresh_from_db()
    assert reward.state == Reward.State.ISSUED  # the live path did nothing

    assert rewards_reverse_missed() == 0  # still inside the live task's grace
    _age_order_events(order["id"], minutes=11)
    assert rewards_reverse_missed() == 1
    reward.refresh_from_db()
    assert reward.state == Reward.State.REVOKED and reward.coupon.state == CouponCode.State.DISABLED
    assert not FakeCouponCode.objects.filter(code=reward.coupon.code).exists()
    assert rewards_reverse_missed() == 0
    assert reward.transitions.filter(to_state=Reward.State.REVOKED).count() == 1


def test_the_sweep_leaves_a_partial_refund_above_the_minimum_alone(friendbuy, reward_store, monkeypatch):
    from referrals.rewards.order_events import reversing_events_missed

    order = _paid_order(reward_store, customer_id=303, email="fred@example.com", price="100.00")
    friendbuy.reward(amount="10.00", orderId=str(order["id"]))
    Reward.objects.update(min_order_amount="50.00")
    _refund_with_the_reversal_task_lost(reward_store, order["id"], monkeypatch, amount="20.00")
    _age_order_events(order["id"], minutes=11)
    assert reversing_events_missed() == []
    _refund_with_the_reversal_task_lost(reward_store, order["id"], monkeypatch, amount="40.00")
    _age_order_events(order["id"], minutes=11)
    assert [event.order.bc_order_id for event in reversing_events_missed()] == [order["id"]]


def test_the_sweep_ignores_reversals_older_than_its_window(friendbuy, reward_store, monkeypatch):
    from referrals.rewards.order_events import reversing_events_missed

    order = _paid_order(reward_store, customer_id=303, email="fred@example.com")
    friendbuy.reward(amount="10.00", orderId=str(order["id"]))
    _refund_with_the_reversal_task_lost(reward_store, order["id"], monkeypatch)
    _age_order_events(order["id"], minutes=31 * 24 * 60)
    assert reversing_events_missed() == []
