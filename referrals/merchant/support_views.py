"""The store's own support lookup (/app/support/) and its actions, for the merchant's team inside the
control panel: the same search, person file, diagnosis and actions as the admin's lookup
(referrals.support.selectors, diagnosis, targets), always for request.store and nothing else. Reading
needs the view role, acting the act role (referrals.merchant.support_gate). A row of another store is a
404 here, audited when it was posted.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_http_methods

from referrals.merchant.support_forms import SupportActionForm
from referrals.merchant.support_gate import may_act, refused, support_context, support_page
from referrals.models import StaffAuditLog
from referrals.support import actions as support_actions
from referrals.support import diagnosis
from referrals.support.advocates import advocate_suggestions
from referrals.support.selectors import customer_file, support_search
from referrals.support.store_access import support_audit_record
from referrals.support.targets import ACTIONS, describe_target, perform

LOOKUP = "app-support"


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() and len(str(value)) < 19 else None


def _file_keys(request: HttpRequest) -> dict:
    """The person-file keys of the query string (the same names as the admin's); `store=` is ignored:
    the store is the session's."""
    return {"identity_id": _int(request.GET.get("identity")), "bc_customer_id": _int(request.GET.get("customer")),
            "normalized_email": (request.GET.get("email") or "").strip().lower()[:254],
            "bc_order_id": _int(request.GET.get("order")),
            "friendbuy_customer_id": (request.GET.get("fb") or "").strip()[:64]}


def _has_anything(file) -> bool:
    return bool(file.identities or file.orders or file.rewards or file.codes or file.friend_codes
                or file.captures or file.outbox)


@xframe_options_exempt
@require_GET
@support_page
def lookup(request: HttpRequest) -> HttpResponse:
    """GET /app/support/?q=… → this store's matches (one opens straight away); with a person key → the file."""
    q = (request.GET.get("q") or "").strip()
    store = request.store
    context = {**support_context(request, tab="lookup"), "q": q}
    keys = _file_keys(request)
    if any(keys.values()):
        file = customer_file(store_id=store.pk, **keys)
        if _has_anything(file):
            context.update(file=file, findings=diagnosis.diagnose(file, bc_order_id=keys["bc_order_id"]),
                           back=request.get_full_path(), action_route="app-support-action",
                           action_labels={k: title for k, (title, _) in ACTIONS.items()},
                           review_url=reverse("app-support-reviews"))
        else:
            context["not_found"] = True
    elif "q" in request.GET and not q:
        context["empty_search"] = True
    elif q:
        matches = support_search(query=q[:254], store_id=store.pk)
        if len(matches) == 1:
            return redirect(f"{reverse(LOOKUP)}?{matches[0].query}&{urlencode({'q': q})}")
        context["matches"] = matches
    return render(request, "referrals/support/lookup.html", context)


def safe_back(request: HttpRequest) -> str:
    """Where to return after an action: a page of the store's support pages on this site, else the lookup."""
    back = request.POST.get("back") or request.GET.get("back") or ""
    if (back.startswith(reverse(LOOKUP)) and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure())):
        return back
    return reverse(LOOKUP)


@xframe_options_exempt
@require_http_methods(["GET", "POST"])
@support_page
def action(request: HttpRequest, name: str, target: int) -> HttpResponse:
    """GET: the confirmation page (act role); POST with a reason: run the action on this store's row."""
    if name not in ACTIONS:
        raise Http404("Unknown action.")
    if not may_act(request):
        return refused(request, act=True, action=name, target=str(target))
    try:
        _, what = describe_target(name, target, store=request.store)
    except Http404:
        if request.method == "POST":
            support_audit_record(store_user=request.store_user, action=name, target=f"{name}:{target}",
                                 reason=request.POST.get("reason", "") or "-", result=StaffAuditLog.Result.REFUSED,
                                 detail="Not a row of this store.")
        raise
    back = safe_back(request)
    title, explanation = ACTIONS[name]
    form = SupportActionForm(request.POST if request.method == "POST" else None, action=name,
                             suggest_url=reverse("app-support-advocates"))
    if form.is_valid():
        try:
            entry = perform(name, target, form.cleaned_data, request.store_user, store=request.store)
        except support_actions.ActionFailed as exc:
            messages.error(request, f"{title}: not done — {exc}")
        else:
            messages.success(request, f"{title}: {entry.detail}")
        return redirect(back)
    return render(request, "referrals/support/action.html", {
        **support_context(request, tab="lookup"), "title": title, "explanation": explanation, "what": what,
        "form": form, "back": back, "name": name, "target": target})


@xframe_options_exempt
@require_GET
@support_page
def advocates(request: HttpRequest) -> JsonResponse:
    """GET /app/support/advocates/?q=…: the advocate picker's suggestions of the manual referral, this store's
    people only ({"results": [{"label", "value", "why"}]})."""
    term = (request.GET.get("q") or "").strip()[:254]
    results = advocate_suggestions(store_id=request.store.pk, term=term) if len(term) >= 2 else []
    return JsonResponse({"results": results})
