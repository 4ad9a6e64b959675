"""The merchant's reward-code rules shape the codes minted after a change, never the ones handed out."""
from decimal import Decimal

import pytest

from coupons import services
from coupons.models import CodePool, Promotion
from coupons.template_rules import coupon_template_update
from referrals.models import Reward
from sandbox.bigcommerce.models import FakeCouponCode, FakePromotion

pytestmark = pytest.mark.django_db(transaction=True)


def test_free_shipping_products_and_categories_shape_the_promotion(friendbuy, reward_store):
    template = services.coupon_template_default(store=reward_store)
    coupon_template_update(template=template, changes={
        "free_shipping": True, "product_ids": [11, 12], "category_ids": [3], "min_spend": Decimal("40"),
    })
    friendbuy.reward(amount="10.00")
    rules = FakePromotion.objects.get().data["rules"]
    assert rules[0]["action"]["cart_items"] == {
        "discount": {"fixed_amount": "10.00"}, "as_total": True,
        "items": {"or": [{"products": [11, 12]}, {"categories": [3]}]},
    }
    assert rules[0]["stop"] is False and rules[0]["condition"] == {"cart": {"minimum_spend": "40.00"}}
    assert rules[1]["action"] == {"shipping": {"free_shipping": True, "zone_ids": "*"}}
    assert rules[1]["condition"] == {"cart": {"minimum_spend": "40.00"}}


def test_a_fixed_amount_replaces_the_rewards_amount(friendbuy, reward_store):
    template = services.coupon_template_default(store=reward_store)
    coupon_template_update(template=template, changes={"amount_source": "fixed", "fixed_amount": Decimal("7.50")})
    friendbuy.reward(amount="25.00")
    reward = Reward.objects.select_related("coupon").get()
    assert reward.coupon.amount == Decimal("7.50")
    assert FakePromotion.objects.get().data["rules"][0]["action"]["cart_value"]["discount"] == {
        "fixed_amount": "7.50"}


def test_without_one_use_per_customer_codes_have_no_per_customer_limit(friendbuy, reward_store):
    template = services.coupon_template_default(store=reward_store)
    coupon_template_update(template=template, changes={"one_use_per_customer": False})
    friendbuy.reward(amount="10.00")
    code = Reward.objects.select_related("coupon").get().coupon.code
    remote = FakeCouponCode.objects.get(code=code)
    assert (remote.max_uses, remote.max_uses_per_customer) == (1, 0)


def test_a_changed_rule_gets_a_new_promotion_and_pool_and_leaves_handed_out_codes_alone(friendbuy, reward_store):
    friendbuy.reward(amount="10.00", customer_id="1")
    first = Reward.objects.select_related("coupon__promotion").get()
    old_promotion = first.coupon.promotion
    template = services.coupon_template_default(store=reward_store)
    changed = coupon_template_update(template=template, changes={"min_spend": Decimal("30"), "prefix": "REF"})
    assert set(changed) == {"min_spend", "prefix"}
    friendbuy.reward(amount="10.00", customer_id="2")
    second = Reward.objects.select_related("coupon__promotion").exclude(pk=first.pk).get()
    assert second.coupon.promotion != old_promotion and second.coupon.code.startswith("REF-")
    assert second.coupon.promotion.min_spend == Decimal("30") and second.coupon.promotion.template_revision == 1
    # The first code and its promotion are as they were, in BigCommerce too; its pool no longer refills.
    first.coupon.refresh_from_db()
    assert first.coupon.promotion_id == old_promotion.pk and first.coupon.min_spend == 0
    assert "condition" not in FakePromotion.objects.get(pk=old_promotion.bc_promotion_id).data["rules"][0]
    assert CodePool.objects.get(promotion=old_promotion).refill_to == 0
    assert Promotion.objects.count() == 2


def test_expiry_and_amount_changes_keep_the_promotion(friendbuy, reward_store):
    friendbuy.reward(amount="10.00", customer_id="1")
    template = services.coupon_template_default(store=reward_store)
    coupon_template_update(template=template, changes={"expiry_days": 30})
    template.refresh_from_db()
    assert template.revision == 0
    friendbuy.reward(amount="10.00", customer_id="2")
    assert Promotion.objects.count() == 1


def test_fields_outside_the_merchants_settings_are_refused(reward_store):
    template = services.coupon_template_default(store=reward_store)
    with pytest.raises(ValueError, match="Not a reward-code setting"):
        coupon_template_update(template=template, changes={"store_id": 2})
