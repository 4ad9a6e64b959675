"""Admin for coupon templates, promotions, code pools (with stock counts and low-stock warnings), codes,
redemptions and redemption anomalies."""
from django.contrib import admin, messages
from django.utils.html import format_html

from storefront.admin_base import ReadOnlyAdmin, StoreScopedAdmin

from .models import CodePool, CouponCode, CouponTemplate, Promotion, Redemption, RedemptionAnomaly
from .selectors import pools_low_on_codes, pools_with_counts


@admin.register(CouponTemplate)
class CouponTemplateAdmin(StoreScopedAdmin):
    list_display = ("name", "store", "discount_kind", "min_spend", "expiry_days", "prefix", "is_active")
    list_filter = ("is_active", "discount_kind", "store")
    search_fields = ("name",)


@admin.register(Promotion)
class PromotionAdmin(ReadOnlyAdmin):
    list_display = ("name", "store", "bc_promotion_id", "coupon_type", "discount_kind", "amount", "currency",
                    "min_spend", "created_at")
    list_filter = ("coupon_type", "currency", "store")
    search_fields = ("name", "=bc_promotion_id")


@admin.register(CodePool)
class CodePoolAdmin(StoreScopedAdmin):
    list_display = ("name", "store", "purpose", "available", "handed_out", "redeemed", "low_threshold",
                    "refill_to", "stock")
    list_filter = ("purpose",)
    raw_id_fields = ("store", "template", "promotion")
    readonly_fields = ("promotion", "purpose", "refilling_until")

    def get_queryset(self, request):
        return pools_with_counts().select_related("store")

    def changelist_view(self, request, extra_context=None):
        for pool in pools_low_on_codes():
            self.message_user(request, f"Code pool {pool.name} ({pool.store}) is low: {pool.available_count} "
                                       f"available, threshold {pool.low_threshold}.", messages.WARNING)
        return super().changelist_view(request, extra_context)

    @admin.display(description="Available", ordering="available_count")
    def available(self, obj):
        return obj.available_count

    @admin.display(description="Handed out", ordering="handed_out_count")
    def handed_out(self, obj):
        return obj.handed_out_count

    @admin.display(description="Redeemed", ordering="redeemed_count")
    def redeemed(self, obj):
        return obj.redeemed_count

    @admin.display(description="Stock")
    def stock(self, obj):
        if obj.available_count < obj.low_threshold:
            return format_html('<strong style="color:#ba2121">LOW ({} &lt; {})</strong>',
                               obj.available_count, obj.low_threshold)
        return "ok"


@admin.register(CouponCode)
class CouponCodeAdmin(ReadOnlyAdmin):
    list_display = ("code", "store", "state", "amount", "currency", "min_spend", "expires_at", "pool",
                    "issued_to_customer_id", "bc_code_id", "created_at")
    list_filter = ("state", "currency", "store")
    search_fields = ("code", "issued_to_email", "issued_to_customer_id", "source_key")
    list_select_related = ("store", "pool")


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ("coupon", "store", "bc_order_id", "customer_id", "order_total", "redeemed_at")
    search_fields = ("coupon__code", "=bc_order_id", "email")
    list_select_related = ("store", "coupon")


@admin.register(RedemptionAnomaly)
class RedemptionAnomalyAdmin(ReadOnlyAdmin):
    list_display = ("coupon", "store", "kind", "bc_order_id", "created_at")
    list_filter = ("kind", "store")
    search_fields = ("coupon__code", "=bc_order_id")
    list_select_related = ("store", "coupon")
