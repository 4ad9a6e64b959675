"""URL map. The sandbox is mounted only when the settings switch it on (never in production)."""
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("storefront.urls")),
    path("", include("referrals.merchant.urls")),
    path("api/storefront/v1/", include("referrals.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("storefront.webhooks.urls")),
    path("", include("referrals.inbox.urls")),
    path("", include("referrals.reporting.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
    # The demo storefront shares the app's origin, so Stencil's own storefront routes are answered here.
    urlpatterns.append(path("", include("sandbox.storefront.root_urls")))

admin.site.site_header = "BigCommerce × Friendbuy"
admin.site.site_title = "BigCommerce × Friendbuy"
admin.site.index_title = "Operations"
