"""Admin changelists that say, under their title, how long their rows are kept (storefront.retention)."""

from django.contrib import admin

from .retention import retention_summary


class RetentionNoticeMixin(admin.ModelAdmin):
    """Shows retention_summary() as the changelist's subtitle: of the admin's model, or of
    `retention_model` (limited to `retention_keys`) for rows that live and die with another table's."""

    retention_model = None
    retention_keys: tuple[str, ...] = ()

    def changelist_view(self, request, extra_context=None):
        notice = retention_summary(model=self.retention_model or self.model, keys=self.retention_keys)
        return super().changelist_view(request, extra_context={"subtitle": notice, **(extra_context or {})})
