"""The store's own fraud review queue (/app/support/reviews/) and reward list (/app/support/rewards/,
with a state filter and a CSV export), for request.store only. Reads through fraud.selectors and
referrals.support.reward_list; a decision goes through the support action that audits it
(referrals.support.actions.action_decide_assessment). An item of another store is a 404, audited.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_POST

from fraud import selectors as fraud_selectors
from fraud.models import Assessment
from fraud.services import PAST
from referrals.merchant.support_forms import ReviewDecisionForm
from referrals.merchant.support_gate import support_context, support_page
from referrals.models import Reward, StaffAuditLog
from referrals.support import actions as support_actions
from referrals.support.diagnosis import rule_words
from referrals.support.reward_list import (
    PAGE_LIMIT,
    reward_amount,
    reward_csv_rows,
    reward_state,
    store_rewards,
)
from referrals.support.store_access import support_audit_record

REVIEWS = "app-support-reviews"
QUEUE_LIMIT = 200


def _explained(items: list[Assessment]) -> list[Assessment]:
    """Each item with its rules in words (item.reasons) and, when held, what happens if nobody decides."""
    settings = None
    for item in items:
        item.reasons = [(rule_words(h.get("rule", "")), h.get("weight"), h.get("hard"), h.get("evidence"))
                        for h in item.hits]
        if item.decision == "hold":
            settings = settings or fraud_selectors.fraud_settings(store_id=item.store_id)
            item.auto_word = PAST.get(settings.auto_decision, "")
            item.auto_days = settings.auto_decision_after_days
    return items


@xframe_options_exempt
@require_GET
@support_page
def reviews(request: HttpRequest) -> HttpResponse:
    """GET /app/support/reviews/: this store's held items, oldest first, and its recent rule rejections."""
    store_id = request.store.pk
    items = _explained(list(fraud_selectors.review_queue(store_id=store_id)[:QUEUE_LIMIT]))
    rejected = _explained(list(fraud_selectors.recent_rule_rejections(store_id=store_id)[:50]))
    # ?assessment=<pk>: the item a diagnosis linked to (a rejection older than the list above, say), when it
    # is this store's.
    opened_pk = request.GET.get("assessment", "")
    opened = Assessment.objects.filter(pk=int(opened_pk), store_id=store_id).first() if (
        opened_pk.isdigit() and len(opened_pk) < 19) else None
    return render(request, "referrals/support/reviews.html", {
        **support_context(request, tab="reviews"), "items": items, "rejected": rejected,
        "opened": _explained([opened])[0] if opened is not None else None, "decision_form": ReviewDecisionForm()})


@xframe_options_exempt
@require_POST
@support_page
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """POST /app/support/reviews/<pk>/ (decision, reason): approve or reject one item of this store."""
    item = Assessment.objects.filter(pk=pk, store=request.store).first()
    if item is None:
        support_audit_record(store_user=request.store_user, action="decide_assessment", target=f"assessment:{pk}",
                             reason=request.POST.get("reason", "") or "-", result=StaffAuditLog.Result.REFUSED,
                             detail="Not a row of this store.")
        raise Http404("No such item in this store.")
    form = ReviewDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was decided: choose approve or reject and write why.")
        return redirect(REVIEWS)
    try:
        decision = form.cleaned_data["decision"]
        support_actions.action_decide_assessment(user=request.store_user, assessment_id=pk, decision=decision,
                                                 reason=form.cleaned_data["reason"])
    except support_actions.ActionFailed as exc:
        messages.error(request, f"Not decided — {exc}")
    else:
        messages.success(request, f"{item.get_subject_type_display()} {item.reference}: {PAST[decision]}. "
                                  "Recorded with your name and note.")
    return redirect(REVIEWS)


@xframe_options_exempt
@require_GET
@support_page
def rewards(request: HttpRequest) -> HttpResponse:
    """GET /app/support/rewards/?state=… (&format=csv): this store's rewards, newest first."""
    state = reward_state(request.GET.get("state", ""))
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (f'attachment; filename="rewards-{request.store.store_hash}'
                                           f'{"-" + state if state else ""}.csv"')
        csv.writer(response).writerows(reward_csv_rows(store_id=request.store.pk, state=state))
        return response
    rows = list(store_rewards(store_id=request.store.pk, state=state)[:PAGE_LIMIT + 1])
    for reward in rows:
        reward.amount_words = reward_amount(reward)
    return render(request, "referrals/support/rewards.html", {
        **support_context(request, tab="rewards"), "rewards": rows[:PAGE_LIMIT], "more": len(rows) > PAGE_LIMIT,
        "state": state, "states": Reward.State.choices, "limit": PAGE_LIMIT})
