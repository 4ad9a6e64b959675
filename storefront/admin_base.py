"""Shared admin base (DESIGN.md §3.12): store column, created, select_related, read-only logs, who may run
an admin action, and the one confirmation page every admin action or custom admin view shows before it
changes anything."""
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse

# Declared by referrals (SupportLookup's Meta.permissions), granted to "Support staff" by `setup_roles`.
SUPPORT_ACTION_PERMISSION = "referrals.run_support_actions"


class ActionPermissionsMixin:
    """Who may run an admin action, through Django's own `@admin.action(permissions=[...])`:

    - `permissions=["support"]`: the support permission (Support staff and operators);
    - `permissions=["operate"]`: the model's change permission as Django grants it (operators, i.e.
      superusers), even where this admin allows no editing (read-only logs).

    Never `["view"]`: every role can view. An action a user is not offered is refused with a 403 when posted
    (Django alone would show the list again). The matrix in referrals/roles.py lists who may run what.
    """

    def has_support_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(SUPPORT_ACTION_PERMISSION)

    def has_operate_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")

    def changelist_view(self, request, extra_context=None):
        posted = {name for name in request.POST.getlist("action") if name} if request.method == "POST" else set()
        refused = posted - set(self.get_actions(request))
        if refused:
            raise PermissionDenied(f"Your role may not run {', '.join(sorted(refused))} here.")
        return super().changelist_view(request, extra_context)


class StoreScopedAdmin(ActionPermissionsMixin, admin.ModelAdmin):
    """Lists show the store, filter by it, and never issue a query per row for it."""

    list_select_related = ("store",)
    list_filter = ("store",)
    raw_id_fields = ("store",)
    list_per_page = 50


class ReadOnlyInline(admin.TabularInline):
    """History rows shown under their parent (transitions, events, decisions): read, never written here.
    Subclasses name the model and its `fields`; every one of them is read-only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class NoWritesMixin:
    """An admin that can add, change and delete nothing (viewing stays as the admin decides)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoWritesMixin, StoreScopedAdmin):
    """Logs are evidence: browsable, never editable or deletable from the admin."""


# --- actions behind a confirmation page ------------------------------------------------------------------

_CONFIRMED = "_confirmed_action_data"


def _confirmation_form(
    *, reason_required: bool, reason_help: str, extra_fields: Mapping[str, forms.Field] | None
) -> type[forms.Form]:
    fields: dict[str, forms.Field] = {}
    if reason_required:
        fields["reason"] = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=True,
                                           max_length=1000, help_text=reason_help)
    fields.update(extra_fields or {})
    return type("ConfirmationForm", (forms.Form,), fields)


def confirm_action(
    modeladmin: admin.ModelAdmin | None,
    request: HttpRequest,
    *,
    title: str,
    explanation: str,
    confirm_label: str,
    objects: Iterable[Any] = (),
    describe: Callable[[Any], str] = str,
    action: str = "",
    reason_required: bool = False,
    reason_help: str = "Recorded with your name.",
    extra_fields: Mapping[str, forms.Field] | None = None,
    initial: Mapping[str, Any] | None = None,
    confirm_on_post: bool = False,
    hidden: Mapping[str, str] | None = None,
    cancel_url: str = "../",
    breadcrumbs: Sequence[tuple[str, str]] = (),
) -> TemplateResponse | None:
    """None once the request confirms the action (read its form with `confirmed_data`), else the page asking.

    Two shapes share the page. A changelist action (`action` set) re-posts the selected ids and its own
    name, as Django's action machinery expects, plus confirm=yes. A custom admin view (`action` empty)
    posts the form to its own URL; with `confirm_on_post` any POST confirms, otherwise confirm=yes must be
    posted too. A form that does not validate (a missing reason) shows the page again with its errors.
    """
    form_class = _confirmation_form(reason_required=reason_required, reason_help=reason_help,
                                    extra_fields=extra_fields)
    confirming = request.method == "POST" and (confirm_on_post or request.POST.get("confirm") == "yes")
    form = form_class(request.POST, initial=initial) if confirming else form_class(initial=initial)
    if form.is_bound and form.is_valid():
        setattr(request, _CONFIRMED, form.cleaned_data)
        return None
    objects = list(objects)
    site = modeladmin.admin_site if modeladmin is not None else admin.site
    context = {
        **site.each_context(request),
        "title": title,
        "explanation": explanation,
        "items": [describe(obj) for obj in objects],
        "selected": [obj.pk for obj in objects] if action else [],
        "action": action,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "form": form,
        "hidden": list((hidden or {}).items()),
        "confirm_label": confirm_label,
        "cancel_url": cancel_url,
        "breadcrumbs": breadcrumbs,
    }
    if modeladmin is not None:
        context["opts"] = modeladmin.model._meta
    return TemplateResponse(request, "admin/confirm_action.html", context)


def confirmed_data(request: HttpRequest) -> dict[str, Any]:
    """The cleaned form (reason, extra fields) of the request `confirm_action` just confirmed."""
    try:
        return getattr(request, _CONFIRMED)
    except AttributeError:
        raise LookupError("confirm_action() has not confirmed this request") from None
