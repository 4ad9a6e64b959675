"""Shared admin base (DESIGN.md §3.12): store column, created, select_related, read-only logs."""
from django.contrib import admin


class StoreScopedAdmin(admin.ModelAdmin):
    """Lists show the store, filter by it, and never issue a query per row for it."""

    list_select_related = ("store",)
    list_filter = ("store",)
    raw_id_fields = ("store",)
    list_per_page = 50


class ReadOnlyAdmin(StoreScopedAdmin):
    """Logs are evidence: browsable, never editable or deletable from the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
