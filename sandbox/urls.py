"""The sandbox's URL space: /sandbox/bigcommerce/…, /sandbox/bigcommerce-login/…, /sandbox/friendbuy/…"""
from django.urls import include, path

urlpatterns = [
    path("bigcommerce/", include("sandbox.bigcommerce.urls")),
    path("bigcommerce-login/", include("sandbox.bigcommerce.login_urls")),
    path("friendbuy/", include("sandbox.friendbuy.urls")),
    path("storefront/", include("sandbox.storefront.urls")),
]
