"""POST /api/external/v1/events: a custom event from the merchant's other systems, sent to Friendbuy once per
deduplicationId (namespaced `external:<eventType>:<id>`), authenticated by the store's API key
(referrals/earning/external.py), rate limited per key (EXTERNAL_EVENTS_RATE per minute), in the OpenAPI schema."""
from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from referrals.earning.external import EVENT_TYPE, store_for_api_key
from referrals.earning.send import loyalty_custom_event
from referrals.models import LoyaltyEvent
from storefront.rate_windows import rate_window_count
from storefront.widget_api.parsing import BoundedJSONParser


class ExternalEventIn(serializers.Serializer):
    eventType = serializers.CharField(max_length=40, help_text="Your event name, as configured in Friendbuy.")
    deduplicationId = serializers.CharField(max_length=60, help_text="Your id: the same id is sent only once.")
    email = serializers.EmailField(help_text="The customer's email (Friendbuy requires one).")
    customerId = serializers.CharField(max_length=64, required=False, allow_blank=True)
    properties = serializers.DictField(child=serializers.CharField(max_length=128), required=False,
                                       help_text="Up to 8 string attributes.")

    def validate_eventType(self, value):
        if not EVENT_TYPE.match(value):
            raise serializers.ValidationError("Letters, digits, _ . - only.")
        return value

    def validate_properties(self, value):
        if len(value) > 8:
            raise serializers.ValidationError("At most 8 properties.")
        return value


class ExternalEventOut(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField(help_text="pending, sent or failed (retried).")
    duplicate = serializers.BooleanField(help_text="This deduplicationId was received before: nothing new sent.")


class ApiKeyAuthentication:
    """Bearer <store API key> → the store; anything else is 401."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Bearer "):
            raise exceptions.NotAuthenticated("Send Authorization: Bearer <your API key>.")
        store = store_for_api_key(header[7:].strip())
        if store is None:
            raise exceptions.AuthenticationFailed("Unknown API key.")
        return store, None

    def authenticate_header(self, request):
        return "Bearer"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """Documents the key in the schema as HTTP bearer auth (drf-spectacular finds it by target class)."""

    target_class = "referrals.api.external_events.ApiKeyAuthentication"
    name = "storeApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "The store's API key from the app's Loyalty events page (/app/events/)."}


class ExternalEventView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes: list = []
    parser_classes = [BoundedJSONParser]

    def check_throttles(self, request):
        count, remaining = rate_window_count(key=f"external-events:{request.user.pk}", seconds=60)
        if count > settings.EXTERNAL_EVENTS_RATE:
            raise exceptions.Throttled(wait=max(1, int(remaining)))

    @extend_schema(
        operation_id="external_event", request=ExternalEventIn,
        responses={202: ExternalEventOut, 200: ExternalEventOut, 400: None, 401: None, 429: None},
        description="Send a custom event to Friendbuy for this store, once per deduplicationId.",
    )
    def post(self, request):
        store = request.user
        data = ExternalEventIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        dedup = f"external:{values['eventType']}:{values['deduplicationId']}"
        duplicate = LoyaltyEvent.objects.filter(store=store, deduplication_id=dedup).exists()
        event = loyalty_custom_event(store=store, customer_id=values.get("customerId") or "", email=values["email"],
                                     event_type=values["eventType"], deduplication_id=dedup,
                                     properties=values.get("properties") or {})
        body = ExternalEventOut({"id": event.pk, "state": event.state, "duplicate": duplicate}).data
        return Response(body, status=status.HTTP_200_OK if duplicate else status.HTTP_202_ACCEPTED)
