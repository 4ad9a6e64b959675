"""Support in the admin: the "where's my reward" lookup (one page per customer, diagnosis on top),
its actions behind confirmation pages, the attribution reports for staff, and the read-only audit log.

The lookup and reports are linked from the admin index through two proxy models whose changelists
redirect to the custom views (so they appear, and are permission-checked, like any other entry).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from coupons.models import CouponCode
from referrals.models import (
    FriendbuyAnalyticsDay,
    FriendbuyDelivery,
    ManualAttribution,
    OrderSnapshot,
    OutboxEvent,
    Reward,
    StaffAuditLog,
    SupportLookup,
    SupportReports,
)
from referrals.reporting.views import BadReportWindow, report_context, report_csv
from referrals.support import actions as support_actions
from referrals.support import diagnosis, roles
from referrals.support.selectors import customer_file, support_search
from storefront.admin_base import NoWritesMixin, ReadOnlyAdmin, confirm_action, confirmed_data
from storefront.models import Store, WebhookDelivery

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


# What a manual referral needs besides the reason every support action asks for.
LINK_ORDER_FIELDS = {
    "referral_code": forms.CharField(max_length=128, help_text="The advocate's referral code (from their link)."),
    "advocate_customer_id": forms.CharField(max_length=64, required=False),
    "campaign_id": forms.CharField(max_length=64, required=False),
}


ACTIONS = {
    "resend_event": ("Resend the event to Friendbuy",
                     "The outbox event gets a fresh set of attempts and is sent now. Friendbuy has no idempotency "
                     "key, so only events it never accepted can be resent."),
    "replay_webhook": ("Replay the webhook",
                       "The stored delivery is processed again: the order or customer is re-fetched and written "
                       "idempotently; nothing is counted twice."),
    "reissue_code": ("Re-issue a code", "A new BigCommerce code is minted for this revoked or expired reward (or "
                     "the first one for an approved reward whose code was never minted)."),
    "revoke_code": ("Revoke the code", "The unused code is deleted in BigCommerce and the reward is revoked."),
    "approve_reward": ("Approve the held reward",
                       "The fraud assessment is approved (or the pending reward approved); its code is issued."),
    "reject_reward": ("Reject the held reward", "The fraud assessment (or the pending reward) is rejected."),
    "link_order": ("Link the order to a referral (manual referral)",
                   "We record that this order belongs to the advocate's referral and send Friendbuy a purchase "
                   "event for it carrying that referral code (outbox key purchase-manual:<order id>). Friendbuy "
                   "then applies the campaign's rules (new customer, minimum spend) as for any referred purchase "
                   "and, if they pass, rewards the advocate. If Friendbuy already holds this order as unreferred "
                   "it may keep the first one — check the purchase in Friendbuy's Retailer App afterwards."),
}


def _describe(name: str, target: int) -> tuple[Store | None, str]:
    """The store and a human description of what the action acts on."""
    if name == "resend_event":
        e = get_object_or_404(OutboxEvent.objects.select_related("store"), pk=target)
        return e.store, f"{e.get_kind_display()} {e.natural_key} — {e.get_state_display()} (HTTP {e.last_status or '-'})"
    if name == "replay_webhook":
        d = get_object_or_404(WebhookDelivery.objects.select_related("store"), pk=target)
        return d.store, f"BigCommerce webhook {d.scope} #{d.resource_id} — {d.get_status_display()}"
    if name == "replay_friendbuy":
        d = get_object_or_404(FriendbuyDelivery.objects.select_related("store"), pk=target)
        return d.store, f"Friendbuy {d.get_kind_display()} {d.event_type} #{d.pk} — {d.get_status_display()}"
    if name == "revoke_coupon":
        c = get_object_or_404(CouponCode.objects.select_related("store"), pk=target)
        return c.store, f"Code {c.code} — {c.get_state_display()}"
    if name == "link_order":
        o = get_object_or_404(OrderSnapshot.objects.select_related("store"), pk=target)
        return o.store, f"Order {o.bc_order_id} ({o.email or 'no email'}, {o.total_inc_tax} {o.currency_code})"
    r = get_object_or_404(Reward.objects.select_related("store", "coupon"), pk=target)
    return r.store, (f"{r.get_recipient_display()} reward {r.friendbuy_reward_id} — {r.get_state_display()}"
                     f"{' (code ' + r.coupon.code + ')' if r.coupon else ''}")


def _perform(name: str, target: int, data: dict, user) -> StaffAuditLog:
    reason = data["reason"]
    if name == "resend_event":
        return support_actions.action_resend_event(user=user, event_id=target, reason=reason)
    if name == "replay_webhook":
        return support_actions.action_replay_webhook(user=user, delivery_id=target, reason=reason)
    if name == "replay_friendbuy":
        return support_actions.action_replay_webhook(user=user, delivery_id=target, reason=reason, source="friendbuy")
    if name == "reissue_code":
        return support_actions.action_reissue_code(user=user, reward_id=target, reason=reason)
    if name == "revoke_code":
        return support_actions.action_revoke_code(user=user, reward_id=target, reason=reason)
    if name == "revoke_coupon":
        return support_actions.action_revoke_coupon(user=user, coupon_id=target, reason=reason)
    if name in ("approve_reward", "reject_reward"):
        return support_actions.action_decide_reward(user=user, reward_id=target, reason=reason,
                                                    decision=name.split("_")[0])
    order = OrderSnapshot.objects.select_related("store").get(pk=target)
    return support_actions.action_link_order(
        user=user, store=order.store, bc_order_id=order.bc_order_id, reason=reason,
        referral_code=data["referral_code"], advocate_customer_id=data.get("advocate_customer_id", ""),
        campaign_id=data.get("campaign_id", ""))


ACTIONS["replay_friendbuy"] = ("Replay the Friendbuy delivery", "The stored Friendbuy webhook is processed again; "
                               "rewards are keyed by Friendbuy's rewardId, so none is recorded twice.")
ACTIONS["revoke_coupon"] = ("Revoke the code", "The unused code is deleted in BigCommerce and marked disabled.")


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
    store, what = _describe(name, target)
    back = safe_back(request)
    title, explanation = ACTIONS[name]
    page = confirm_action(
        None, request, title=f"{title}?",
        explanation=f"{explanation} Recorded in the staff audit log with your name and reason.",
        objects=[format_html("<strong>{}</strong>{}", what,
                             format_html(" in store <code>{}</code>", store.store_hash) if store else "")],
        reason_required=True, reason_help="Why — recorded in the audit log and the item's own history.",
        extra_fields=LINK_ORDER_FIELDS if name == "link_order" else None, confirm_on_post=True,
        hidden={"back": back}, cancel_url=back, breadcrumbs=[("Customer lookup", back)], confirm_label="Yes, do it")
    if page is not None:
        return page
    try:
        entry = _perform(name, target, confirmed_data(request), request.user)
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
        except BadReportWindow as exc:
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
