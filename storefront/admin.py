"""Admin for stores, their users and the outbound call log. Secrets are shown redacted only."""
from django.contrib import admin

from . import (  # noqa: F401  (register their admins; autodiscover only imports this module)
    admin_scheduler,
    admin_scripts,
)
from .admin_base import ActionPermissionsMixin, NoWritesMixin, ReadOnlyAdmin, ReadOnlyInline
from .admin_retention import RetentionNoticeMixin
from .models import OutboundCall, RejectedCall, Store, StoreUser
from .webhooks import admin as webhooks_admin  # noqa: F401  (likewise)


class StoreUserInline(ReadOnlyInline):
    model = StoreUser
    fields = ("bc_user_id", "email", "is_owner", "created_at", "last_loaded_at", "removed_at")


@admin.register(Store)
class StoreAdmin(ActionPermissionsMixin, admin.ModelAdmin):
    list_display = ("store_hash", "name", "status", "owner_email", "friendbuy_health", "installed_at", "uninstalled_at")
    list_filter = ("status",)
    search_fields = ("store_hash", "name", "owner_email")
    inlines = [StoreUserInline]
    # access_token and webhook_secret are deliberately absent: only their redacted forms are shown.
    fields = (
        "store_hash", "name", "status", "scopes", "access_token_redacted", "account_uuid", "owner_bc_user_id",
        "owner_email", "public_id", "storefront_url", "default_currency", "money_format",
        "first_installed_at", "installed_at", "setup_completed_at", "uninstalled_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    @admin.display(description="Friendbuy")
    def friendbuy_health(self, obj):
        connection = getattr(obj, "friendbuy", None)
        return connection.get_health_display() if connection else "Not connected"

    @admin.display(description="Access token")
    def access_token_redacted(self, obj):
        return obj.access_token_redacted


@admin.register(StoreUser)
class StoreUserAdmin(ActionPermissionsMixin, admin.ModelAdmin):
    list_display = ("email", "bc_user_id", "store", "is_owner", "last_loaded_at", "removed_at")
    list_select_related = ("store",)
    list_filter = ("is_owner", "store")
    search_fields = ("email", "bc_user_id", "store__store_hash")
    readonly_fields = ("store", "bc_user_id", "email", "is_owner", "created_at", "last_loaded_at", "removed_at")

    def has_add_permission(self, request):
        return False


@admin.register(OutboundCall)
class OutboundCallAdmin(RetentionNoticeMixin, ReadOnlyAdmin):
    list_display = ("created_at", "store", "service", "method", "path", "status", "attempt", "duration_ms", "error")
    list_filter = ("service", "status", "store")
    search_fields = ("path", "error")
    date_hierarchy = "created_at"


@admin.register(RejectedCall)
class RejectedCallAdmin(RetentionNoticeMixin, NoWritesMixin, admin.ModelAdmin):
    """Widget API calls refused before their body was parsed (no store: the body never got that far)."""

    list_display = ("received_at", "status", "path", "public_id", "remote_ip", "reason", "body_size")
    list_filter = ("status", "path")
    search_fields = ("public_id", "remote_ip", "body_sha256")
    date_hierarchy = "received_at"
