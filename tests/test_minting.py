"""Minting: exactly one BigCommerce code per reward, through faults, crashes and duplicates."""
import pytest

from coupons import services
from coupons.codes import ALPHABET, canonical, generate_code, is_valid_code
from coupons.models import CouponCode, Promotion
from coupons.services import coupon_reconcile_minting
from referrals.models import Reward
from sandbox import faults
from sandbox.bigcommerce.models import FakeCouponCode, FakePromotion

pytestmark = pytest.mark.django_db(transaction=True)


def test_generated_codes_use_an_unambiguous_bigcommerce_valid_alphabet():
    for _ in range(200):
        code = generate_code(prefix="FB")
        assert is_valid_code(code) and code.startswith("FB-")
        assert not set(code[3:]) & set("0O1IL")
    assert set(ALPHABET).isdisjoint("0O1IL")
    assert canonical(" fb-abc ") == "FB-ABC"


def test_rewards_get_distinct_one_time_codes_from_one_bulk_promotion_per_amount(friendbuy):
    friendbuy.reward(amount="10.00", customer_id="1")
    friendbuy.reward(amount="10.00", customer_id="2")
    friendbuy.reward(amount="25.00", customer_id="3")
    assert Promotion.objects.count() == 2 and FakePromotion.objects.count() == 2
    promotion = FakePromotion.objects.get(pk=Promotion.objects.get(amount=10).bc_promotion_id)
    assert promotion.data["redemption_type"] == "COUPON" and promotion.data["coupon_type"] == "BULK"
    assert promotion.data["rules"][0]["action"]["cart_value"]["discount"] == {"fixed_amount": "10.00"}
    assert promotion.data["currency_code"] == "USD"
    rewards = list(Reward.objects.select_related("coupon"))
    assert {r.state for r in rewards} == {Reward.State.ISSUED} and len({r.coupon.code for r in rewards}) == 3
    remote = {c.code: c for c in FakeCouponCode.objects.filter(code__in=[r.coupon.code for r in rewards])}
    assert len(remote) == 3 and {(c.max_uses, c.max_uses_per_customer) for c in remote.values()} == {(1, 1)}
    # Both $10 rewards came out of one generated batch, the rest of which waits in the pool.
    tens = [remote[r.coupon.code].promotion_id for r in rewards if r.amount == 10]
    assert tens == [promotion.pk, promotion.pk]


def test_percentage_reward_and_minimum_spend_shape_the_promotion(friendbuy, reward_store):
    template = services.coupon_template_default(store=reward_store)
    template.min_spend = 50
    template.save()
    friendbuy.reward(amount="15", reward_unit="%")
    data = FakePromotion.objects.get().data
    assert data["rules"][0]["action"]["cart_value"]["discount"] == {"percentage_amount": "15.00"}
    assert data["rules"][0]["condition"] == {"cart": {"minimum_spend": "50.00"}}


@pytest.mark.parametrize("status", [429, 500])
def test_bigcommerce_429_or_500_while_minting_is_retried_without_loss_or_duplicate(friendbuy, status):
    # More failures than the client's 5 attempts: the task's own retry finishes the job.
    faults.inject(service="bigcommerce", status=status, times=6, method="POST", path_contains="/codegen")
    item, response = friendbuy.reward(amount="10.00")
    assert response.status_code == 200
    reward = Reward.objects.get(friendbuy_reward_id=item["rewardId"])
    assert reward.state == Reward.State.ISSUED
    # One batch made it (the refused ones made nothing); the reward holds one of its codes.
    assert FakeCouponCode.objects.count() == CouponCode.objects.count()
    assert FakeCouponCode.objects.filter(code=reward.coupon.code).exists()


def _legacy_minting_code(store, source_key="reward:legacy"):
    """A code reserved before pools: chosen locally, to be added to a SINGLE promotion with /codes."""
    template = services.coupon_template_default(store=store)
    return services.coupon_reserve(store=store, template=template, request=services.CodeRequest(
        source_key=source_key, amount=10, unit="USD"))


def test_legacy_code_crashed_between_remote_create_and_commit_is_completed_by_reconciliation(reward_store,
                                                                                             monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("worker died")

    coupon = _legacy_minting_code(reward_store)
    monkeypatch.setattr(services, "_coupon_activate", crash)
    with pytest.raises(RuntimeError):
        services.coupon_mint(coupon_id=coupon.pk)
    coupon.refresh_from_db()
    assert coupon.state == CouponCode.State.MINTING
    assert FakeCouponCode.objects.filter(code=coupon.code).count() == 1
    monkeypatch.undo()
    # The lease of the dead worker runs out; reconciliation finds the code in BigCommerce and adopts it.
    from datetime import timedelta

    from django.utils import timezone

    result = coupon_reconcile_minting(now=timezone.now() + timedelta(minutes=5))
    assert result["completed"] == 1
    coupon.refresh_from_db()
    assert coupon.state == CouponCode.State.ACTIVE and coupon.bc_code_id
    assert FakeCouponCode.objects.count() == 1
    assert FakePromotion.objects.get().data["coupon_type"] == "SINGLE"


def test_legacy_code_crashed_before_remote_create_is_minted_by_reconciliation(reward_store, monkeypatch):
    from storefront.bigcommerce import BigCommerceClient

    def unreachable(self, *args, **kwargs):
        raise RuntimeError("worker died before calling BigCommerce")

    coupon = _legacy_minting_code(reward_store)
    monkeypatch.setattr(BigCommerceClient, "create_coupon_code", unreachable)
    with pytest.raises(RuntimeError):
        services.coupon_mint(coupon_id=coupon.pk)
    assert not FakeCouponCode.objects.exists()
    monkeypatch.undo()
    from datetime import timedelta

    from django.utils import timezone

    coupon_reconcile_minting(now=timezone.now() + timedelta(minutes=5))
    coupon = CouponCode.objects.get()
    assert coupon.state == CouponCode.State.ACTIVE
    assert list(FakeCouponCode.objects.values_list("code", flat=True)) == [coupon.code]


def test_already_existing_code_in_bigcommerce_is_adopted_not_duplicated(friendbuy, reward_store):
    template = services.coupon_template_default(store=reward_store)
    coupon = services.coupon_reserve(store=reward_store, template=template, request=services.CodeRequest(
        source_key="reward:x", amount=10, unit="USD"))
    services.coupon_mint(coupon_id=coupon.pk)
    CouponCode.objects.filter(pk=coupon.pk).update(state=CouponCode.State.MINTING, bc_code_id=None)
    again = services.coupon_mint(coupon_id=coupon.pk)
    assert again.state == CouponCode.State.ACTIVE and again.bc_code_id
    assert FakeCouponCode.objects.count() == 1


def test_reserving_twice_for_the_same_source_returns_the_same_row(reward_store):
    template = services.coupon_template_default(store=reward_store)
    request = services.CodeRequest(source_key="reward:y", amount=5, unit="USD")
    first = services.coupon_reserve(store=reward_store, template=template, request=request)
    second = services.coupon_reserve(store=reward_store, template=template, request=request)
    assert first.pk == second.pk and CouponCode.objects.count() == 1


def test_non_coupon_reward_types_stay_approved_without_a_code(friendbuy):
    # credit and giftCard are delivered as store credit / gift certificates (tests/test_credit_rewards.py)
    friendbuy.reward(amount="10.00", reward_type="cash")
    reward = Reward.objects.get()
    assert reward.state == Reward.State.APPROVED and reward.coupon is None
    assert not FakeCouponCode.objects.exists()
