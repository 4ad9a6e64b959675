"""URL of the BigCommerce webhook inbox (included from config/urls.py)."""

from django.urls import path

from .views import bigcommerce_webhook

urlpatterns = [
    path("bigcommerce/webhooks/<str:public_id>", bigcommerce_webhook, name="bigcommerce-webhook"),
]
