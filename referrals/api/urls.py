"""Routes of the storefront widget API, mounted at /api/storefront/v1/ by config.urls."""

from django.urls import path, re_path

from referrals.api import views as api

urlpatterns = [
    path("identify", api.IdentifyView.as_view(), name="storefront-api-identify"),
    path("capture", api.CaptureView.as_view(), name="storefront-api-capture"),
    path("orders/link", api.OrderLinkView.as_view(), name="storefront-api-order-link"),
    path("me/referral-link", api.ReferralLinkView.as_view(), name="storefront-api-referral-link"),
    path("me/referral-status", api.ReferralStatusView.as_view(), name="storefront-api-referral-status"),
    path("me/loyalty", api.LoyaltyView.as_view(), name="storefront-api-loyalty"),
    path("me/rewards", api.RewardsView.as_view(), name="storefront-api-rewards"),
    re_path(r"^widget\.(?P<version>[0-9a-f]{16})\.js$", api.widget_script, name="storefront-api-widget"),
]
