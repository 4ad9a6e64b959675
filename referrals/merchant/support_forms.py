"""Forms of the store's own support pages: the reason every support action asks for (plus the manual
referral's fields, from referrals.support.targets), a review decision, a support role for a store user."""

from __future__ import annotations

from django import forms

from fraud.models import Decision
from referrals.support.store_access import Role
from referrals.support.targets import link_order_fields

REASON_HELP = "Why: recorded in the audit log with your name, and in the item's own history."


class SupportActionForm(forms.Form):
    """A confirmed support action: the reason, and for a manual referral who and which campaign."""

    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), help_text=REASON_HELP)

    def __init__(self, *args, action: str, suggest_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if action == "link_order":
            self.fields.update(link_order_fields())
            # The picker suggests this store's people as the support person types (support_views.advocates).
            self.fields["advocate"].widget.attrs.update(
                {"list": "advocate-options", "autocomplete": "off", "data-suggest": suggest_url})


class ReviewDecisionForm(forms.Form):
    """Approve or reject one held item of the store's review queue, with the reviewer's note."""

    decision = forms.ChoiceField(choices=[(Decision.APPROVE, "Approve"), (Decision.REJECT, "Reject")])
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), help_text=REASON_HELP)


class SupportGrantForm(forms.Form):
    """The support role the owner gives one other user of the store."""

    store_user_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    role = forms.ChoiceField(choices=Role.choices)
