"""Store credit and gift certificate rewards through a real `celery -A config worker -B` on Redis and
PostgreSQL: deposit, certificate, reversal of both, a customer's lease held by someone else, a crashed
deposit settled by the schedule, and a guest credited once registered. Skipped without
TEST_CELERY_BROKER_URL and PostgreSQL (tests/fixtures_celery.py)."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from referrals.models import CreditSettings, Reward, RewardFulfilment, StoreCreditAccount, StoreCreditEntry
from sandbox.bigcommerce import world as bc
from sandbox.bigcommerce.models import FakeGiftCertificate
from tests.fixtures_celery import wait_for
from tests.fixtures_rewards import FriendbuyPlayer

pytestmark = pytest.mark.celery_worker


def _ran_in_worker(worker, task_name: str) -> bool:
    return bool(re.search(rf"Task {re.escape(task_name)}\[[^\]]+\] succeeded", worker.log()))


def _ada(store, credit="5.00"):
    customer = bc.create_customer(store.store_hash, email="ada@example.com", first_name="Ada")
    bc.set_store_credit(store.store_hash, customer["id"], credit)
    return customer


def _paid_order(store):
    order = bc.create_order(store.store_hash, email="fred@example.com", status_id=11,
                            products=[{"name": "Mug", "price": "12.00", "quantity": 2}])
    assert [r.status_code for r in bc.fire_order_event(store.store_hash, order["id"])] == [200]
    return order


def _refund(store, order):
    refund = bc.refund_order(store.store_hash, order["id"])
    responses = bc.fire_order_event(store.store_hash, order["id"], scope="store/order/refund/created",
                                    refund_id=refund["id"])
    assert [r.status_code for r in responses] == [200]


def _issued(store):
    return wait_for(lambda: Reward.objects.filter(store=store, state=Reward.State.ISSUED).first())


def test_credit_reward_is_deposited_and_removed_on_refund_by_the_worker(celery_worker_process, lc_store):
    ada, order = _ada(lc_store), _paid_order(lc_store)
    _item, answer = FriendbuyPlayer(lc_store).reward(amount="10.00", reward_type="credit",
                                                     customer_id=str(ada["id"]), orderId=str(order["id"]))
    assert answer.status_code == 200
    _issued(lc_store)
    assert bc.store_credit(lc_store.store_hash, ada["id"]) == Decimal("15.00")
    _refund(lc_store, order)
    assert wait_for(lambda: Reward.objects.filter(store=lc_store, state=Reward.State.REVOKED).exists())
    assert bc.store_credit(lc_store.store_hash, ada["id"]) == Decimal("5.00")
    assert wait_for(lambda: _ran_in_worker(celery_worker_process, "referrals.rewards_order_event"))


def test_gift_card_reward_becomes_a_certificate_disabled_on_refund_by_the_worker(celery_worker_process, lc_store):
    order = _paid_order(lc_store)
    FriendbuyPlayer(lc_store).reward(amount="25.00", reward_type="giftCard", orderId=str(order["id"]))
    _issued(lc_store)
    certificate = FakeGiftCertificate.objects.get()
    assert certificate.code == RewardFulfilment.objects.get().gift_certificate_code
    _refund(lc_store, order)
    assert wait_for(lambda: Reward.objects.filter(store=lc_store, state=Reward.State.REVOKED).exists())
    certificate.refresh_from_db()
    assert certificate.data["status"] == "disabled"


def test_a_customer_whose_lease_is_held_is_credited_once_it_runs_out(celery_worker_process, lc_store):
    ada = _ada(lc_store)
    StoreCreditAccount.objects.create(store=lc_store, bc_customer_id=ada["id"], lock_token="someone-else",
                                      locked_until=timezone.now() + timedelta(seconds=4))
    FriendbuyPlayer(lc_store).reward(amount="10.00", reward_type="credit", customer_id=str(ada["id"]))
    _issued(lc_store)  # the task met a held lease and retried; the schedule's sweep finished it
    assert bc.store_credit(lc_store.store_hash, ada["id"]) == Decimal("15.00")
    assert StoreCreditEntry.objects.get().state == StoreCreditEntry.State.APPLIED


def test_a_crashed_deposit_is_settled_by_the_schedule_without_a_second_write(celery_worker_process, lc_store):
    ada = _ada(lc_store)
    CreditSettings.objects.create(store=lc_store, credit_reward_types=[])
    FriendbuyPlayer(lc_store).reward(amount="10.00", reward_type="credit", customer_id=str(ada["id"]))
    reward = wait_for(lambda: Reward.objects.filter(store=lc_store, state=Reward.State.APPROVED).first())
    wait_for(lambda: _ran_in_worker(celery_worker_process, "referrals.reward_issue"))
    # What a worker killed between BigCommerce's answer and its commit leaves: the write landed, the entry
    # says WRITING, its lease ran out, the reward is still approved.
    account = StoreCreditAccount.objects.create(store=lc_store, bc_customer_id=ada["id"], lock_token="dead",
                                                locked_until=timezone.now() - timedelta(seconds=1))
    RewardFulfilment.objects.create(store=lc_store, reward=reward, kind="store_credit", amount=10, currency="USD",
                                    bc_customer_id=ada["id"])
    StoreCreditEntry.objects.create(store=lc_store, account=account, reward=reward, kind="deposit", amount=10,
                                    key=f"reward:{reward.friendbuy_reward_id}:deposit", state="writing",
                                    balance_before=5, balance_after=15, applied_amount=10, intent_at=timezone.now())
    bc.set_store_credit(lc_store.store_hash, ada["id"], "15.00")
    CreditSettings.objects.update(credit_reward_types=["credit"])
    _issued(lc_store)
    assert bc.store_credit(lc_store.store_hash, ada["id"]) == Decimal("15.00")
    entry = StoreCreditEntry.objects.get()
    assert entry.state == "applied" and "the write had landed" in entry.detail
    assert wait_for(lambda: _ran_in_worker(celery_worker_process, "referrals.rewards_issue_pending"))


def test_a_waiting_guest_is_credited_by_the_schedule_after_registering(celery_worker_process, lc_store):
    CreditSettings.objects.create(store=lc_store, guest_credit=CreditSettings.GuestCredit.WAIT)
    FriendbuyPlayer(lc_store).reward(amount="10.00", reward_type="credit", customer_id="guest-1",
                                     email="gus@example.com")
    wait_for(lambda: RewardFulfilment.objects.filter(state="waiting").exists())
    gus = bc.create_customer(lc_store.store_hash, email="gus@example.com", first_name="Gus")
    RewardFulfilment.objects.update(checked_at=timezone.now() - timedelta(hours=2))
    _issued(lc_store)
    assert bc.store_credit(lc_store.store_hash, gus["id"]) == Decimal("10.00")
