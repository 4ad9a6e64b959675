"""Admin for the order/customer lifecycle: snapshots with their events, the outbox, identities,
reconciliation runs and store settings. Logs are read-only; replay and erasure sit behind a
confirmation page and are audited in Django's LogEntry."""

from django.contrib import admin, messages

from referrals.models import (
    CustomerIdentity,
    OrderEvent,
    OrderSnapshot,
    OutboxEvent,
    ReconciliationRun,
    StoreSettings,
)
from referrals.orders.privacy import customer_erase
from referrals.outbox import outbox_replay
from storefront.admin_base import ReadOnlyAdmin, ReadOnlyInline, StoreScopedAdmin, confirm_action


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("at", "kind", "from_status", "to_status", "amount", "delivery")
    raw_id_fields = ("delivery",)


@admin.register(OrderSnapshot)
class OrderSnapshotAdmin(ReadOnlyAdmin):
    list_display = (
        "bc_order_id",
        "store",
        "status_id",
        "status_label",
        "total_inc_tax",
        "currency_code",
        "customer_id",
        "is_paid",
        "first_paid_at",
        "refunded_amount",
        "bc_date_created",
    )
    list_filter = ("is_paid", "status_id", "store")
    search_fields = ("=bc_order_id", "email", "normalized_email", "=customer_id", "cart_id")
    raw_id_fields = ("store", "identity")
    inlines = [OrderEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "store", "order", "kind", "from_status", "to_status", "amount")
    list_filter = ("kind", "store")
    list_select_related = ("store", "order")
    raw_id_fields = ("store", "order", "delivery")
    search_fields = ("=order__bc_order_id",)


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "store",
        "kind",
        "natural_key",
        "state",
        "attempts",
        "last_status",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("state", "kind", "store")
    search_fields = ("natural_key", "store__store_hash")
    raw_id_fields = ("store", "order", "identity")
    readonly_fields = (
        "store",
        "kind",
        "natural_key",
        "order",
        "identity",
        "payload",
        "state",
        "attempts",
        "next_attempt_at",
        "last_status",
        "last_response",
        "last_error",
        "sent_at",
        "created_at",
    )
    actions = ["replay_events"]

    @admin.action(description="Replay selected failed/dead events", permissions=["support"])
    def replay_events(self, request, queryset):
        page = confirm_action(
            self,
            request,
            objects=queryset[:200],
            action="replay_events",
            title="Replay outbox events?",
            explanation=(
                "Failed and dead events get a fresh set of attempts and are sent now. Events "
                "already sent (or in flight) are skipped: they are never sent twice."
            ),
            confirm_label="Yes, send them again",
        )
        if page is not None:
            return page
        eligible = list(queryset.filter(state__in=[OutboxEvent.State.FAILED, OutboxEvent.State.DEAD]))
        replayed = outbox_replay(event_ids=[event.pk for event in eligible])
        for event in eligible:
            self.log_change(request, event, "Replayed from the admin.")
        self.message_user(
            request, f"Replayed {replayed} of {queryset.count()} selected events.", messages.SUCCESS
        )
        return None


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(ReadOnlyAdmin):
    list_display = ("friendbuy_customer_id", "store", "bc_customer_id", "is_guest", "first_seen", "erased_at")
    list_filter = ("is_guest", "store")
    search_fields = ("email", "normalized_email", "=bc_customer_id", "friendbuy_customer_id")
    readonly_fields = (
        "store",
        "bc_customer_id",
        "email",
        "normalized_email",
        "friendbuy_customer_id",
        "first_name",
        "last_name",
        "is_guest",
        "first_seen",
        "last_seen",
        "erased_at",
        "erased_by",
    )
    actions = ["erase_customers"]

    @admin.action(description="Erase personal data (privacy request)", permissions=["operate"])
    def erase_customers(self, request, queryset):
        page = confirm_action(
            self,
            request,
            objects=queryset[:200],
            action="erase_customers",
            title="Erase these customers' personal data?",
            explanation=(
                "Friendbuy is asked to delete their data (irreversible), and their email, names, "
                "IP addresses, user agents and addresses are blanked here. Order totals and "
                "statuses are kept, anonymised."
            ),
            confirm_label="Yes, erase",
        )
        if page is not None:
            return page
        actor = f"admin:{request.user.get_username()}"
        for identity in queryset.select_related("store"):
            result = customer_erase(
                store=identity.store,
                bc_customer_id=identity.bc_customer_id,
                email=identity.email or None,
                actor=actor,
            )
            self.log_change(request, identity, f"Personal data erased: {result}")
        self.message_user(request, f"Erased {queryset.count()} customers.", messages.SUCCESS)
        return None


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "store",
        "days",
        "orders_checked",
        "gaps_found",
        "requeued",
        "finished_at",
        "has_errors",
    )
    readonly_fields = (
        "store",
        "started_at",
        "finished_at",
        "days",
        "orders_checked",
        "gaps_found",
        "requeued",
        "errors",
    )

    @admin.display(boolean=True, description="Errors")
    def has_errors(self, obj):
        return bool(obj.errors)


@admin.register(StoreSettings)
class StoreSettingsAdmin(StoreScopedAdmin):
    list_display = ("store", "purchase_amount_field", "updated_at")
    fields = ("store", "purchase_amount_field")
