"""Fake BigCommerce API: /sandbox/bigcommerce/stores/<hash>/v2|v3/… and the storefront current.jwt."""

from django.urls import path

from . import (
    views_auth,
    views_catalog,
    views_channels,
    views_customers,
    views_groups,
    views_hooks,
    views_orders,
    views_promotions,
    views_scripts,
)
from . import views_gift_certificates as gift_certificates

v2 = "stores/<str:store_hash>/v2/"
v3 = "stores/<str:store_hash>/v3/"

urlpatterns = [
    path(f"{v2}orders", views_orders.orders),
    path(f"{v2}orders/count", views_orders.orders_count),
    path(f"{v2}orders/<int:order_id>", views_orders.order_detail),
    path(f"{v2}orders/<int:order_id>/products", views_orders.order_products),
    path(f"{v2}orders/<int:order_id>/coupons", views_orders.order_coupons),
    path(f"{v2}orders/<int:order_id>/shipping_addresses", views_orders.order_shipping_addresses),
    path(f"{v2}orders/<int:order_id>/shippingaddresses", views_orders.order_shipping_addresses),
    path(f"{v2}store", views_channels.store_information),
    path(f"{v2}gift_certificates", gift_certificates.gift_certificates),
    path(f"{v2}gift_certificates/<int:certificate_id>", gift_certificates.gift_certificate_detail),
    path(f"{v3}orders/<int:order_id>/transactions", views_orders.order_transactions),
    path(f"{v3}orders/<int:order_id>/payment_actions/refunds", views_orders.order_refunds),
    path(f"{v3}orders/payment_actions/refunds", views_orders.refunds),
    path(f"{v3}orders/payment_actions/refunds/<int:refund_id>", views_orders.refund_detail),
    path(f"{v3}customers", views_customers.customers),
    path(f"{v3}catalog/products", views_catalog.products),
    path(f"{v3}catalog/products/<int:product_id>/reviews", views_catalog.product_reviews),
    path(f"{v2}customer_groups", views_groups.customer_groups),
    path(f"{v2}customer_groups/count", views_groups.customer_groups_count),
    path(f"{v2}customer_groups/<int:customer_group_id>", views_groups.customer_group_detail),
    path(f"{v3}customers/subscribers", views_groups.subscribers),
    path(f"{v3}customers/subscribers/<int:subscriber_id>", views_groups.subscriber_detail),
    path(f"{v3}customers/form-field-values", views_groups.form_field_values),
    path(f"{v3}customers/attributes", views_groups.customer_attributes),
    path(f"{v3}customers/attribute-values", views_groups.attribute_values),
    path(f"{v3}hooks", views_hooks.hooks),
    path(f"{v3}hooks/<int:hook_id>", views_hooks.hook_detail),
    path(f"{v3}channels", views_channels.channels),
    path(f"{v3}channels/<int:channel_id>", views_channels.channel_detail),
    path(f"{v3}channels/<int:channel_id>/site", views_channels.channel_site),
    path(f"{v3}sites", views_channels.sites),
    path(f"{v3}content/scripts", views_scripts.scripts),
    path(f"{v3}content/scripts/<str:script_uuid>", views_scripts.script_detail),
    path(f"{v3}promotions", views_promotions.promotions),
    path(f"{v3}promotions/codes", views_promotions.codes_by_code),
    path(f"{v3}promotions/<int:promotion_id>", views_promotions.promotion_detail),
    path(f"{v3}promotions/<int:promotion_id>/codes", views_promotions.promotion_codes),
    path(f"{v3}promotions/<int:promotion_id>/codes/<int:code_id>", views_promotions.promotion_code_detail),
    path(f"{v3}promotions/<int:promotion_id>/codegen", views_promotions.codegen),
    path("storefront/<str:store_hash>/customer/current.jwt", views_auth.current_customer),
]
