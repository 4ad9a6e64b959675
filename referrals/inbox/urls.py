"""Inbound Friendbuy URLs, one pair per store (the opaque public id selects the secret)."""
from django.urls import path

from referrals.inbox.views import friendbuy_validation, friendbuy_webhook

urlpatterns = [
    path("friendbuy/webhooks/<str:public_id>", friendbuy_webhook, name="friendbuy-webhook"),
    path("friendbuy/validation/<str:public_id>", friendbuy_validation, name="friendbuy-validation"),
]
