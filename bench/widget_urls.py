"""The app's URLs plus a bare DRF view: the baseline the widget API is compared with."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as app_urlpatterns


class BareView(APIView):
    """No authentication, throttles or database: what DRF + gunicorn cost on their own."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []

    def get(self, request):
        return Response({"rewards": []})


urlpatterns = [path("bench/widget-bare", BareView.as_view()), *app_urlpatterns]
