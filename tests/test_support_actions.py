"""Support actions: each behind a confirmation page with a required reason, run through the domain's
services, recorded in StaffAuditLog and in the domain's own history; read-only roles get 403."""
import pytest
from django.core.exceptions import PermissionDenied

from fraud.models import Assessment, ReviewDecision
from referrals.models import (
    AttributionCapture,
    ManualAttribution,
    OutboxEvent,
    Reward,
    RewardTransition,
    StaffAuditLog,
)
from referrals.orders.identity import identity_upsert
from referrals.support import actions as support_actions
from sandbox.friendbuy import world as fb_world
from storefront.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def test_resend_a_dead_event_sends_it_and_audits(build, support_user, support_merchant):
    order = build.order(10, email="friend@example.com")
    event = build.purchase_event(order, state="dead", status=400, error="Invalid")
    entry = support_actions.action_resend_event(user=support_user, event_id=event.pk, reason="Email fixed")
    event.refresh_from_db()
    assert event.state == OutboxEvent.State.SENT
    assert [p["orderId"] for p in fb_world.events(support_merchant, "purchase")] == ["10"]
    assert (entry.action, entry.result, entry.username, entry.store_id) == ("resend_event", "ok", "sam.support",
                                                                             build.store.pk)
    assert entry.reason == "Email fixed" and entry.target == f"outbox:{event.pk}"


def test_resend_refuses_an_already_sent_event(build, support_user):
    event = build.purchase_event(build.order(10))
    with pytest.raises(support_actions.ActionFailed, match="not sent twice"):
        support_actions.action_resend_event(user=support_user, event_id=event.pk, reason="again")
    assert StaffAuditLog.objects.get().result == "failed"


def test_a_reason_is_required(build, support_user):
    event = build.purchase_event(build.order(10), state="dead")
    with pytest.raises(support_actions.ActionFailed, match="reason"):
        support_actions.action_resend_event(user=support_user, event_id=event.pk, reason="  ")


def test_auditor_may_not_act_and_the_refusal_is_audited(build, auditor_user):
    event = build.purchase_event(build.order(10), state="dead")
    with pytest.raises(PermissionDenied):
        support_actions.action_resend_event(user=auditor_user, event_id=event.pk, reason="try")
    assert StaffAuditLog.objects.get().result == "refused"
    event.refresh_from_db()
    assert event.state == "dead"


def test_replay_a_webhook_delivery(build, support_user):
    delivery = WebhookDelivery.objects.create(store=build.store, scope="store/order/created", resource_id="10",
                                              valid=True, status="failed", body='{"data": {"id": 10}}')
    entry = support_actions.action_replay_webhook(user=support_user, delivery_id=delivery.pk, reason="BC was down")
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert entry.target == f"webhook:{delivery.pk}" and entry.action == "replay_webhook"


def test_replay_refuses_a_rejected_delivery(build, support_user):
    delivery = WebhookDelivery.objects.create(store=build.store, scope="store/order/created", resource_id="10",
                                              valid=False, status="rejected")
    with pytest.raises(support_actions.ActionFailed):
        support_actions.action_replay_webhook(user=support_user, delivery_id=delivery.pk, reason="x")


def test_revoke_an_issued_reward_records_the_transition_with_the_user(build, support_user):
    reward = build.reward("RW-R", state="issued")
    support_actions.action_revoke_code(user=support_user, reward_id=reward.pk, reason="Friend returned it")
    reward.refresh_from_db()
    assert reward.state == Reward.State.REVOKED
    last = RewardTransition.objects.filter(reward=reward).last()
    assert (last.to_state, last.user, last.reason) == ("revoked", support_user, "Friend returned it")


def test_reissue_refuses_a_reward_that_is_not_revoked(build, support_user):
    reward = build.reward("RW-I", state="issued")
    with pytest.raises(support_actions.ActionFailed, match="revoked or expired ones, get a new code"):
        support_actions.action_reissue_code(user=support_user, reward_id=reward.pk, reason="x")
    assert StaffAuditLog.objects.get().result == "failed"


def test_approve_a_held_reward_goes_through_the_fraud_assessment(build, support_user):
    order = build.order(10)
    reward = build.reward("RW-H", order=order, state="pending")
    assessment = build.assessment(order, decision="hold")
    entry = support_actions.action_decide_reward(user=support_user, reward_id=reward.pk, decision="approve",
                                                 reason="Same household, genuine")
    assessment.refresh_from_db()
    assert assessment.decision == "approve"
    assert ReviewDecision.objects.get(assessment=assessment).note == "Same household, genuine"
    assert entry.action == "approve_reward" and f"assessment {assessment.pk}" in entry.detail


def test_reject_a_pending_reward_without_assessment(build, support_user):
    reward = build.reward("RW-J", state="pending")
    support_actions.action_decide_reward(user=support_user, reward_id=reward.pk, decision="reject", reason="Fake")
    reward.refresh_from_db()
    assert reward.state == Reward.State.REJECTED
    assert not Assessment.objects.exists()


def _advocate(build, *, code: str = "ADV-CODE", campaign: str = "camp-1") -> None:
    """Ada, a known customer whose signed referral link (code, campaign) a friend once followed."""
    identity_upsert(store=build.store, bc_customer_id=900, email="ada@example.com")
    AttributionCapture.objects.create(store=build.store, device_id="dev-ada", referral_code=code, campaign_id=campaign,
                                      advocate_customer_id="900", signature_valid=True)


def test_link_an_order_to_a_referral_sends_a_manual_purchase_event(build, support_user, support_merchant,
                                                                   django_capture_on_commit_callbacks):
    build.order(10, email="friend@example.com")
    _advocate(build)
    with django_capture_on_commit_callbacks(execute=True):
        entry = support_actions.action_link_order(user=support_user, store=build.store, bc_order_id=10,
                                                  advocate="ada@example.com", reason="Friend bought on her phone")
    manual = ManualAttribution.objects.get()
    assert (manual.referral_code, manual.campaign_id, manual.advocate_customer_id, manual.created_by) == (
        "ADV-CODE", "camp-1", "900", support_user)
    event = OutboxEvent.objects.get(natural_key="purchase-manual:10")
    assert event.payload["referralCode"] == "ADV-CODE" and manual.outbox_event_id == event.pk
    sent = fb_world.events(support_merchant, "purchase")
    assert sent and sent[-1]["referralCode"] == "ADV-CODE" and sent[-1]["orderId"] == "10"
    assert (entry.action, entry.result) == ("link_order", "ok")
    assert "100.00 USD" in entry.detail and "ada@example.com" in entry.detail


def test_link_by_customer_id_finds_the_same_advocate(build, support_user):
    build.order(10)
    _advocate(build)
    support_actions.action_link_order(user=support_user, store=build.store, bc_order_id=10, advocate="900",
                                      campaign_id="camp-1", reason="r")
    assert ManualAttribution.objects.get().referral_code == "ADV-CODE"


def test_link_refuses_a_nonsense_advocate_with_a_clear_message_and_audits(build, support_user):
    build.order(10)
    _advocate(build)
    with pytest.raises(support_actions.ActionFailed, match="is not an advocate this store knows"):
        support_actions.action_link_order(user=support_user, store=build.store, bc_order_id=10,
                                          advocate="nobody@nowhere.test", reason="r")
    assert not ManualAttribution.objects.exists() and not OutboxEvent.objects.exists()
    assert StaffAuditLog.objects.get().result == "failed"


def test_link_refuses_a_campaign_not_the_advocates(build, support_user):
    build.order(10)
    _advocate(build)
    with pytest.raises(support_actions.ActionFailed, match="Campaign “camp-9” is not one seen for"):
        support_actions.action_link_order(user=support_user, store=build.store, bc_order_id=10,
                                          advocate="ada@example.com", campaign_id="camp-9", reason="r")
    assert not ManualAttribution.objects.exists()


def test_link_refuses_a_known_customer_with_no_referral_link(build, support_user):
    build.order(10)
    identity_upsert(store=build.store, bc_customer_id=901, email="bob@example.com")
    with pytest.raises(support_actions.ActionFailed, match="no referral link of theirs has been seen"):
        support_actions.action_link_order(user=support_user, store=build.store, bc_order_id=10,
                                          advocate="bob@example.com", reason="r")


def test_link_refuses_a_self_referral(build, support_user):
    build.order(10, email="ada@example.com", customer_id=900)
    _advocate(build)
    with pytest.raises(support_actions.ActionFailed, match="self-referral"):
        support_actions.action_link_order(user=support_user, store=build.store, bc_order_id=10,
                                          advocate="ada@example.com", reason="r")


def test_link_refuses_an_unpaid_order_and_a_second_link(build, support_user):
    _advocate(build)
    build.order(10, paid=False, status_id=7)
    with pytest.raises(support_actions.ActionFailed, match="never paid"):
        support_actions.action_link_order(user=support_user, store=build.store, bc_order_id=10,
                                          advocate="900", reason="r")
    build.order(11)
    support_actions.action_link_order(user=support_user, store=build.store, bc_order_id=11, advocate="900",
                                      reason="r")
    with pytest.raises(support_actions.ActionFailed, match="already linked"):
        support_actions.action_link_order(user=support_user, store=build.store, bc_order_id=11, advocate="900",
                                          reason="r")


def test_confirmation_page_explains_and_requires_a_reason(support_client, build):
    order = build.order(10)
    url = f"/admin/support/action/link_order/{order.pk}/"
    page = support_client.get(url).content.decode()
    assert "purchase-manual:&lt;order id&gt;" in page and "reason" in page
    assert "100.00 USD" in page
    _advocate(build)
    response = support_client.post(url, {"advocate": "900", "reason": ""})
    assert response.status_code == 200 and not ManualAttribution.objects.exists()
    response = support_client.post(url, {"advocate": "nobody@nowhere.test", "reason": "Ticket 41", "back": "/admin/"},
                                   follow=True)
    assert "is not an advocate this store knows" in response.content.decode()
    assert not ManualAttribution.objects.exists()
    response = support_client.post(url, {"advocate": "900", "reason": "Ticket 42", "back": "/admin/"})
    assert response.status_code == 302 and ManualAttribution.objects.get().reason == "Ticket 42"


def test_auditor_gets_403_on_actions_but_can_read_the_lookup(auditor_client, build):
    order = build.order(10)
    assert auditor_client.get("/admin/support/lookup/", {"q": "10"}, follow=True).status_code == 200
    assert auditor_client.get(f"/admin/support/action/link_order/{order.pk}/").status_code == 403
    response = auditor_client.post(f"/admin/support/action/link_order/{order.pk}/",
                                   {"advocate": "900", "reason": "x"})
    assert response.status_code == 403 and not ManualAttribution.objects.exists()
    assert StaffAuditLog.objects.get().result == "refused"
