"""Admin for webhook subscriptions and the webhook inbox: read-only logs, dead letters counted above the
list, replay behind a confirmation page."""

from django.contrib import admin, messages

from ..admin_base import ReadOnlyAdmin, confirm_action
from ..admin_retention import RetentionNoticeMixin
from .models import WebhookDelivery, WebhookSubscription
from .processing import MAX_ATTEMPTS, deliveries_replay


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ReadOnlyAdmin):
    list_display = (
        "store",
        "scope",
        "bc_hook_id",
        "is_active",
        "destination",
        "last_checked_at",
        "last_error",
    )
    list_filter = ("is_active", "scope", "store")
    search_fields = ("store__store_hash", "scope", "destination")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(RetentionNoticeMixin, ReadOnlyAdmin):
    list_display = (
        "received_at",
        "store",
        "scope",
        "resource_id",
        "status",
        "response_status",
        "valid",
        "attempts",
        "next_attempt_at",
        "remote_ip",
    )
    list_filter = ("status", "scope", "valid", "authenticated", "signature_verified", "store")
    search_fields = ("resource_id", "hash", "store__store_hash", "public_id", "body_sha256")
    date_hierarchy = "received_at"
    readonly_fields = (
        "store",
        "public_id",
        "received_at",
        "remote_ip",
        "headers",
        "body",
        "body_size",
        "body_truncated",
        "body_sha256",
        "authenticated",
        "signature_verified",
        "scope",
        "resource_id",
        "hash",
        "valid",
        "status",
        "response_status",
        "error",
        "traceback",
        "attempts",
        "next_attempt_at",
        "processed_at",
    )
    actions = ["replay_deliveries"]

    def has_change_permission(self, request, obj=None):
        # Viewing a delivery is allowed (the change page is read-only: every field is in readonly_fields).
        return False

    def changelist_view(self, request, extra_context=None):
        dead = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.DEAD).count()
        if dead and request.method == "GET":
            self.message_user(
                request,
                f"{dead} dead letter(s): deliveries whose processing failed {MAX_ATTEMPTS} times. Filter by "
                "status \"Dead letter\", fix the cause, then replay them.",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    @admin.action(description="Replay selected deliveries (process again)", permissions=["support"])
    def replay_deliveries(self, request, queryset):
        page = confirm_action(
            self,
            request,
            objects=queryset[:200],
            action="replay_deliveries",
            title="Replay webhook deliveries?",
            explanation=(
                "Each valid delivery is processed again: the order or customer is re-fetched from "
                "BigCommerce. Nothing already sent to Friendbuy is sent again. Dead letters get one "
                "more attempt. Rejected and duplicate deliveries are skipped."
            ),
            confirm_label="Yes, replay them",
        )
        if page is not None:
            return page
        replayed = deliveries_replay(delivery_ids=list(queryset.values_list("pk", flat=True)))
        for delivery in queryset:
            self.log_change(request, delivery, "Replayed from the admin.")
        self.message_user(request, f"Replayed {replayed} deliveries.", messages.SUCCESS)
        return None
