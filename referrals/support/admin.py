"""Support in the admin: the "where's my reward" lookup (one page per customer, diagnosis on top),
its actions behind confirmation pages, the attribution reports for staff, and the read-only audit log.

The lookup and reports are linked from the admin index through two proxy models whose changelists
redirect to the custom views (so they appear, and are permission-checked, like any other entry).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from referrals.models import (
    FriendbuyAnalyticsDay,
    ManualAttribution,
    StaffAuditLog,
    SupportLookup,
    SupportReports,
)
from referrals.reporting.views import BadReportParams, report_context, report_csv
from referrals.support import actions as support_actions
from referrals.support import diagnosis, roles
from referrals.support.selectors import customer_file, support_search
from referrals.support.targets import ACTIONS, describe_target, link_order_fields, perform
from storefront.admin_base import NoWritesMixin, ReadOnlyAdmin, confirm_action, confirmed_data
from storefront.models import Store

# --- the audit log ---------------------------------------------------------------------------------------


@admin.register(StaffAuditLog)
class StaffAuditLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "username", "store", "action", "target", "result", "reason")
    list_filter = ("action", "result", "store")
    search_fields = ("username", "target", "reason", "detail")
    readonly_fields = [f.name for f in StaffAuditLog._meta.fields]
    date_hierarchy = "at"


@admin.register(ManualAttribution)
class ManualAttributionAdmin(ReadOnlyAdmin):
    """Orders support linked to a referral by hand (made from the lookup page, never here)."""

    list_display = ("bc_order_id", "store", "referral_code", "advocate_customer_id", "created_by", "created_at")
    search_fields = ("=bc_order_id", "referral_code", "advocate_customer_id")


@admin.register(FriendbuyAnalyticsDay)
class FriendbuyAnalyticsDayAdmin(ReadOnlyAdmin):
    list_display = ("day", "store", "kind", "campaign_id", "count", "amount", "synced_at")
    list_filter = ("kind", "store")
    date_hierarchy = "day"


class _LinkAdmin(NoWritesMixin, admin.ModelAdmin):
    """An index entry that opens a custom view instead of a changelist."""

    target = ""

    def has_view_permission(self, request, obj=None):
        return roles.can_view_support(request.user)

    def has_module_permission(self, request):
        return roles.can_view_support(request.user)

    def changelist_view(self, request, extra_context=None):
        return HttpResponseRedirect(reverse(self.target))


@admin.register(SupportLookup)
class SupportLookupAdmin(_LinkAdmin):
    target = "admin:support-lookup"


@admin.register(SupportReports)
class SupportReportsAdmin(_LinkAdmin):
    target = "admin:support-reports"


# --- views -----------------------------------------------------------------------------------------------


def _require_view(request: HttpRequest) -> None:
    if not roles.can_view_support(request.user):
        raise PermissionDenied("The support lookup needs the Support staff or Auditor role.")


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def lookup_view(request: HttpRequest) -> HttpResponse:
    """GET /admin/support/lookup/?q=…[&store=] → matches; with store+identity/customer/email/order → the file."""
    _require_view(request)
    q = (request.GET.get("q") or "").strip()
    store_id = _int(request.GET.get("store"))
    context = {**admin.site.each_context(request), "title": "Customer lookup — where's my reward?", "q": q,
               "stores": Store.objects.order_by("store_hash").only("pk", "store_hash"), "store_id": store_id,
               "can_act": roles.can_run_actions(request.user)}
    keys = {"identity_id": _int(request.GET.get("identity")), "bc_customer_id": _int(request.GET.get("customer")),
            "normalized_email": (request.GET.get("email") or "").strip().lower(),
            "bc_order_id": _int(request.GET.get("order")),
            "friendbuy_customer_id": (request.GET.get("fb") or "").strip()[:64]}
    if store_id and any(keys.values()):
        file = customer_file(store_id=store_id, **keys)
        context.update(file=file, findings=diagnosis.diagnose(file, bc_order_id=keys["bc_order_id"]),
                       back=request.get_full_path(), action_labels={k: title for k, (title, _) in ACTIONS.items()})
    elif "q" in request.GET and not q:
        context["empty_search"] = True
    elif q:
        matches = support_search(query=q, store_id=store_id)
        if len(matches) == 1:
            return redirect(f"{reverse('admin:support-lookup')}?{matches[0].query}&{urlencode({'q': q})}")
        context["matches"] = matches
    return TemplateResponse(request, "admin/support/lookup.html", context)


def safe_back(request: HttpRequest) -> str:
    """Where to return after an action: the posted/linked `back` if it stays on this site, else the lookup
    (`//evil.example/x`, `/\\evil.example` and other hosts never leave the site)."""
    back = request.POST.get("back") or request.GET.get("back") or ""
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure()):
        return back
    return reverse("admin:support-lookup")


def action_view(request: HttpRequest, name: str, target: int) -> HttpResponse:
    """GET: the confirmation page; POST with a reason: run the action (403 for read-only roles)."""
    _require_view(request)
    if name not in ACTIONS:
        raise PermissionDenied("Unknown action.")
    if not roles.can_run_actions(request.user):
        if request.method == "POST":
            support_actions.staff_audit_record(user=request.user, store=None, action=name, target=str(target),
                                   reason=request.POST.get("reason", "-") or "-", result=StaffAuditLog.Result.REFUSED,
                                   detail="Read-only role.")
        raise PermissionDenied("Your role is read-only: support actions need the Support staff role.")
    store, what = describe_target(name, target)
    back = safe_back(request)
    title, explanation = ACTIONS[name]
    page = confirm_action(
        None, request, title=f"{title}?",
        explanation=f"{explanation} Recorded in the staff audit log with your name and reason.",
        objects=[format_html("<strong>{}</strong>{}", what,
                             format_html(" in store <code>{}</code>", store.store_hash) if store else "")],
        reason_required=True, reason_help="Why — recorded in the audit log and the item's own history.",
        extra_fields=link_order_fields() if name == "link_order" else None, confirm_on_post=True,
        hidden={"back": back}, cancel_url=back, breadcrumbs=[("Customer lookup", back)], confirm_label="Yes, do it")
    if page is not None:
        return page
    try:
        entry = perform(name, target, confirmed_data(request), request.user)
    except support_actions.ActionFailed as exc:
        messages.error(request, f"{ACTIONS[name][0]}: not done — {exc}")
    else:
        messages.success(request, f"{ACTIONS[name][0]}: {entry.detail}")
    return HttpResponseRedirect(back)


def reports_view(request: HttpRequest) -> HttpResponse:
    """GET /admin/support/reports/?store=… — the merchant reports for any store (staff)."""
    _require_view(request)
    stores = Store.objects.order_by("store_hash").only("pk", "store_hash", "default_currency")
    store = stores.filter(pk=_int(request.GET.get("store"))).first() if request.GET.get("store") else stores.first()
    context = {**admin.site.each_context(request), "title": "Referral reports", "stores": stores,
               "store_param": True}
    if store is not None:
        try:
            if request.GET.get("format") == "csv":
                return report_csv(store=store, params=request.GET)
            context.update(report_context(store=store, params=request.GET))
        except BadReportParams as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    return TemplateResponse(request, "admin/support/reports.html", context)


def _with_support_urls(get_urls):
    def urls():
        site = admin.site
        return [
            path("support/lookup/", site.admin_view(lookup_view), name="support-lookup"),
            path("support/action/<str:name>/<int:target>/", site.admin_view(action_view), name="support-action"),
            path("support/reports/", site.admin_view(reports_view), name="support-reports"),
            *get_urls(),
        ]

    return urls


if not getattr(admin.site, "_support_urls", False):
    admin.site.get_urls = _with_support_urls(admin.site.get_urls)
    admin.site._support_urls = True
