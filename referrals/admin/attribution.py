"""Admin for referral attribution: captures, order links and shopper identifications are read-only evidence."""

from django.contrib import admin

from referrals.models import AttributionCapture, OrderAttributionLink, ShopperIdentification
from storefront.admin_base import ReadOnlyAdmin


@admin.register(AttributionCapture)
class AttributionCaptureAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "store",
        "referral_code",
        "friend_coupon",
        "signature_valid",
        "is_self_referral",
        "bc_customer_id",
        "email",
        "device_id",
    )
    list_filter = ("signature_valid", "is_self_referral", "referral_code_blocked", "store")
    search_fields = ("referral_code", "attribution_id", "friend_coupon", "email", "device_id", "cart_id")
    date_hierarchy = "created_at"


@admin.register(OrderAttributionLink)
class OrderAttributionLinkAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "store", "bc_order_id", "device_id", "cart_id", "capture")
    search_fields = ("=bc_order_id", "device_id", "cart_id")
    raw_id_fields = ("store", "capture")
    list_select_related = ("store", "capture")


@admin.register(ShopperIdentification)
class ShopperIdentificationAdmin(ReadOnlyAdmin):
    list_display = ("store", "bc_customer_id", "email", "identified_count", "last_identified_at")
    search_fields = ("=bc_customer_id", "email")
