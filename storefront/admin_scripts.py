"""Admin for the storefront's settings and installed scripts: settings are editable, scripts can be re-checked
(behind a confirmation page)."""

from django.contrib import admin, messages

from .admin_base import ReadOnlyAdmin, StoreScopedAdmin, confirm_action
from .bigcommerce import BigCommerceError
from .models import InstalledScript, Store, StorefrontSettings
from .scripts import scripts_ensure


@admin.register(StorefrontSettings)
class StorefrontSettingsAdmin(StoreScopedAdmin):
    list_display = ("store", "default_campaign_id", "widget_enabled", "updated_at")


@admin.register(InstalledScript)
class InstalledScriptAdmin(ReadOnlyAdmin):
    list_display = ("store", "name", "bc_uuid", "enabled", "last_checked_at", "updated_at")
    list_filter = ("name", "enabled", "store")
    search_fields = ("store__store_hash", "bc_uuid")
    actions = ["recheck_scripts"]

    @admin.action(description="Re-check scripts of the selected rows' stores", permissions=["operate"])
    def recheck_scripts(self, request, queryset):
        rows = list(queryset.select_related("store"))
        stores = list({row.store_id: row.store for row in rows}.values())
        page = confirm_action(
            self,
            request,
            title="Re-check storefront scripts?",
            explanation=(
                "Re-check the storefront scripts of these stores with BigCommerce? Missing scripts are "
                "re-created, changed ones are put back, unwanted ones are deleted."
            ),
            objects=rows,
            describe=lambda row: f"{row.store.store_hash} — {row.name}",
            action="recheck_scripts",
            confirm_label="Yes, re-check them",
        )
        if page is not None:
            return page
        for store in stores:
            if store.status != Store.Status.INSTALLED:
                self.message_user(request, f"{store}: not installed, skipped.", messages.WARNING)
                continue
            try:
                count = len(scripts_ensure(store=store))
            except BigCommerceError as exc:
                self.message_user(request, f"{store}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{store}: {count} scripts in place.", messages.SUCCESS)
        return None
