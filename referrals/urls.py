"""The merchant's page (framed by the control panel)."""
from django.urls import path

from . import views

urlpatterns = [
    path("app/", views.dashboard, name="app-home"),
]
