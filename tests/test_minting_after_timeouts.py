"""Minting stays exactly-once when BigCommerce creates the code but its answer never arrives.

Codes reserved before reward pools (one locally chosen code for a SINGLE promotion, created with /codes):
the transport does not resend the POST (it may have arrived, and it had); a retry of the mint finds the
code already there (422 "already in use") and adopts it, and when retries give up, the minting
reconciliation looks the code up before creating anything. A /codegen whose answer is lost leaves codes
in BigCommerce nobody holds (one-time, unknown, harmless); the next batch serves the reward.
"""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.utils import timezone

from coupons import services
from coupons.models import CouponCode
from coupons.services import MAX_MINT_ATTEMPTS, coupon_reconcile_minting
from referrals.models import Reward
from referrals.rewards.issue import reward_issue
from sandbox.bigcommerce.models import FakeCouponCode
from sandbox.transport import InProcessAdapter
from storefront.bigcommerce import BigCommerceError
from storefront.models import OutboundCall

pytestmark = pytest.mark.django_db(transaction=True)

CREATE_CODE = re.compile(r"/v3/promotions/\d+/(codes|codegen)$")


class CreatesThenLosesTheAnswer(InProcessAdapter):
    """The fake BigCommerce acts on a code creation, then the answer is lost (a read timeout)."""

    lost_answers = 0

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        if request.method == "POST" and CREATE_CODE.search(urlsplit(request.url).path) and self.lost_answers:
            CreatesThenLosesTheAnswer.lost_answers -= 1
            raise requests.ReadTimeout("BigCommerce created the code; its answer was lost", request=request)
        return response


@pytest.fixture
def lost_answers(settings):
    settings.HTTP_ADAPTERS = {
        **settings.HTTP_ADAPTERS,
        f"{settings.BIGCOMMERCE_API_URL}/": "tests.test_minting_after_timeouts.CreatesThenLosesTheAnswer",
    }

    def arm(count):
        CreatesThenLosesTheAnswer.lost_answers = count

    yield arm
    CreatesThenLosesTheAnswer.lost_answers = 0


def _code_creations():
    return list(OutboundCall.objects.filter(service="bigcommerce", method="POST", path__regex=r"/(codes|codegen)$")
                .order_by("id").values_list("status", "error"))


def _legacy_reward(friendbuy, store):
    """A reward issued before pools, left with its reserved code still minting on a SINGLE promotion."""
    item = {"rewardId": f"legacy-{Reward.objects.count()}"}
    reward = Reward.objects.create(store=store, friendbuy_reward_id=item["rewardId"], recipient="advocate",
                                   reward_type="discount", amount=10, unit="USD", state=Reward.State.APPROVED)
    template = services.coupon_template_default(store=store)
    coupon = services.coupon_reserve(store=store, template=template, request=services.CodeRequest(
        source_key=f"reward:{item['rewardId']}", amount=10, unit="USD"))
    Reward.objects.filter(pk=reward.pk).update(coupon=coupon)
    return reward, coupon


def test_a_timed_out_create_that_bigcommerce_acted_on_is_adopted_by_the_retry(friendbuy, reward_store,
                                                                              lost_answers):
    reward, coupon = _legacy_reward(friendbuy, reward_store)
    lost_answers(1)

    with pytest.raises(BigCommerceError):
        reward_issue(reward_id=reward.pk)
    reward = reward_issue(reward_id=reward.pk)

    assert reward.state == Reward.State.ISSUED and reward.coupon_id == coupon.pk
    assert FakeCouponCode.objects.count() == 1
    assert FakeCouponCode.objects.get().code == coupon.code
    assert Reward.objects.get(pk=reward.pk).coupon.bc_code_id == FakeCouponCode.objects.get().pk
    # One POST per attempt: the timed-out one (not resent by the transport), then the retry's own,
    # which BigCommerce refuses as already in use, so the code is looked up and adopted.
    creations = _code_creations()
    assert len(creations) == 2
    assert creations[0][0] is None and "ReadTimeout" in creations[0][1]
    assert creations[1][0] == 422


def test_when_retries_give_up_the_reconciliation_adopts_the_code_without_a_second_one(friendbuy, reward_store,
                                                                                      lost_answers):
    reward, coupon = _legacy_reward(friendbuy, reward_store)
    lost_answers(1_000)  # every create's answer is lost, whatever BigCommerce did with it
    for _ in range(2):
        with pytest.raises(BigCommerceError):
            reward_issue(reward_id=reward.pk)

    coupon.refresh_from_db()
    assert coupon.state == CouponCode.State.MINTING
    assert FakeCouponCode.objects.filter(code=coupon.code).count() == 1
    lost_answers(0)

    result = coupon_reconcile_minting(now=timezone.now() + timedelta(minutes=5))

    assert result["completed"] == 1
    coupon.refresh_from_db()
    assert coupon.state == CouponCode.State.ACTIVE and coupon.bc_code_id
    assert FakeCouponCode.objects.count() == 1
    assert Reward.objects.get(pk=reward.pk).state == Reward.State.ISSUED


def test_a_legacy_code_a_single_promotion_refuses_is_replaced_from_the_pool(friendbuy, reward_store):
    """A SINGLE promotion that already has its code refuses a second (422): the reward gets a pool code."""
    first, _ = _legacy_reward(friendbuy, reward_store)
    assert reward_issue(reward_id=first.pk).state == Reward.State.ISSUED
    second = Reward.objects.create(store=reward_store, friendbuy_reward_id="legacy-second", recipient="advocate",
                                   reward_type="discount", amount=10, unit="USD", state=Reward.State.APPROVED)
    template = services.coupon_template_default(store=reward_store)
    stuck = services.coupon_reserve(store=reward_store, template=template, request=services.CodeRequest(
        source_key="reward:legacy-second", amount=10, unit="USD"))
    Reward.objects.filter(pk=second.pk).update(coupon=stuck)

    second = reward_issue(reward_id=second.pk)

    stuck.refresh_from_db()
    assert stuck.state == CouponCode.State.DISABLED and "only one code" in stuck.disabled_reason
    assert second.state == Reward.State.ISSUED and second.coupon.pool.purpose == "rewards"
    assert second.coupon.source_key == f"reward:legacy-second:after:{stuck.pk}"
    assert FakeCouponCode.objects.filter(code=second.coupon.code).exists()


def test_a_codegen_whose_answer_is_lost_is_retried_and_hands_out_one_code(friendbuy, lost_answers):
    lost_answers(1)

    item, response = friendbuy.reward(amount="10.00")

    assert response.status_code == 200
    reward = Reward.objects.get(friendbuy_reward_id=item["rewardId"])
    assert reward.state == Reward.State.ISSUED
    assert CouponCode.objects.filter(source_key__isnull=False).count() == 1
    # The lost batch is in BigCommerce, unknown here; the retry's batch is the pool.
    assert FakeCouponCode.objects.count() == 2 * CouponCode.objects.count()
    assert len(_code_creations()) == 2


def test_a_code_whose_minting_gave_up_is_counted_on_the_admin_index(friendbuy, reward_store, lost_answers,
                                                                     client):
    reward, _ = _legacy_reward(friendbuy, reward_store)
    lost_answers(1_000)
    with pytest.raises(BigCommerceError):
        reward_issue(reward_id=reward.pk)
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    assert "minting gave up" not in client.get("/admin/").content.decode()  # still being retried

    CouponCode.objects.update(mint_attempts=MAX_MINT_ATTEMPTS)

    assert coupon_reconcile_minting(now=timezone.now() + timedelta(minutes=5))["checked"] == 0
    index = client.get("/admin/").content.decode()
    assert "1 coupon codes whose minting gave up" in index
    assert "/admin/coupons/couponcode/?state__exact=minting" in index
