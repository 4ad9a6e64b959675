"""Admin for store credit and gift certificate rewards: the stores' credit settings (operators change them),
the fulfilments and the ledger (read-only evidence), and the one write on the ledger: settling a held
entry after looking at BigCommerce, behind a confirmation page with a reason."""
from django.contrib import admin, messages

from referrals.models import CreditSettings, RewardFulfilment, StoreCreditEntry
from referrals.rewards.store_credit import store_credit_entry_resolve
from storefront.admin_base import ReadOnlyAdmin, StoreScopedAdmin, confirm_action, confirmed_data


@admin.register(CreditSettings)
class CreditSettingsAdmin(StoreScopedAdmin):
    list_display = ("store", "credit_reward_types", "gift_card_reward_types", "credit_as", "guest_credit",
                    "gift_certificate_expiry_days", "updated_at")


@admin.register(RewardFulfilment)
class RewardFulfilmentAdmin(ReadOnlyAdmin):
    list_display = ("reward", "store", "kind", "state", "amount", "currency", "bc_customer_id",
                    "gift_certificate_code", "reversed_amount", "clawback_amount", "updated_at")
    list_filter = ("kind", "state", "store")
    search_fields = ("reward__friendbuy_reward_id", "email", "gift_certificate_code")
    raw_id_fields = ("store", "reward")


@admin.register(StoreCreditEntry)
class StoreCreditEntryAdmin(ReadOnlyAdmin):
    list_display = ("key", "store", "kind", "state", "amount", "applied_amount", "shortfall", "balance_before",
                    "balance_after", "intent_at", "applied_at")
    list_filter = ("state", "kind", "store")
    search_fields = ("key",)
    raw_id_fields = ("store", "account", "reward")
    actions = ["resolve_landed", "resolve_not_landed"]

    def _resolve(self, request, queryset, *, landed: bool, action: str):
        held = queryset.filter(state=StoreCreditEntry.State.HELD)
        verdict = "landed" if landed else "did not land"
        page = confirm_action(
            self, request, title=f"The write {verdict}?", action=action, objects=held,
            explanation=("You checked the customer's store credit in BigCommerce. Landed: the entry is applied and "
                         "never written again. Did not land: it goes back to pending and the next attempt reads "
                         "the balance and writes it."),
            confirm_label=f"Yes, it {verdict}", reason_required=True, reason_help="Recorded on the entry.")
        if page is not None:
            return page
        note = f"{request.user}: {confirmed_data(request)['reason']}"
        done = sum(1 for entry in held if store_credit_entry_resolve(entry=entry, landed=landed, note=note))
        self.message_user(request, f"{done} held entr{'y' if done == 1 else 'ies'} settled.", messages.SUCCESS)
        return None

    @admin.action(description="Held: the write landed in BigCommerce", permissions=["operate"])
    def resolve_landed(self, request, queryset):
        return self._resolve(request, queryset, landed=True, action="resolve_landed")

    @admin.action(description="Held: the write did not land (write it again)", permissions=["operate"])
    def resolve_not_landed(self, request, queryset):
        return self._resolve(request, queryset, landed=False, action="resolve_not_landed")
