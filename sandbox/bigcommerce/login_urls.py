"""Fake login.bigcommerce.com: /sandbox/bigcommerce-login/oauth2/token."""

from django.urls import path

from . import views_auth

urlpatterns = [path("oauth2/token", views_auth.oauth_token)]
