"""Orders and customers as the app knows them: identities, order snapshots, order events, reconciliation runs."""
from django.db import models
from django.db.models import Q


class CustomerIdentity(models.Model):
    """One shopper of one store: BigCommerce customer id ↔ email ↔ Friendbuy customerId (see referrals.orders.identity)."""

    store = models.ForeignKey(
        "storefront.Store", on_delete=models.CASCADE, related_name="customer_identities"
    )
    bc_customer_id = models.BigIntegerField(null=True, blank=True, help_text="Empty for guests.")
    email = models.CharField(max_length=254, blank=True)
    normalized_email = models.CharField(
        max_length=254,
        blank=True,
        db_index=True,
        help_text="Lower-cased, trimmed; Gmail dots and +tags removed (for matching, never for sending).",
    )
    friendbuy_customer_id = models.CharField(
        max_length=64,
        help_text="customerId sent to Friendbuy: the BigCommerce id, or guest-<hash> for guests.",
    )
    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    is_guest = models.BooleanField(default=False)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="Personal data erased (privacy request)."
    )
    erased_by = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name_plural = "customer identities"
        ordering = ["-first_seen"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "friendbuy_customer_id"], name="uniq_identity_fb_customer"
            ),
            models.UniqueConstraint(
                fields=["store", "bc_customer_id"],
                condition=Q(bc_customer_id__isnull=False),
                name="uniq_identity_bc_customer",
            ),
        ]

    def __str__(self) -> str:
        # Customer ids, not emails: __str__ ends up in logs and admin breadcrumbs.
        return f"Customer {self.friendbuy_customer_id}"


class OrderSnapshot(models.Model):
    """The last re-fetched state of one BigCommerce order (money as Decimal, never floats)."""

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="order_snapshots")
    bc_order_id = models.BigIntegerField()
    identity = models.ForeignKey(
        CustomerIdentity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    status_id = models.PositiveSmallIntegerField(default=0)
    status_label = models.CharField(max_length=100, blank=True)
    payment_status = models.CharField(max_length=50, blank=True)
    channel_id = models.PositiveIntegerField(null=True, blank=True)
    subtotal_ex_tax = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    subtotal_inc_tax = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    total_ex_tax = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    total_inc_tax = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    discount_amount = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    coupon_discount = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    shipping_cost_inc_tax = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    currency_code = models.CharField(max_length=3, blank=True, help_text="Display currency.")
    default_currency_code = models.CharField(max_length=3, blank=True, help_text="Transactional currency.")
    store_default_currency_code = models.CharField(max_length=3, blank=True)
    exchange_rate = models.DecimalField(max_digits=20, decimal_places=10, default=1)
    default_currency_total = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        default=0,
        help_text="total_inc_tax in the store's default currency.",
    )
    customer_id = models.BigIntegerField(default=0, db_index=True, help_text="0 = guest.")
    email = models.CharField(max_length=254, blank=True)
    normalized_email = models.CharField(max_length=254, blank=True)
    billing_first_name = models.CharField(max_length=255, blank=True)
    billing_last_name = models.CharField(max_length=255, blank=True)
    ip_address = models.CharField(max_length=45, blank=True)
    user_agent = models.TextField(blank=True)
    shipping_addresses = models.JSONField(default=list, blank=True)
    coupon_codes = models.JSONField(default=list, blank=True)
    line_items = models.JSONField(default=list, blank=True, help_text="[{sku, name, quantity, price}]")
    refunded_amount = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    is_paid = models.BooleanField(default=False, help_text="Status is one of the paid statuses right now.")
    first_paid_at = models.DateTimeField(null=True, blank=True, db_index=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    disputed_at = models.DateTimeField(null=True, blank=True)
    bc_date_created = models.DateTimeField(null=True, blank=True)
    bc_date_modified = models.DateTimeField(null=True, blank=True)
    cart_id = models.CharField(max_length=64, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    is_history = models.BooleanField(
        default=False,
        help_text="Recorded by a backfill as past history: never sent to Friendbuy as a purchase.",
    )
    synced_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-bc_order_id"]
        constraints = [models.UniqueConstraint(fields=["store", "bc_order_id"], name="uniq_order_snapshot")]
        indexes = [
            models.Index(fields=["store", "normalized_email"], name="order_snap_store_email"),
            models.Index(fields=["store", "customer_id"], name="order_snap_store_customer"),
        ]

    def __str__(self) -> str:
        return f"Order {self.bc_order_id}"


class OrderEvent(models.Model):
    """Something that happened to an order, recorded once (unique key per order) for later consumers."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"
        DECLINED = "declined", "Declined"
        REFUNDED = "refunded", "Refunded"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        DISPUTED = "disputed", "Disputed"
        STATUS_CHANGED = "status_changed", "Status changed"

    store = models.ForeignKey("storefront.Store", on_delete=models.CASCADE, related_name="order_events")
    order = models.ForeignKey(OrderSnapshot, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=Kind.choices, db_index=True)
    key = models.CharField(max_length=120, help_text="What makes this event unique within its order.")
    from_status = models.PositiveSmallIntegerField(null=True, blank=True)
    to_status = models.PositiveSmallIntegerField(null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    at = models.DateTimeField(db_index=True)
    delivery = models.ForeignKey(
        "storefront.WebhookDelivery",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="order_events",
    )

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["order", "key"], name="uniq_order_event_key")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.order_id})"


class ReconciliationRun(models.Model):
    """One comparison of a store's recent paid BigCommerce orders with the purchase events we sent."""

    store = models.ForeignKey(
        "storefront.Store", on_delete=models.CASCADE, related_name="reconciliation_runs"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    days = models.PositiveSmallIntegerField(default=3)
    orders_checked = models.PositiveIntegerField(default=0)
    gaps_found = models.PositiveIntegerField(default=0)
    requeued = models.PositiveIntegerField(default=0)
    errors = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Reconciliation {self.started_at:%Y-%m-%d %H:%M} ({self.gaps_found} gaps)"

    @property
    def created_at(self):
        return self.started_at


__all__ = ["CustomerIdentity", "OrderEvent", "OrderSnapshot", "ReconciliationRun"]
