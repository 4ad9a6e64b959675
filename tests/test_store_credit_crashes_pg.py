"""Store credit is deposited and removed exactly once when the app crashes at each step (PostgreSQL).

A crash is a BaseException raised at one of store_credit_apply's named steps (nothing in the app catches
it, open transactions roll back, the committed lease stays behind as after a killed process), or a real
process killed with os._exit at that step. "Restart" lets the lease run out and runs the same task again;
the shopper may spend credit while the app is down. BigCommerce's balance must then be exactly the
opening balance, plus the reward, less the spend, and the ledger must say why.
"""
import os
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils import timezone

from referrals.models import CreditSettings, OrderSnapshot, Reward, StoreCreditAccount, StoreCreditEntry
from referrals.orders.sync import order_sync
from referrals.rewards import store_credit
from referrals.rewards.issue import reward_issue
from referrals.rewards.order_events import rewards_reverse_order
from referrals.rewards.store_credit import StoreCreditBusy, store_credit_apply, store_credit_entry_open
from sandbox.bigcommerce import world as bc

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
STEPS = ["locked", "settled", "read", "intent", "written", "committed"]
REPO = Path(__file__).resolve().parent.parent


class Crash(BaseException):
    """The process dies here."""


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def ada(reward_store):
    customer = bc.create_customer(reward_store.store_hash, email="ada@example.com", first_name="Ada")
    bc.set_store_credit(reward_store.store_hash, customer["id"], "5.00")
    return customer


def _approved_credit_reward(friendbuy, store, customer, **extra) -> Reward:
    """A credit reward recorded and approved while the store delivers no credit yet (then switched on)."""
    config = CreditSettings.objects.create(store=store, credit_reward_types=[])
    friendbuy.reward(amount="10.00", reward_type="credit", customer_id=str(customer["id"]), **extra)
    config.credit_reward_types = ["credit"]
    config.save()
    reward = Reward.objects.get()
    assert reward.state == Reward.State.APPROVED
    return reward


def _crash_at(monkeypatch, step):
    def on_step(name):
        if name == step:
            raise Crash(step)

    monkeypatch.setattr(store_credit, "on_step", on_step)


def _restart(monkeypatch):
    """The process is gone: its lease runs out; the next worker has the normal code path."""
    monkeypatch.setattr(store_credit, "on_step", lambda name: None)
    StoreCreditAccount.objects.update(locked_until=timezone.now() - timedelta(seconds=1))


def _credit(store, customer):
    return bc.store_credit(store.store_hash, customer["id"])


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_each_step_of_a_deposit_deposits_exactly_once(step, friendbuy, reward_store, ada, monkeypatch):
    reward = _approved_credit_reward(friendbuy, reward_store, ada)
    _crash_at(monkeypatch, step)
    with pytest.raises(Crash):
        reward_issue(reward_id=reward.pk)
    written = step in ("written", "committed")
    assert _credit(reward_store, ada) == (Decimal("15.00") if written else Decimal("5.00"))
    _restart(monkeypatch)
    assert reward_issue(reward_id=reward.pk).state == Reward.State.ISSUED
    assert reward_issue(reward_id=reward.pk).state == Reward.State.ISSUED
    assert _credit(reward_store, ada) == Decimal("15.00")
    entry = StoreCreditEntry.objects.get()
    assert entry.state == StoreCreditEntry.State.APPLIED
    if step == "written":
        assert "the write had landed" in entry.detail
    if step == "intent":
        assert "the write never landed" in entry.detail


@pytest.mark.parametrize("step", ["intent", "written"])
def test_a_spend_while_the_app_is_down_is_kept_by_the_recovery_check(step, friendbuy, reward_store, ada, monkeypatch):
    reward = _approved_credit_reward(friendbuy, reward_store, ada)
    _crash_at(monkeypatch, step)
    with pytest.raises(Crash):
        reward_issue(reward_id=reward.pk)
    bc.order_paid_with_store_credit(reward_store.store_hash, customer_id=ada["id"], credit_amount="4.00")
    _restart(monkeypatch)
    assert reward_issue(reward_id=reward.pk).state == Reward.State.ISSUED
    assert _credit(reward_store, ada) == Decimal("11.00")  # 5 + 10 - 4, whichever side of the write it crashed


def test_a_balance_neither_outcome_explains_is_held_not_written_again(friendbuy, reward_store, ada, monkeypatch):
    reward = _approved_credit_reward(friendbuy, reward_store, ada)
    _crash_at(monkeypatch, "written")
    with pytest.raises(Crash):
        reward_issue(reward_id=reward.pk)
    bc.set_store_credit(reward_store.store_hash, ada["id"], "2.00")  # the merchant edits it in the control panel
    _restart(monkeypatch)
    assert reward_issue(reward_id=reward.pk).state == Reward.State.APPROVED
    entry = StoreCreditEntry.objects.get()
    assert entry.state == StoreCreditEntry.State.HELD and "neither outcome" in entry.detail
    assert _credit(reward_store, ada) == Decimal("2.00")
    assert reward.fulfilment.__class__.objects.get().state == "failed"


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_each_step_of_a_removal_removes_exactly_once(step, friendbuy, reward_store, ada, monkeypatch):
    order = bc.create_order(reward_store.store_hash, email="fred@example.com", status_id=11)
    order_sync(store=reward_store, order_id=order["id"])
    reward = _approved_credit_reward(friendbuy, reward_store, ada, orderId=str(order["id"]))
    reward_issue(reward_id=reward.pk)
    # Spent a minute before the refund (BigCommerce's order dates have whole seconds; a spend in the very
    # second of the read would make the recovery check hold the entry rather than guess).
    bc.order_paid_with_store_credit(reward_store.store_hash, customer_id=ada["id"], credit_amount="12.00",
                                    date_created=timezone.now() - timedelta(minutes=1))
    bc.refund_order(reward_store.store_hash, order["id"])
    _crash_at(monkeypatch, step)
    with pytest.raises(Crash):
        order_sync(store=reward_store, order_id=order["id"])
    _restart(monkeypatch)
    rewards_reverse_order(snapshot=OrderSnapshot.objects.get(bc_order_id=order["id"]), kind="refunded")
    reward.refresh_from_db()
    assert _credit(reward_store, ada) == 0  # 15 - 12 spent = 3 left, removed; never below zero
    assert reward.state == Reward.State.CLAWBACK_FLAGGED
    removal = StoreCreditEntry.objects.get(kind="removal")
    assert (removal.state, removal.applied_amount, removal.shortfall) == ("applied", Decimal("3.00"), Decimal("7.00"))


def test_rewards_for_one_customer_at_once_lose_no_deposit(friendbuy, reward_store, ada):
    entries = [store_credit_entry_open(store=reward_store, bc_customer_id=ada["id"], kind="deposit",
                                       amount=Decimal("1.25"), key=f"test:{n}") for n in range(8)]
    barrier, errors = threading.Barrier(len(entries)), []

    def apply(entry_id):
        try:
            barrier.wait()
            for _ in range(200):
                try:
                    return store_credit_apply(entry_id=entry_id)
                except StoreCreditBusy:
                    time.sleep(0.02)
            errors.append("never got the lease")
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=apply, args=(entry.pk,)) for entry in entries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert _credit(reward_store, ada) == Decimal("15.00")  # 5 + 8 x 1.25
    assert set(StoreCreditEntry.objects.values_list("state", flat=True)) == {"applied"}


@pytest.mark.parametrize("step", ["intent", "written"])
def test_a_killed_process_at_the_step_deposits_exactly_once(step, friendbuy, reward_store, ada):
    """A real process, killed with os._exit: no finally, no rollback but PostgreSQL's."""
    reward = _approved_credit_reward(friendbuy, reward_store, ada)
    script = textwrap.dedent(f"""
        import os, django
        django.setup()
        from referrals.rewards import store_credit
        from referrals.rewards.issue import reward_issue

        def on_step(name):
            if name == {step!r}:
                os._exit(9)

        store_credit.on_step = on_step
        reward_issue(reward_id={reward.pk})
        os._exit(0)
    """)
    database = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"}
    killed = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, timeout=120, capture_output=True)
    assert killed.returncode == 9, killed.stderr.decode()[-2000:]
    assert StoreCreditEntry.objects.get().state == StoreCreditEntry.State.WRITING
    StoreCreditAccount.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert reward_issue(reward_id=reward.pk).state == Reward.State.ISSUED
    assert _credit(reward_store, ada) == Decimal("15.00")
