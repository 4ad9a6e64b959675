"""The merchant's page inside the BigCommerce control panel: the guided setup until every step is done, then
the dashboard (the setup stays reachable at /app/setup/); the Friendbuy connection form and the repair buttons.

Thin: reads through selectors, writes through services, and only ever for request.store (set from the
session by storefront.session.store_user_required).
"""
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods

from referrals.friendbuy import selectors, services
from referrals.merchant.access import READ_ONLY_MESSAGE, ReadOnlyUser, can_manage, store_user_role
from referrals.merchant.dashboard import dashboard_windows, merchant_dashboard
from referrals.merchant.forms import FriendbuyChannelConnectForm, FriendbuyConnectForm
from referrals.merchant.repair import RepairRefused, setup_repair
from referrals.merchant.setup import SetupStatus, setup_status
from referrals.reporting.rollup import reports_refresh
from storefront.selectors import store_public_urls
from storefront.services import store_setup_completed
from storefront.session import error_page, store_user_required

APP_HOME = "app-home"


def _back(request: HttpRequest) -> HttpResponse:
    """After a connection action: the app's home while it shows the setup, else the setup's first step (the
    home is the dashboard then, and the action was taken on the setup page)."""
    if request.store.setup_completed_at is None:
        return redirect(APP_HOME)
    return _to_connect_step()


def _check(request: HttpRequest) -> HttpResponse:
    connection = selectors.friendbuy_connection_for(store=request.store)
    if connection is None:
        messages.error(request, "Friendbuy is not connected yet: fill in the form below first.")
        return _back(request)
    connection = services.friendbuy_check_health(connection=connection)
    if connection.health == connection.Health.HEALTHY:
        messages.success(request, "Friendbuy accepted the stored credentials.")
    else:
        messages.error(request, f"Friendbuy check failed: {connection.last_error}")
    return _back(request)


@xframe_options_exempt
@require_http_methods(["GET", "POST"])
@store_user_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """GET/POST /app/: the setup steps (with the Connect Friendbuy form) until all are done, then the dashboard."""
    if request.method == "POST" and not can_manage(request.store_user):
        # Every write on this page needs a role that may change settings; a read-only user only looks.
        return error_page(request, status=403, title="You can view this page but not change it",
                          message=READ_ONLY_MESSAGE)
    if request.method == "POST" and request.POST.get("action") == "check":
        return _check(request)
    if request.method == "POST" and request.POST.get("action") == "disconnect":
        if services.friendbuy_disconnect(store=request.store):
            messages.success(request, "Friendbuy is disconnected and its scripts are being removed from your "
                                      "storefront. Your orders and rewards history is kept.")
        return _back(request)
    connection = selectors.friendbuy_connection_for(store=request.store)
    if request.method == "POST":
        form = FriendbuyConnectForm(request.POST, connection=connection)
        if form.is_valid():
            try:
                services.friendbuy_connect(store=request.store, **form.cleaned_data)
            except services.FriendbuyConnectError as exc:
                form.add_error(exc.field, exc.message)
            else:
                messages.success(request, "Friendbuy is connected: the credentials were accepted.")
                return _back(request)
        return _setup_page(request, form=form, connection=connection)
    setup = setup_status(store=request.store)
    if setup.complete:
        store_setup_completed(store=request.store)
    if request.store.setup_completed_at is not None:
        return _dashboard_page(request, setup=setup)
    return _setup_page(request, form=FriendbuyConnectForm(connection=connection), connection=connection, setup=setup)


def _dashboard_page(request: HttpRequest, *, setup: SetupStatus) -> HttpResponse:
    current, previous = dashboard_windows()
    # Today's and yesterday's rollup days are rebuilt first, as the reports page does (older days are
    # kept current nightly and by late changes, see referrals.reporting.rollup).
    reports_refresh(store_id=request.store.pk, window_start=previous.first, today=current.last)
    return render(request, "referrals/dashboard.html", {
        "store": request.store, "store_user": request.store_user, "role": store_user_role(request.store_user),
        "can_manage": can_manage(request.store_user),
        "dashboard": merchant_dashboard(store=request.store, setup=setup, today=current.last),
    })


def _setup_page(request: HttpRequest, *, form: FriendbuyConnectForm, connection,
                setup: SetupStatus | None = None) -> HttpResponse:
    setup = setup or setup_status(store=request.store)
    return render(request, "referrals/setup.html", {
        "store": request.store, "store_user": request.store_user, "connection": connection, "form": form,
        "urls": store_public_urls(store=request.store), "setup": setup,
        "steps": {step.key: step for step in setup.steps},
        "can_manage": can_manage(request.store_user), "role": store_user_role(request.store_user),
        "storefront_connections": selectors.storefront_connections(store=request.store) if connection else [],
    })


@xframe_options_exempt
@require_http_methods(["GET"])
@store_user_required
def setup(request: HttpRequest) -> HttpResponse:
    """GET /app/setup/: the setup steps, also once they are all done."""
    connection = selectors.friendbuy_connection_for(store=request.store)
    return _setup_page(request, form=FriendbuyConnectForm(connection=connection), connection=connection)


@xframe_options_exempt
@require_http_methods(["POST"])
@store_user_required
def setup_repair_view(request: HttpRequest) -> HttpResponse:
    """POST /app/setup/repair/ (what=scripts|webhooks): re-run that installer for request.store (owner only)."""
    try:
        ok, detail = setup_repair(store=request.store, store_user=request.store_user, what=request.POST.get("what", ""))
    except ReadOnlyUser:
        return error_page(request, status=403, title="You can view this page but not change it",
                          message=READ_ONLY_MESSAGE)
    except RepairRefused as exc:
        messages.error(request, str(exc))
    else:
        (messages.success if ok else messages.error)(request, detail)
    return redirect("app-setup")


def _to_connect_step() -> HttpResponse:
    return redirect(reverse("app-setup") + "#step-connect")


@xframe_options_exempt
@require_http_methods(["POST"])
@store_user_required
def storefront_connection_view(request: HttpRequest) -> HttpResponse:
    """POST /app/setup/storefront-connection/ (action=connect|disconnect, channel_id): give one storefront its
    own Friendbuy merchant, or send it back to the store's (owner only)."""
    if not can_manage(request.store_user):
        return error_page(request, status=403, title="You can view this page but not change it",
                          message=READ_ONLY_MESSAGE)
    rows = selectors.storefront_connections(store=request.store)
    form = FriendbuyChannelConnectForm(request.POST, channels=[(row.channel_id, row.name) for row in rows])
    if request.POST.get("action") == "disconnect":
        form.fields["merchant_id"].required = False
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[name].label}: {' '.join(errs)}" if name in form.fields else " ".join(errs)
                           for name, errs in form.errors.items())
        messages.error(request, f"Nothing was saved. {errors}")
        return _to_connect_step()
    channel_id = form.cleaned_data["channel_id"]
    if request.POST.get("action") == "disconnect":
        if services.friendbuy_channel_disconnect(store=request.store, channel_id=channel_id):
            messages.success(request, "That storefront uses the store's Friendbuy merchant again; its scripts "
                                      "are being updated.")
        return _to_connect_step()
    try:
        services.friendbuy_channel_connect(store=request.store, **form.cleaned_data)
    except services.FriendbuyConnectError as exc:
        label = form.fields[exc.field].label if exc.field in form.fields else ""
        messages.error(request, f"Nothing was saved. {label + ': ' if label else ''}{exc.message}")
    else:
        messages.success(request, "That storefront has its own Friendbuy merchant now: the credentials were "
                                  "accepted and its scripts are being updated.")
    return _to_connect_step()
