"""URLs of the merchant's reports (load-page side)."""
from django.urls import path

from referrals.reporting import views as report_views

urlpatterns = [
    path("app/reports/", report_views.reports, name="app-reports"),
]
