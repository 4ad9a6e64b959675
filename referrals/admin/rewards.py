"""Admin for rewards, their history, Friendbuy deliveries, validation callbacks, friend codes and holds.

Staff actions (approve, reject, re-issue, revoke) go through a confirmation page that requires a
reason; each change is a RewardTransition with the staff user as actor.
"""
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from referrals.inbox.process import MAX_ATTEMPTS as WEBHOOK_MAX_ATTEMPTS
from referrals.inbox.process import deliveries_replay
from referrals.models import (
    FriendbuyDelivery,
    FriendbuyWebhookItem,
    FriendCode,
    LoyaltyEvent,
    ReviewHold,
    Reward,
    RewardTransition,
    ValidationCallback,
)
from referrals.rewards.issue import reward_issue
from referrals.rewards.reversal import reward_reverse
from referrals.rewards.transitions import IllegalTransition, reward_transition
from storefront.admin_base import (
    ReadOnlyAdmin,
    ReadOnlyInline,
    StoreScopedAdmin,
    confirm_action,
    confirmed_data,
)
from storefront.admin_retention import RetentionNoticeMixin
from storefront.bigcommerce import BigCommerceError


class RewardTransitionInline(ReadOnlyInline):
    model = RewardTransition
    fields = ("at", "from_state", "to_state", "actor", "user", "reason", "code", "amount", "currency")


def _confirm(modeladmin, request, queryset, *, action: str, verb: str, question: str, apply) -> TemplateResponse | None:
    """Show the confirmation page until a reason is posted, then apply `apply(reward, reason, user)`."""
    page = confirm_action(
        modeladmin, request, title=f"{verb.capitalize()} rewards?", explanation=question, action=action,
        objects=queryset.select_related("coupon"), describe=_describe, confirm_label=f"Yes, {verb}",
        reason_required=True, reason_help="Recorded in the reward's history.")
    if page is not None:
        return page
    reason = confirmed_data(request)["reason"]
    done, failed = 0, []
    for reward in queryset:
        try:
            apply(reward, reason, request.user)
            done += 1
        except (IllegalTransition, BigCommerceError) as exc:
            failed.append(f"{reward}: {exc}")
    for message in failed:
        modeladmin.message_user(request, message, messages.WARNING)
    modeladmin.message_user(request, f"{verb.capitalize()}: {done} done, {len(failed)} not possible.",
                            messages.SUCCESS if not failed else messages.WARNING)
    return None


def _describe(reward: Reward) -> str:
    return f"{reward} — {reward.get_state_display()}{f' ({reward.coupon.code})' if reward.coupon else ''}"


def _approve(reward, reason, user):
    reward = reward_transition(reward=reward, to_state=Reward.State.APPROVED, reason=reason, user=user)
    reward_issue(reward_id=reward.pk)


def _reject(reward, reason, user):
    reward_transition(reward=reward, to_state=Reward.State.REJECTED, reason=reason, user=user)


def _reissue(reward, reason, user):
    if reward.state not in (Reward.State.REVOKED, Reward.State.EXPIRED):
        raise IllegalTransition(f"only revoked or expired rewards can be re-issued (is {reward.state})")
    reward_issue(reward_id=reward.pk, reissue=True, user=user, reason=reason)


def _revoke(reward, reason, user):
    if reward.state != Reward.State.ISSUED:
        raise IllegalTransition(f"only issued rewards can be revoked (is {reward.state})")
    reward_reverse(reward=reward, reason=reason, user=user)


@admin.register(Reward)
class RewardAdmin(StoreScopedAdmin):
    list_display = ("friendbuy_reward_id", "store", "recipient", "reward_type", "amount", "unit", "state",
                    "coupon", "bc_order_id", "campaign_id", "created_at")
    list_filter = ("state", "reward_type", "recipient", "campaign_id", ("created_at", admin.DateFieldListFilter),
                   "store")
    search_fields = ("friendbuy_reward_id", "email", "customer_id", "coupon__code", "=bc_order_id")
    list_select_related = ("store", "coupon")
    raw_id_fields = ("store", "order", "coupon", "delivery")
    readonly_fields = [f.name for f in Reward._meta.fields]
    inlines = [RewardTransitionInline]
    actions = ["approve_rewards", "reject_rewards", "reissue_rewards", "revoke_rewards"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Approve (and issue the code)", permissions=["operate"])
    def approve_rewards(self, request, queryset):
        return _confirm(self, request, queryset, action="approve_rewards", verb="approve",
                        question="Approve these pending rewards? Coupon rewards get their code.", apply=_approve)

    @admin.action(description="Reject", permissions=["operate"])
    def reject_rewards(self, request, queryset):
        return _confirm(self, request, queryset, action="reject_rewards", verb="reject",
                        question="Reject these rewards? No code will be issued.", apply=_reject)

    @admin.action(description="Re-issue with a new code", permissions=["operate"])
    def reissue_rewards(self, request, queryset):
        return _confirm(self, request, queryset, action="reissue_rewards", verb="re-issue",
                        question="Mint a new code for these revoked or expired rewards?", apply=_reissue)

    @admin.action(description="Revoke (disable the code in BigCommerce)", permissions=["operate"])
    def revoke_rewards(self, request, queryset):
        return _confirm(self, request, queryset, action="revoke_rewards", verb="revoke",
                        question="Revoke these rewards? Their unused codes are deleted in BigCommerce.",
                        apply=_revoke)


class WebhookItemInline(ReadOnlyInline):
    model = FriendbuyWebhookItem
    fields = ("index", "type", "natural_key", "status", "error")


@admin.register(FriendbuyDelivery)
class FriendbuyDeliveryAdmin(RetentionNoticeMixin, ReadOnlyAdmin):
    list_display = ("id", "store", "kind", "event_type", "valid", "status", "http_status", "attempts",
                    "next_attempt_at", "remote_ip", "received_at", "processed_at")
    list_filter = ("kind", "status", "valid", "event_type", "store")
    search_fields = ("webhook_id", "public_id", "body")
    inlines = [WebhookItemInline]
    actions = ["replay"]

    def changelist_view(self, request, extra_context=None):
        dead = FriendbuyDelivery.objects.filter(status=FriendbuyDelivery.Status.DEAD).count()
        if dead and request.method == "GET":
            self.message_user(request, f"{dead} dead letter(s): deliveries whose processing failed "
                              f"{WEBHOOK_MAX_ATTEMPTS} times. Filter by status \"Dead letter\", fix the cause, "
                              "then replay them.", messages.WARNING)
        return super().changelist_view(request, extra_context)

    @admin.action(description="Replay processing (safe: rewards are deduplicated)", permissions=["support"])
    def replay(self, request, queryset):
        page = confirm_action(
            self, request, objects=queryset[:200], action="replay", title="Replay Friendbuy deliveries?",
            explanation=("Every item of each verified webhook is processed again. Rewards already known are "
                         "not recorded or minted twice. Dead letters get one more attempt. Validation "
                         "callbacks and rejected calls are skipped."),
            confirm_label="Yes, replay them",
        )
        if page is not None:
            return page
        eligible = list(queryset.filter(valid=True, kind=FriendbuyDelivery.Kind.WEBHOOK).exclude(store=None))
        replayed = deliveries_replay(delivery_ids=[delivery.pk for delivery in eligible])
        for delivery in eligible:
            self.log_change(request, delivery, "Replayed from the admin.")
        self.message_user(request, f"Replayed {replayed} of {queryset.count()} selected deliveries.",
                          messages.SUCCESS)
        return None


@admin.register(ValidationCallback)
class ValidationCallbackAdmin(RetentionNoticeMixin, ReadOnlyAdmin):
    # A callback is deleted with its delivery row (one-to-one, cascading).
    retention_model = FriendbuyDelivery
    retention_keys = ("friendbuy_validation_callbacks", "friendbuy_deliveries_unauthenticated")
    list_display = ("id", "store", "order_reference", "bc_order_id", "recipient_type", "answer_status", "reason",
                    "duration_ms", "at")
    list_filter = ("answer_status", "recipient_type", "store")
    search_fields = ("order_reference", "advocate_email", "advocate_customer_id")
    raw_id_fields = ("store", "delivery")


@admin.register(FriendCode)
class FriendCodeAdmin(ReadOnlyAdmin):
    list_display = ("code", "store", "source", "friend_email", "advocate_email", "referral_code", "created_at")
    search_fields = ("code", "friend_email", "advocate_email", "referral_code", "attribution_id")


@admin.register(ReviewHold)
class ReviewHoldAdmin(StoreScopedAdmin):
    list_display = ("bc_order_id", "store", "state", "reason", "created_at", "decided_at")
    list_filter = ("state", "store")
    search_fields = ("=bc_order_id",)


@admin.register(LoyaltyEvent)
class LoyaltyEventAdmin(ReadOnlyAdmin):
    list_display = ("deduplication_id", "store", "event_type", "state", "attempts", "created_at", "sent_at")
    list_filter = ("state", "event_type", "store")
    search_fields = ("deduplication_id", "customer_id", "email")
