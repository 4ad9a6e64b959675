"""Minting stays exactly-once when BigCommerce creates the code but its answer never arrives.

The transport does not resend the POST (it may have arrived, and it had); the reward task retries
the mint, which finds the code already there (422 "already in use") and adopts it, and when the task
gives up, the minting reconciliation looks the code up before creating anything.
"""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.utils import timezone

from coupons.models import CouponCode
from coupons.services import MAX_MINT_ATTEMPTS, coupon_reconcile_minting
from referrals.models import Reward
from sandbox.bigcommerce.models import FakeCouponCode
from sandbox.transport import InProcessAdapter
from storefront.models import OutboundCall

pytestmark = pytest.mark.django_db(transaction=True)

CREATE_CODE = re.compile(r"/v3/promotions/\d+/codes$")


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
    return list(OutboundCall.objects.filter(service="bigcommerce", method="POST", path__regex=r"/codes$")
                .order_by("id").values_list("status", "error"))


def test_a_timed_out_create_that_bigcommerce_acted_on_is_adopted_by_the_task_retry(friendbuy, lost_answers):
    lost_answers(1)

    item, response = friendbuy.reward(amount="10.00")

    assert response.status_code == 200
    reward = Reward.objects.get(friendbuy_reward_id=item["rewardId"])
    assert reward.state == Reward.State.ISSUED
    assert FakeCouponCode.objects.count() == 1
    assert FakeCouponCode.objects.get().code == reward.coupon.code
    assert reward.coupon.bc_code_id == FakeCouponCode.objects.get().pk
    # One POST per task attempt: the timed-out one (not resent by the transport), then the task's own,
    # which BigCommerce refuses as already in use, so the code is looked up and adopted.
    creations = _code_creations()
    assert len(creations) == 2
    assert creations[0][0] is None and "ReadTimeout" in creations[0][1]
    assert creations[1][0] == 422


def test_when_the_task_gives_up_the_reconciliation_adopts_the_code_without_a_second_one(friendbuy, lost_answers):
    lost_answers(1_000)  # every create's answer is lost, whatever BigCommerce did with it

    item, _ = friendbuy.reward(amount="10.00")

    coupon = CouponCode.objects.get()
    assert coupon.state == CouponCode.State.MINTING
    assert FakeCouponCode.objects.filter(code=coupon.code).count() == 1
    lost_answers(0)

    result = coupon_reconcile_minting(now=timezone.now() + timedelta(minutes=5))

    assert result["completed"] == 1
    coupon.refresh_from_db()
    assert coupon.state == CouponCode.State.ACTIVE and coupon.bc_code_id
    assert FakeCouponCode.objects.count() == 1
    assert Reward.objects.get(friendbuy_reward_id=item["rewardId"]).state == Reward.State.ISSUED


def test_a_code_whose_minting_gave_up_is_counted_on_the_admin_index(friendbuy, lost_answers, client):
    lost_answers(1_000)
    friendbuy.reward(amount="10.00")
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    assert "minting gave up" not in client.get("/admin/").content.decode()  # still being retried

    CouponCode.objects.update(mint_attempts=MAX_MINT_ATTEMPTS)

    assert coupon_reconcile_minting(now=timezone.now() + timedelta(minutes=5))["checked"] == 0
    index = client.get("/admin/").content.decode()
    assert "1 coupon codes whose minting gave up" in index
    assert "/admin/coupons/couponcode/?state__exact=minting" in index
