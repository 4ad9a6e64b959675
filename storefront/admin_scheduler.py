"""django-celery-beat's periodic-task admin with its scheduler actions (enable, disable, toggle, run)
restricted to operators: the library declares them with no permission, which Django offers to anyone who
can open the list."""

from django.contrib import admin
from django_celery_beat import admin as beat_admin  # registers the library's admins first
from django_celery_beat.models import PeriodicTask

from .admin_base import ActionPermissionsMixin


class PeriodicTaskAdmin(ActionPermissionsMixin, beat_admin.PeriodicTaskAdmin):
    @admin.action(description="Enable selected tasks", permissions=["change"])
    def enable_tasks(self, request, queryset):
        return super().enable_tasks(request, queryset)

    @admin.action(description="Disable selected tasks", permissions=["change"])
    def disable_tasks(self, request, queryset):
        return super().disable_tasks(request, queryset)

    @admin.action(description="Toggle activity of selected tasks", permissions=["change"])
    def toggle_tasks(self, request, queryset):
        return super().toggle_tasks(request, queryset)

    @admin.action(description="Run selected tasks", permissions=["change"])
    def run_tasks(self, request, queryset):
        return super().run_tasks(request, queryset)


admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, PeriodicTaskAdmin)
