"""URL map. The sandbox is mounted only when the settings switch it on (never in production)."""
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("storefront.urls")),
    path("", include("referrals.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))

admin.site.site_header = "BigCommerce × Friendbuy"
admin.site.site_title = "BigCommerce × Friendbuy"
admin.site.index_title = "Operations"
