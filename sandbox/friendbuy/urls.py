"""URLs of the fake Friendbuy Merchant API, mounted at /sandbox/friendbuy/ (so the base is …/friendbuy/v1)."""

from django.urls import path, re_path

from . import views

urlpatterns = [
    path("v1/authorization", views.authorization),
    path("v1/event/purchase", views.event, {"kind": "purchase"}),
    path("v1/event/account-sign-up", views.event, {"kind": "account-sign-up"}),
    path("v1/event/custom", views.event, {"kind": "custom"}),
    path("v1/customer", views.customer),
    path("v1/personal-referral-link", views.personal_referral_link),
    path("v1/analytics/<str:kind>", views.analytics),
    path("v1/user-data", views.user_data),
    path("v1/ledger-balance", views.ledger_balance),
    re_path(r"^.*$", views.unknown),
]
