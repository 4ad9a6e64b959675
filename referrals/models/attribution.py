"""What the storefront told us of a shopper's referral (captures) and which device placed which order (links).

Everything here came from a browser and is untrusted: a capture's Friendbuy fields are trusted only when
`signature_valid` (the visitor-status signature verified with the store's Friendbuy Secret Key); a row
with a bad signature is kept as evidence but never used for attribution (referrals.attribution).
"""

from django.db import models

__all__ = ["AttributionCapture", "OrderAttributionLink", "ShopperIdentification"]


class AttributionCapture(models.Model):
    """One visitor-status / friend-coupon report from the attribution capture script."""

    store = models.ForeignKey(
        "storefront.Store", on_delete=models.CASCADE, related_name="attribution_captures"
    )
    device_id = models.CharField(max_length=64, help_text="First-party fbc_device cookie (random UUID).")
    cart_id = models.CharField(max_length=64, blank=True)
    bc_customer_id = models.BigIntegerField(
        null=True, blank=True, help_text="From a verified customer JWT only."
    )
    email = models.EmailField(blank=True, help_text="From a verified customer JWT only.")
    attribution_id = models.CharField(max_length=128, blank=True)
    referral_code = models.CharField(max_length=128, blank=True)
    campaign_id = models.CharField(max_length=64, blank=True)
    advocate_customer_id = models.CharField(max_length=64, blank=True)
    is_self_referral = models.BooleanField(default=False)
    referral_code_blocked = models.BooleanField(default=False)
    friend_coupon = models.CharField(
        max_length=64, blank=True, help_text="From the SDK's couponReceived event."
    )
    user_agent = models.CharField(max_length=512, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    signature_valid = models.BooleanField(
        default=False,
        help_text="Visitor-status signature verified; unverified rows are never used for attribution.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "cart_id"], name="capture_store_cart"),
            models.Index(fields=["store", "device_id"], name="capture_store_device"),
            models.Index(fields=["store", "bc_customer_id"], name="capture_store_customer"),
            models.Index(fields=["store", "email"], name="capture_store_email"),
            models.Index(fields=["store", "friend_coupon"], name="capture_store_coupon"),
        ]

    def __str__(self) -> str:
        return f"Capture {self.pk} ({self.referral_code or self.friend_coupon or 'no code'})"


class OrderAttributionLink(models.Model):
    """The order-confirmation page's report that a device (with a cart, or a verified shopper) placed an order.

    One row per order and device: a report can't overwrite another device's. A row is believed only when
    its proof matches the order (referrals.attribution.link_proves_order_q).
    """

    store = models.ForeignKey(
        "storefront.Store", on_delete=models.CASCADE, related_name="order_attribution_links"
    )
    bc_order_id = models.BigIntegerField()
    device_id = models.CharField(max_length=64)
    cart_id = models.CharField(max_length=64, blank=True)
    capture = models.ForeignKey(
        AttributionCapture,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="order_links",
    )
    bc_customer_id = models.BigIntegerField(
        null=True, blank=True, help_text="From a verified current-customer JWT only."
    )
    user_agent = models.CharField(max_length=512, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "bc_order_id", "device_id"], name="uniq_order_attribution_link_device"
            )
        ]
        indexes = [models.Index(fields=["store", "device_id"], name="orderlink_store_device")]

    def __str__(self) -> str:
        return f"Order {self.bc_order_id} ← device {self.device_id[:8]}"


class ShopperIdentification(models.Model):
    """When our script last identified a logged-in shopper to Friendbuy (the ["auth", …] command)."""

    store = models.ForeignKey(
        "storefront.Store", on_delete=models.CASCADE, related_name="shopper_identifications"
    )
    bc_customer_id = models.BigIntegerField()
    email = models.EmailField(blank=True)
    identified_count = models.PositiveIntegerField(default=1)
    first_identified_at = models.DateTimeField(auto_now_add=True)
    last_identified_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "bc_customer_id"], name="uniq_shopper_identification"),
        ]

    def __str__(self) -> str:
        return f"Customer {self.bc_customer_id} identified"
