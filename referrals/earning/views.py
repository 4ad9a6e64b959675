"""The merchant's "Loyalty events" page (framed by the control panel): which custom events this app sends
to Friendbuy, how many were sent, pending or failed, and the per-store switches (the store owner only)."""
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods

from storefront.session import store_user_required

from .events import CATALOGUE, earning_event_counts, earning_settings_save

SWITCHES = sorted({switch for _meaning, switch in CATALOGUE.values()})


@xframe_options_exempt
@require_http_methods(["GET", "POST"])
@store_user_required
def earning_events(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not request.store_user.is_owner:
            messages.error(request, "Only the store owner can switch events on or off.")
            return redirect("app-earning-events")
        earning_settings_save(store=request.store, **{s: request.POST.get(s) == "on" for s in SWITCHES})
        messages.success(request, "Saved: the events switched on are sent from now on.")
        return redirect("app-earning-events")
    return render(request, "referrals/earning_events.html", {
        "store": request.store, "store_user": request.store_user, "rows": earning_event_counts(store=request.store),
    })
