"""Fraud admin: the review queue (held items oldest first, reasons beside the friend's and advocate's data),
approve/reject behind a confirmation page with a required note, assessments with their audit rows, block
lists (editable, CSV import), settings and the daily summary.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from storefront.admin_base import (
    ReadOnlyAdmin,
    ReadOnlyInline,
    StoreScopedAdmin,
    confirm_action,
    confirmed_data,
)
from storefront.models import Store

from . import selectors
from .models import (
    Assessment,
    BlockListEntry,
    Decision,
    FraudDailySummary,
    FraudSettings,
    ReviewDecision,
    RuleSetting,
    Signal,
)
from .services import PAST, DecisionError, assessment_decide, block_list_import_csv, block_value

# The decision rides along hidden (chosen on the queue page); the note is the reviewer's required reason.
DECISION_FIELDS = {
    "decision": forms.ChoiceField(choices=[(Decision.APPROVE, "Approve"), (Decision.REJECT, "Reject")],
                                  widget=forms.HiddenInput),
    "note": forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=True,
                            help_text="Why: recorded with your name and the time."),
}


class BlockListImportForm(forms.Form):
    store = forms.ModelChoiceField(queryset=Store.objects.all())
    file = forms.FileField(help_text="CSV with columns kind,value,reason (kind: email, domain, ip, customer_id, "
                                     "referral_code).")


class ReviewDecisionInline(ReadOnlyInline):
    model = ReviewDecision
    fields = ("at", "from_decision", "to_decision", "decided_by", "note")


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ("reference", "subject_type", "store", "decision", "score", "reasons", "decided_by",
                    "created_at")
    list_filter = ("decision", "subject_type", "store")
    search_fields = ("reference", "customer_key", "advocate_key")
    readonly_fields = ("store", "subject_type", "reference", "bc_order_id", "customer_key", "advocate_key",
                       "amount", "score", "decision", "decided_by", "decided_at", "note", "auto_decide_at",
                       "hits", "signals", "parties", "created_at")
    inlines = [ReviewDecisionInline]
    change_list_template = "admin/fraud/assessment_change_list.html"

    @admin.display(description="Reasons")
    def reasons(self, obj: Assessment) -> str:
        return "; ".join(hit.get("rule", "") for hit in obj.hits) or "—"

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path("queue/", self.admin_site.admin_view(self.queue_view), name=f"{info[0]}_{info[1]}_queue"),
            path("<int:pk>/decide/", self.admin_site.admin_view(self.decide_view), name=f"{info[0]}_{info[1]}_decide"),
            *super().get_urls(),
        ]

    def queue_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied("The review queue needs a role that can view assessments.")
        store_id = request.GET.get("store") or None
        store_id = int(store_id) if str(store_id or "").isdigit() else None
        items = list(selectors.review_queue(store_id=store_id)[:200])
        rejected = list(selectors.recent_rule_rejections(store_id=store_id)[:50])
        settings_by_store = {}
        for item in items:
            if item.store_id not in settings_by_store:
                settings_by_store[item.store_id] = selectors.fraud_settings(store_id=item.store_id)
            item.store_settings = settings_by_store[item.store_id]
            item.auto_word = PAST.get(item.store_settings.auto_decision, "")
        return TemplateResponse(request, "admin/fraud/review_queue.html", {
            **self.admin_site.each_context(request), "title": "Fraud review queue", "items": items,
            "rejected": rejected, "can_decide": self.has_support_permission(request),
            "opts": self.model._meta,
        })

    def decide_view(self, request, pk: int):
        # The confirmation page too (GET), not only the decision it posts.
        if not self.has_support_permission(request):
            raise PermissionDenied("Deciding a held item needs the Support staff role.")
        assessment = get_object_or_404(Assessment.objects.select_related("store"), pk=pk)
        decision = request.POST.get("decision") or request.GET.get("decision") or ""
        page = confirm_action(
            self, request, title=f"{decision.capitalize() or 'Decide'} {assessment}?",
            explanation=format_html("{} <strong>{}</strong>? This is recorded with your name, the time and your "
                                    "note.", capfirst(decision), assessment),
            objects=assessment.hits, describe=lambda hit: format_html("<strong>{}</strong>: {}", hit.get("rule"),
                                                                      hit.get("evidence")),
            extra_fields=DECISION_FIELDS, initial={"decision": decision}, confirm_label=f"Yes, {decision}",
            cancel_url=reverse("admin:fraud_assessment_queue"))
        if page is not None:
            return page
        data = confirmed_data(request)
        try:
            assessment_decide(assessment=assessment, decision=data["decision"], note=data["note"], user=request.user)
        except DecisionError as exc:
            self.message_user(request, str(exc), messages.WARNING)
        else:
            self.message_user(request, f"{assessment}: {PAST[data['decision']]}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:fraud_assessment_queue"))


@admin.register(BlockListEntry)
class BlockListEntryAdmin(StoreScopedAdmin):
    list_display = ("kind", "value", "store", "reason", "created_by", "created_at")
    list_filter = ("kind", "store")
    search_fields = ("value", "reason")
    readonly_fields = ("created_by", "created_at")
    change_list_template = "admin/fraud/blocklist_change_list.html"

    def save_model(self, request, obj, form, change):
        obj.value = block_value(kind=obj.kind, value=obj.value)
        if not obj.created_by:
            obj.created_by = request.user.get_username()
        super().save_model(request, obj, form, change)

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="fraud_blocklistentry_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied("Importing a block list needs permission to add block-list entries.")
        form = BlockListImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            text = form.cleaned_data["file"].read().decode("utf-8-sig", errors="replace")
            report = block_list_import_csv(store_id=form.cleaned_data["store"].pk, text=text,
                                           created_by=request.user.get_username())
            self.message_user(request, f"Imported {report.added} new, {report.existing} already listed, "
                                       f"{len(report.errors)} bad row(s).",
                              messages.SUCCESS if not report.errors else messages.WARNING)
        return TemplateResponse(request, "admin/fraud/blocklist_import.html", {
            **self.admin_site.each_context(request), "title": "Import block list (CSV)", "form": form,
            "report": report, "opts": self.model._meta,
        })


@admin.register(FraudSettings)
class FraudSettingsAdmin(StoreScopedAdmin):
    list_display = ("store", "hold_score", "reject_score", "auto_decision_after_days", "auto_decision")


@admin.register(RuleSetting)
class RuleSettingAdmin(StoreScopedAdmin):
    list_display = ("rule", "store", "enabled", "weight", "hard", "threshold")
    list_filter = ("rule", "enabled", "store")


@admin.register(Signal)
class SignalAdmin(ReadOnlyAdmin):
    list_display = ("kind", "display", "subject_kind", "subject_id", "customer_key", "store", "at")
    list_filter = ("kind", "subject_kind", "store")
    search_fields = ("value", "subject_id", "customer_key")


@admin.register(FraudDailySummary)
class FraudDailySummaryAdmin(ReadOnlyAdmin):
    list_display = ("date", "store", "assessed_count", "held_count", "rejected_count", "leaked_code_list")
    readonly_fields = ("store", "date", "top_ips", "top_devices", "leaked_codes", "assessed_count", "held_count",
                       "rejected_count", "created_at")

    @admin.display(description="Leaked codes")
    def leaked_code_list(self, obj: FraudDailySummary) -> str:
        return ", ".join(f"{row['code']} ({row['customers']})" for row in obj.leaked_codes) or "—"
