"""The merchant's page (framed by the control panel)."""
from django.urls import path

from referrals.api.external_events import ExternalEventView
from referrals.earning import views as earning_views
from referrals.merchant import settings_views, support_lists, support_team, support_views, views

urlpatterns = [
    path("app/", views.dashboard, name="app-home"),
    path("app/setup/", views.setup, name="app-setup"),
    path("app/setup/repair/", views.setup_repair_view, name="app-setup-repair"),
    path("app/setup/storefront-connection/", views.storefront_connection_view, name="app-storefront-connection"),
    path("app/settings/", settings_views.settings_page, name="app-settings"),
    path("app/support/", support_views.lookup, name="app-support"),
    path("app/support/action/<str:name>/<int:target>/", support_views.action, name="app-support-action"),
    path("app/support/advocates/", support_views.advocates, name="app-support-advocates"),
    path("app/support/reviews/", support_lists.reviews, name="app-support-reviews"),
    path("app/support/reviews/<int:pk>/", support_lists.review_decide, name="app-support-review-decide"),
    path("app/support/rewards/", support_lists.rewards, name="app-support-rewards"),
    path("app/support/team/", support_team.team, name="app-support-team"),
    path("app/events/", earning_views.earning_events, name="app-earning-events"),
    path("api/external/v1/events", ExternalEventView.as_view(), name="external-events"),
]
