"""GET/POST /app/settings/: the settings the merchant owns (reward codes, fraud checks, the amount sent to
Friendbuy, program on/off), the data-retention periods in force, and the history of changes.

Thin: each POST names its `section`; the form validates, a service in settings_services applies and audits.
Everyone who may open the app reads the page; only the store owner may save (403 otherwise).
"""
from __future__ import annotations

from django.conf import settings as django_settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods

from fraud.selectors import fraud_settings
from fraud.store_settings import rule_choices_in_force
from referrals.merchant import settings_services as services
from referrals.merchant.access import READ_ONLY_MESSAGE, can_manage, store_user_role
from referrals.merchant.settings_forms import FraudForm, ProgramForm, PurchaseAmountForm, RewardCodesForm
from referrals.models import SettingsChange, StoreSettings
from storefront.models import StorefrontSettings
from storefront.session import error_page, store_user_required

SETTINGS_URL = "app-settings"
HISTORY_ROWS = 25
# The periods the app keeps its logs for (set by whoever runs the app, the same for every store).
RETENTION = (
    ("RETENTION_PROCESSED_DAYS", "Friendbuy webhooks that were processed"),
    ("RETENTION_FAILURES_DAYS", "Friendbuy webhooks that failed"),
    ("RETENTION_VALIDATION_CALLBACKS_DAYS", "Reward checks Friendbuy asked us for"),
    ("RETENTION_UNAUTHENTICATED_DAYS", "Calls that were not signed by Friendbuy"),
    ("RETENTION_OUTBOUND_CALLS_DAYS", "The app's own calls to BigCommerce and Friendbuy"),
)


def _forms(request: HttpRequest) -> dict:
    store = request.store
    fraud = fraud_settings(store_id=store.pk)
    store_settings = StoreSettings.objects.filter(store=store).first() or StoreSettings(store=store)
    storefront = StorefrontSettings.objects.filter(store=store).first() or StorefrontSettings(store=store)
    return {
        "reward_codes": RewardCodesForm(initial=RewardCodesForm.initial_from(
            services.reward_codes_in_force(store=store))),
        "fraud": FraudForm(initial=FraudForm.initial_from(
            hold_score=fraud.hold_score, reject_score=fraud.reject_score, rules=rule_choices_in_force(store=store))),
        "purchase_amount": PurchaseAmountForm(initial={"purchase_amount_field": store_settings.purchase_amount_field}),
        "program": ProgramForm(initial={"enabled": "on" if storefront.program_enabled else "off"}),
    }


def _save(request: HttpRequest, section: str, form) -> bool:
    """Apply a valid form through its service; True when saved (changed or not)."""
    store, user = request.store, request.store_user
    data = form.cleaned_data
    if section == "reward_codes":
        change = services.reward_codes_update(store=store, store_user=user, values=data, labels=form.LABELS)
    elif section == "fraud":
        change = services.fraud_update(store=store, store_user=user, hold_score=data["hold_score"],
                                       reject_score=data["reject_score"], rules=form.rules(), labels=form.labels)
    elif section == "purchase_amount":
        change = services.purchase_amount_update(store=store, store_user=user,
                                                 purchase_amount_field=data["purchase_amount_field"],
                                                 labels=form.LABELS)
    else:
        change = services.program_switch(store=store, store_user=user, enabled=data["enabled"], labels=form.LABELS)
    if change is None:
        messages.info(request, "Nothing changed.")
    elif section == "program":
        messages.success(request, "The referral program is on: the storefront scripts are being installed."
                         if data["enabled"] else "The referral program is off: the storefront scripts are being "
                                                 "removed. Your orders, rewards and settings are kept.")
    else:
        messages.success(request, f"{change.get_section_display()} saved.")
    return True


FORM_CLASSES = {"reward_codes": RewardCodesForm, "fraud": FraudForm, "purchase_amount": PurchaseAmountForm,
                "program": ProgramForm}


@xframe_options_exempt
@require_http_methods(["GET", "POST"])
@store_user_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """The settings forms, the retention periods and the change history."""
    if request.method == "POST" and not can_manage(request.store_user):
        return error_page(request, status=403, title="You can view this page but not change it",
                          message=READ_ONLY_MESSAGE)
    forms = _forms(request)
    if request.method == "POST":
        section = request.POST.get("section", "")
        if section not in FORM_CLASSES:
            return error_page(request, status=400, title="Unknown settings form",
                              message="Reload the settings page and try again.")
        form = FORM_CLASSES[section](request.POST)
        if form.is_valid():
            try:
                _save(request, section, form)
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect(f"{request.path}#{section}")
        forms[section] = form
        messages.error(request, "Nothing was saved: please correct the fields marked below.")
    return render(request, "referrals/settings.html", {
        "store": request.store, "store_user": request.store_user, "forms": forms,
        "can_manage": can_manage(request.store_user), "role": store_user_role(request.store_user),
        "retention": [(label, getattr(django_settings, name)) for name, label in RETENTION],
        "history": SettingsChange.objects.filter(store=request.store).select_related(None)[:HISTORY_ROWS],
    })
