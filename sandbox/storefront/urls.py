"""The demo storefront, mounted at /sandbox/storefront/."""
from django.urls import path

from . import views

urlpatterns = [
    path("friendbuy-sdk.js", views.friendbuy_sdk, name="sandbox-storefront-sdk"),
    path("<str:store_hash>/", views.home, name="sandbox-storefront-home"),
    path("<str:store_hash>/account/", views.account, name="sandbox-storefront-account"),
    path("<str:store_hash>/cart/", views.cart, name="sandbox-storefront-cart"),
    path("<str:store_hash>/order-confirmation/<int:order_id>/", views.confirmation,
         name="sandbox-storefront-confirmation"),
    path("<str:store_hash>/login", views.login, name="sandbox-storefront-login"),
    path("<str:store_hash>/reward-advocate", views.reward_advocate, name="sandbox-storefront-reward"),
    path("<str:store_hash>/friendbuy/landing", views.landing, name="sandbox-storefront-landing"),
    path("<str:store_hash>/friendbuy/visitor-status", views.visitor_status,
         name="sandbox-storefront-visitor-status"),
]
