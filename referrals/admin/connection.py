"""Admin for Friendbuy connections: health at a glance, secrets only ever shown redacted.

The encrypted columns are excluded from every form and list; the redacted display methods stand in for
them, so not even the change page's HTML holds a raw key, secret or token.
"""
from django.contrib import admin, messages

from referrals.friendbuy.services import friendbuy_check_health
from referrals.models import FriendbuyConnection
from storefront.admin_base import StoreScopedAdmin, confirm_action

ENCRYPTED_FIELDS = ("api_key", "api_secret", "webhook_secret", "access_token")


@admin.register(FriendbuyConnection)
class FriendbuyConnectionAdmin(StoreScopedAdmin):
    list_display = ("store", "merchant_id", "health", "last_checked_at", "last_error_short", "connected_at")
    list_filter = ("health", "store")
    search_fields = ("merchant_id", "store__store_hash")
    exclude = ENCRYPTED_FIELDS
    fields = (
        "store", "merchant_id", "health", "last_checked_at", "last_error",
        "api_key_shown", "api_secret_shown", "webhook_secret_shown",
        "token_shown", "token_expires_at", "connected_at", "updated_at",
    )
    readonly_fields = fields
    actions = ["check_friendbuy_connection"]

    def has_add_permission(self, request):
        # Connections are made by the merchant (load page) or support (connect_friendbuy), both of which
        # prove the credentials with Friendbuy first.
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Merchant API key")
    def api_key_shown(self, obj):
        return obj.api_key_redacted

    @admin.display(description="Merchant API secret")
    def api_secret_shown(self, obj):
        return obj.api_secret_redacted

    @admin.display(description="Webhook Secret Key")
    def webhook_secret_shown(self, obj):
        return obj.webhook_secret_redacted

    @admin.display(description="Cached bearer token")
    def token_shown(self, obj):
        return "cached" if obj.access_token else "none"

    @admin.display(description="Last error")
    def last_error_short(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description="Check Friendbuy connection", permissions=["support"])
    def check_friendbuy_connection(self, request, queryset):
        """Read-only check (a fresh token from /v1/authorization); asks for confirmation first."""
        page = confirm_action(
            self, request, title="Check Friendbuy connections?", action="check_friendbuy_connection",
            explanation="Ask Friendbuy for a fresh token with the stored credentials of these connections? Nothing "
                        "is changed except each connection's health, last check and last error.",
            objects=queryset.select_related("store"),
            describe=lambda connection: f"{connection.store} — {connection.merchant_id}",
            confirm_label="Yes, check them")
        if page is not None:
            return page
        healthy = failing = 0
        for connection in queryset.select_related("store"):
            connection = friendbuy_check_health(connection=connection)
            if connection.health == FriendbuyConnection.Health.HEALTHY:
                healthy += 1
            else:
                failing += 1
                self.message_user(request, f"{connection.store}: {connection.last_error}", messages.WARNING)
        self.message_user(request, f"Checked {healthy + failing}: {healthy} healthy, {failing} failing.",
                          messages.SUCCESS if not failing else messages.WARNING)
        return None
