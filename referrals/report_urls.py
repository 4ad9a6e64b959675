"""URLs of the merchant's reports (load-page side)."""
from django.urls import path

from . import report_views

urlpatterns = [
    path("app/reports/", report_views.reports, name="app-reports"),
]
