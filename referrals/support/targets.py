"""The support actions a lookup page offers, shared by the admin's lookup (vendor staff, every store) and
the store's own (/app/support/, one store): their titles and explanations, what each acts on (with its
store, so a store-scoped page can refuse another store's row) and how a confirmed form runs it."""

from __future__ import annotations

from django import forms
from django.shortcuts import get_object_or_404

from coupons.models import CouponCode
from referrals.models import FriendbuyDelivery, OrderSnapshot, OutboxEvent, Reward, StaffAuditLog
from referrals.support import actions as support_actions
from storefront.models import Store, WebhookDelivery


def link_order_fields() -> dict[str, forms.Field]:
    """What a manual referral needs besides the reason every support action asks for."""
    return {
        "advocate": forms.CharField(
            max_length=254, label="Advocate (email or customer id)",
            help_text="The advocate who shared the link: their email or BigCommerce/Friendbuy customer id. It must "
                      "be someone this store knows (a customer, a Friendbuy reward or a referral link of theirs)."),
        "campaign_id": forms.CharField(
            max_length=64, required=False, label="Campaign",
            help_text="Confirm the Friendbuy campaign; may stay blank when the advocate has only one."),
        "referral_code": forms.CharField(
            max_length=128, required=False,
            help_text="Only when the advocate has several referral links: which one. Blank uses their only one."),
    }


ACTIONS = {
    "resend_event": ("Resend the event to Friendbuy",
                     "The outbox event gets a fresh set of attempts and is sent now. Friendbuy has no idempotency "
                     "key, so only events it never accepted can be resent."),
    "replay_webhook": ("Replay the webhook",
                       "The stored delivery is processed again: the order or customer is re-fetched and written "
                       "idempotently; nothing is counted twice."),
    "replay_friendbuy": ("Replay the Friendbuy delivery", "The stored Friendbuy webhook is processed again; "
                         "rewards are keyed by Friendbuy's rewardId, so none is recorded twice."),
    "reissue_code": ("Re-issue a code", "A new BigCommerce code is minted for this revoked or expired reward (or "
                     "the first one for an approved reward whose code was never minted)."),
    "revoke_code": ("Revoke the code", "The unused code is deleted in BigCommerce and the reward is revoked."),
    "revoke_coupon": ("Revoke the code", "The unused code is deleted in BigCommerce and marked disabled."),
    "approve_reward": ("Approve the held reward",
                       "The fraud assessment is approved (or the pending reward approved); its code is issued."),
    "reject_reward": ("Reject the held reward", "The fraud assessment (or the pending reward) is rejected."),
    "link_order": ("Link the order to a referral (manual referral)",
                   "We record that this order belongs to the advocate's referral and send Friendbuy a purchase "
                   "event for it carrying the advocate's referral code (outbox key purchase-manual:<order id>). "
                   "The advocate must be one this store knows, with a referral link seen for them; the campaign "
                   "is checked against theirs. Friendbuy then applies the campaign's rules (new customer, minimum "
                   "spend) as for any referred purchase and, if they pass, rewards the advocate. If Friendbuy "
                   "already holds this order as unreferred it may keep the first one — check the purchase in "
                   "Friendbuy's Retailer App afterwards."),
}


def describe_target(name: str, target: int, *, store: Store | None = None) -> tuple[Store, str]:
    """The store and a human description of what the action acts on; with `store`, a row of another
    store is a 404 (a store-scoped page never learns it exists)."""
    scope = {"store": store} if store is not None else {}
    if name == "resend_event":
        e = get_object_or_404(OutboxEvent.objects.select_related("store"), pk=target, **scope)
        return e.store, f"{e.get_kind_display()} {e.natural_key} — {e.get_state_display()} (HTTP {e.last_status or '-'})"
    if name == "replay_webhook":
        d = get_object_or_404(WebhookDelivery.objects.select_related("store"), pk=target, **scope)
        return d.store, f"BigCommerce webhook {d.scope} #{d.resource_id} — {d.get_status_display()}"
    if name == "replay_friendbuy":
        d = get_object_or_404(FriendbuyDelivery.objects.select_related("store"), pk=target, **scope)
        return d.store, f"Friendbuy {d.get_kind_display()} {d.event_type} #{d.pk} — {d.get_status_display()}"
    if name == "revoke_coupon":
        c = get_object_or_404(CouponCode.objects.select_related("store"), pk=target, **scope)
        return c.store, f"Code {c.code} — {c.get_state_display()}"
    if name == "link_order":
        o = get_object_or_404(OrderSnapshot.objects.select_related("store"), pk=target, **scope)
        return o.store, (f"Order {o.bc_order_id} by {o.email or 'a guest with no email'}: "
                         f"{o.total_inc_tax:.2f} {o.currency_code}, {o.status_label or 'status unknown'}")
    r = get_object_or_404(Reward.objects.select_related("store", "coupon"), pk=target, **scope)
    return r.store, (f"{r.get_recipient_display()} reward {r.friendbuy_reward_id} — {r.get_state_display()}"
                     f"{' (code ' + r.coupon.code + ')' if r.coupon else ''}")


def perform(name: str, target: int, data: dict, user, *, store: Store | None = None) -> StaffAuditLog:
    """Run a confirmed action (`user`: a staff user or a StoreUser; the action checks it may act).

    With `store` (a store's own pages), a row of another store is a 404 before anything runs; the action
    itself refuses it again for a store user (referrals.support.actions)."""
    if store is not None:
        describe_target(name, target, store=store)
    reason = data["reason"]
    if name == "resend_event":
        return support_actions.action_resend_event(user=user, event_id=target, reason=reason)
    if name == "replay_webhook":
        return support_actions.action_replay_webhook(user=user, delivery_id=target, reason=reason)
    if name == "replay_friendbuy":
        return support_actions.action_replay_webhook(user=user, delivery_id=target, reason=reason, source="friendbuy")
    if name == "reissue_code":
        return support_actions.action_reissue_code(user=user, reward_id=target, reason=reason)
    if name == "revoke_code":
        return support_actions.action_revoke_code(user=user, reward_id=target, reason=reason)
    if name == "revoke_coupon":
        return support_actions.action_revoke_coupon(user=user, coupon_id=target, reason=reason)
    if name in ("approve_reward", "reject_reward"):
        return support_actions.action_decide_reward(user=user, reward_id=target, reason=reason,
                                                    decision=name.split("_")[0])
    scope = {"store": store} if store is not None else {}
    order = OrderSnapshot.objects.select_related("store").get(pk=target, **scope)
    return support_actions.action_link_order(
        user=user, store=order.store, bc_order_id=order.bc_order_id, reason=reason,
        advocate=data.get("advocate", ""), campaign_id=data.get("campaign_id", ""),
        referral_code=data.get("referral_code", ""))
