"""Admin for webhook subscriptions and the webhook inbox: read-only logs, replay behind a confirmation page."""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from .admin_base import ReadOnlyAdmin
from .handlers import deliveries_replay
from .models import WebhookDelivery, WebhookSubscription


def confirmation_page(
    modeladmin, request, queryset, *, action: str, title: str, explanation: str, confirm_label: str
) -> TemplateResponse:
    """The page an admin action shows before it acts (the action re-posts with confirm=yes)."""
    return TemplateResponse(
        request,
        "admin/lifecycle/confirm_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "explanation": explanation,
            "confirm_label": confirm_label,
            "action": action,
            "objects": queryset[:200],
            "opts": modeladmin.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        },
    )


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
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "store",
        "scope",
        "resource_id",
        "status",
        "response_status",
        "valid",
        "attempts",
        "remote_ip",
    )
    list_filter = ("status", "scope", "valid", "store")
    search_fields = ("resource_id", "hash", "store__store_hash", "public_id")
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
        "scope",
        "resource_id",
        "hash",
        "valid",
        "status",
        "response_status",
        "error",
        "traceback",
        "attempts",
        "processed_at",
    )
    actions = ["replay_deliveries"]

    def has_change_permission(self, request, obj=None):
        # Viewing a delivery is allowed (the change page is read-only: every field is in readonly_fields).
        return False

    @admin.action(description="Replay selected deliveries (process again)", permissions=["view"])
    def replay_deliveries(self, request, queryset):
        if request.POST.get("confirm") != "yes":
            return confirmation_page(
                self,
                request,
                queryset,
                action="replay_deliveries",
                title="Replay webhook deliveries?",
                explanation=(
                    "Each valid delivery is processed again: the order or customer is re-fetched from "
                    "BigCommerce. Nothing already sent to Friendbuy is sent again. Rejected and "
                    "duplicate deliveries are skipped."
                ),
                confirm_label="Yes, replay them",
            )
        replayed = deliveries_replay(delivery_ids=list(queryset.values_list("pk", flat=True)))
        for delivery in queryset:
            self.log_change(request, delivery, "Replayed from the admin.")
        self.message_user(request, f"Replayed {replayed} deliveries.", messages.SUCCESS)
        return None
