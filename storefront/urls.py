"""BigCommerce's control-panel callbacks (the URLs registered in the app profile)."""
from django.urls import path

from . import views

urlpatterns = [
    path("bigcommerce/auth", views.auth_callback, name="bigcommerce-auth"),
    path("bigcommerce/load", views.load_callback, name="bigcommerce-load"),
    path("bigcommerce/uninstall", views.uninstall_callback, name="bigcommerce-uninstall"),
    path("bigcommerce/remove-user", views.remove_user_callback, name="bigcommerce-remove-user"),
]
