"""Code pools for Friendbuy Code Banks: bulk minting, CSV export, hand-out tracking, low stock, refill."""
import csv

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from coupons.models import CodePool, CouponCode
from coupons.selectors import pool_counts, pools_low_on_codes
from coupons.tasks.housekeeping import pool_refill_task
from referrals.models import Reward
from referrals.orders.sync import order_sync
from sandbox.bigcommerce import world as bc
from sandbox.bigcommerce.models import FakeCouponCode, FakePromotion

pytestmark = pytest.mark.django_db(transaction=True)


def test_mint_codes_command_uses_codegen_in_batches_and_writes_friendbuy_csv(reward_store, tmp_path):
    path = tmp_path / "codes.csv"
    call_command("mint_codes", reward_store.store_hash, "--template", "default", "--count", "300",
                 "--csv", str(path))
    pool = CodePool.objects.get()
    assert FakePromotion.objects.get(pk=pool.promotion.bc_promotion_id).data["coupon_type"] == "BULK"
    assert CouponCode.objects.filter(pool=pool).count() == 300 == FakeCouponCode.objects.count()
    rows = list(csv.reader(path.open()))
    assert len(rows) == 300 and all(len(row) == 1 for row in rows)
    assert rows[0][0] == rows[0][0].upper() and not rows[0][0].startswith("code")
    assert not set("".join(r[0] for r in rows).split("-", 1)[-1]) & set("0O1IL")


def test_pool_codes_seen_in_webhooks_are_handed_out_and_redeemed(friendbuy, reward_store):
    call_command("mint_codes", reward_store.store_hash, "--template", "default", "--count", "5",
                 "--threshold", "10")
    code = CouponCode.objects.first().code
    friendbuy.reward(amount="10.00", customer_id="101", coupon_code=code.lower())
    reward = Reward.objects.get()
    assert reward.state == Reward.State.ISSUED and reward.coupon.code == code
    pool = CodePool.objects.get()
    assert pool_counts(pool=pool) == {"available": 4, "handed_out": 1, "redeemed": 0, "total": 5}
    order = bc.create_order(reward_store.store_hash, email="ada@example.com", customer_id=101, status_id=11,
                            coupons=[{"code": code.lower(), "amount": "10.00"}])
    order_sync(store=reward_store, order_id=order["id"])
    assert pool_counts(pool=pool)["redeemed"] == 1
    assert pools_low_on_codes() == [pool] or [p.pk for p in pools_low_on_codes()] == [pool.pk]


def test_refill_task_tops_pools_up_to_refill_to(reward_store):
    call_command("mint_codes", reward_store.store_hash, "--template", "default", "--count", "3",
                 "--refill-to", "8")
    assert pool_refill_task() == 5
    assert pool_counts(pool=CodePool.objects.get())["available"] == 8
    assert pool_refill_task() == 0


def test_a_refill_that_runs_while_the_command_mints_does_not_overfill_the_new_pool(reward_store, monkeypatch):
    """Beat's refill firing between the pool's creation and its first codes (a real worker found it)."""
    from coupons.management.commands import mint_codes

    def mint_while_beat_refills(*, pool, count):
        pool_refill_task()
        return pool_mint(pool=pool, count=count)

    pool_mint = mint_codes.pool_mint
    monkeypatch.setattr(mint_codes, "pool_mint", mint_while_beat_refills)
    call_command("mint_codes", reward_store.store_hash, "--template", "default", "--count", "3",
                 "--refill-to", "8")
    pool = CodePool.objects.get()
    assert pool.refill_to == 8 and pool_counts(pool=pool)["total"] == 3
    assert pool_refill_task() == 5 and pool_counts(pool=pool)["total"] == 8


def test_admin_warns_when_a_pool_is_low(client, reward_store):
    call_command("mint_codes", reward_store.store_hash, "--template", "default", "--count", "2",
                 "--threshold", "10")
    client.force_login(get_user_model().objects.create_superuser("s", "s@example.com", "pw"))
    page = client.get("/admin/coupons/codepool/", follow=True)
    assert b"is low" in page.content and b"LOW" in page.content
