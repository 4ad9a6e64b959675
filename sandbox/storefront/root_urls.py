"""Storefront routes Stencil serves on the store's own domain, answered for the demo storefront (which
shares the app's origin). Mounted at the root by config.urls only when the sandbox is enabled."""
from django.urls import path

from . import views

urlpatterns = [
    path("customer/current.jwt", views.current_jwt, name="sandbox-storefront-current-jwt"),
    path("api/storefront/carts", views.carts, name="sandbox-storefront-carts"),
    path("api/storefront/order/<int:order_id>", views.storefront_order, name="sandbox-storefront-order"),
]
