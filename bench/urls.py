"""The app's URLs plus the bench-only baseline view (production URLs stay untouched)."""

from django.urls import path

from config.urls import urlpatterns as app_urlpatterns

from .views import bare

urlpatterns = [path("bench/bare/<str:public_id>", bare), *app_urlpatterns]
