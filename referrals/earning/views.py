"""The merchant's "Loyalty events" page (framed by the control panel): which custom events this app sends
to Friendbuy, how many were sent, pending or failed, and the per-store switches (the store owner only)."""
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods

from storefront.bigcommerce import BigCommerceError
from storefront.session import store_user_required

from ..models import ReviewScan, TierGroupChange, TierGroupMapping
from .events import (
    CATALOGUE,
    SIGN_UP_SWITCH,
    earning_event_counts,
    earning_settings_for,
    earning_settings_save,
)
from .external import api_key_rotate
from .reviews import reviews_unavailable_reason
from .tiers import customer_groups_for, tier_mapping_set, tiers_seen

SWITCHES = sorted({SIGN_UP_SWITCH} | {switch for _meaning, switch in CATALOGUE.values()})


@xframe_options_exempt
@require_http_methods(["GET", "POST"])
@store_user_required
def earning_events(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not request.store_user.is_owner:
            messages.error(request, "Only the store owner can switch events on or off.")
            return redirect("app-earning-events")
        if request.POST.get("action") == "tier":
            return _tier_mapping(request)
        if request.POST.get("action") == "api_key":
            # Shown once, in this answer only (no redirect, no message in the session): only its hash is kept.
            return _page(request, new_key=api_key_rotate(store=request.store))
        earning_settings_save(store=request.store, birthday_field=request.POST.get("birthday_field", ""),
                              **{s: request.POST.get(s) == "on" for s in SWITCHES})
        messages.success(request, "Saved: the events switched on are sent from now on.")
        return redirect("app-earning-events")
    return _page(request)


def _page(request: HttpRequest, *, new_key: str = "") -> HttpResponse:
    try:
        groups, groups_error = customer_groups_for(store=request.store), ""
    except BigCommerceError as exc:
        groups, groups_error = [], f"BigCommerce did not list the customer groups: {exc}"
    return render(request, "referrals/earning_events.html", {
        "store": request.store, "store_user": request.store_user, "rows": earning_event_counts(store=request.store),
        "groups": groups, "groups_error": groups_error, "tiers": tiers_seen(store=request.store),
        "mappings": TierGroupMapping.objects.filter(store=request.store).order_by("tier_name", "tier_id"),
        "changes": TierGroupChange.objects.filter(store=request.store)[:20],
        "settings": earning_settings_for(store=request.store), "new_key": new_key,
        "reviews_off_reason": reviews_unavailable_reason(store=request.store),
        "review_scan": ReviewScan.objects.filter(store=request.store).first(),
    })


def _tier_mapping(request: HttpRequest) -> HttpResponse:
    tier_id = request.POST.get("tier_id", "").strip()
    group = request.POST.get("customer_group_id", "")
    if not tier_id or not (group.isdigit() or group == ""):
        messages.error(request, "Name a tier id and choose a customer group (or none to remove the mapping).")
        return redirect("app-earning-events")
    tier_mapping_set(store=request.store, tier_id=tier_id, tier_name=request.POST.get("tier_name", "").strip(),
                     customer_group_id=int(group) if group else None)
    messages.success(request, f"Tier {tier_id} saved: members move on their next tier report from Friendbuy.")
    return redirect("app-earning-events")
