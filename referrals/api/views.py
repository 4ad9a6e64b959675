"""Storefront widget API (/api/storefront/v1/): thin DRF views over referrals.attribution and .widget.

Shopper endpoints (`me/…`) need a verified current-customer JWT (storefront.shopper_auth). Capture
endpoints (`identify`, `capture`, `orders/link`) are called by the installed scripts: they need only the
store's public id and one of the store's origins; their bodies are capped, validated and untrusted
(see referrals.attribution for what is believed). Errors use storefront.widget_api.errors' one JSON shape.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response

from referrals.api import shopper_data as widget
from referrals.attribution import services as attribution
from referrals.earning.tiers import tier_for_shopper
from referrals.friendbuy.client import FriendbuyError
from referrals.rewards import selectors as reward_selectors
from storefront.client_ip import client_ip
from storefront.jwt import InvalidSignedPayload
from storefront.scripts import widget_asset
from storefront.shopper_auth import CurrentCustomerJWTAuthentication, IsShopper, shopper_from_token
from storefront.widget_api.errors import Conflict, UpstreamUnavailable, error_body
from storefront.widget_api.views import StorefrontAPIView

STORE_HEADER = OpenApiParameter(
    "X-Store-Id",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The store's public id (as installed in the scripts).",
)
ErrorSerializer = inline_serializer(
    "Error",
    {
        "error": inline_serializer(
            "ErrorBody",
            {
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(),
            },
        )
    },
)
ERRORS = {code: ErrorSerializer for code in (400, 401, 403, 404, 409, 413, 429, 502)}


# --- serializers --------------------------------------------------------------------------------


class IdentifyIn(serializers.Serializer):
    jwt = serializers.CharField(max_length=4096)


class CustomerOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()


class IdentifyOut(serializers.Serializer):
    customer = CustomerOut()
    authString = serializers.CharField()
    signature = serializers.CharField()


class AdvocateIn(serializers.Serializer):
    customerId = serializers.CharField(max_length=64, required=False, allow_blank=True)
    firstName = serializers.CharField(max_length=128, required=False, allow_blank=True)


class VisitorPayloadIn(serializers.Serializer):
    attributionId = serializers.CharField(max_length=128, required=False, allow_blank=True)
    campaignId = serializers.CharField(max_length=64, required=False, allow_blank=True)
    referralCode = serializers.CharField(max_length=128, required=False, allow_blank=True)
    referralCodeBlocked = serializers.BooleanField(required=False)
    isSelfReferral = serializers.BooleanField(required=False)
    advocate = AdvocateIn(required=False)


class VisitorStatusIn(serializers.Serializer):
    payload = serializers.DictField()
    signature = serializers.CharField(max_length=512, required=False, allow_blank=True)

    def validate_payload(self, value):
        # Validate the known fields but keep the payload exactly as sent: the signature covers its JSON.
        checked = VisitorPayloadIn(data=value)
        checked.is_valid(raise_exception=True)
        return value


class CaptureIn(serializers.Serializer):
    visitorStatus = VisitorStatusIn(required=False, allow_null=True)
    friendCoupon = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    deviceId = serializers.UUIDField(format="hex_verbose")
    userAgent = serializers.CharField(max_length=512, required=False, allow_blank=True, default="")
    cartId = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    customerJwt = serializers.CharField(max_length=4096, required=False, allow_blank=True, default="")


class CaptureOut(serializers.Serializer):
    captured = serializers.BooleanField()
    signatureValid = serializers.BooleanField()


class OrderLinkIn(serializers.Serializer):
    orderId = serializers.IntegerField(min_value=1, max_value=2**53)
    deviceId = serializers.UUIDField(format="hex_verbose")
    cartId = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                   help_text="The order's cart id: proof this browser placed the order.")
    userAgent = serializers.CharField(max_length=512, required=False, allow_blank=True, default="")
    customerJwt = serializers.CharField(max_length=4096, required=False, allow_blank=True, default="",
                                        help_text="The shopper's current-customer JWT: proof for orders without a cart.")


class OrderLinkOut(serializers.Serializer):
    linked = serializers.BooleanField()
    created = serializers.BooleanField()


class ReferralLinkOut(serializers.Serializer):
    link = serializers.URLField()
    referralCode = serializers.CharField()
    campaignId = serializers.CharField()


class ReferredByOut(serializers.Serializer):
    advocateCustomerId = serializers.CharField()
    referralCode = serializers.CharField()
    campaignId = serializers.CharField()
    capturedAt = serializers.DateTimeField()


class ReferralStatusOut(serializers.Serializer):
    referred = serializers.BooleanField()
    referredBy = ReferredByOut(allow_null=True)
    isSelfReferral = serializers.BooleanField()
    friendCoupon = serializers.CharField()
    linkedOrderIds = serializers.ListField(child=serializers.IntegerField())


class LoyaltyOut(serializers.Serializer):
    balance = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True)
    currency = serializers.CharField()
    optedIn = serializers.BooleanField(
        help_text="The shopper has been identified to Friendbuy (customer auth)."
    )
    lastIdentifiedAt = serializers.DateTimeField(allow_null=True)
    tier = serializers.CharField(allow_blank=True, help_text="Loyalty tier Friendbuy last reported (empty: none).")
    storeCredit = serializers.CharField(
        help_text="BigCommerce store credit on the account as this app last confirmed it (applied at checkout).")


class RewardOut(serializers.Serializer):
    kind = serializers.CharField(help_text="coupon, store_credit or gift_certificate.")
    code = serializers.CharField(allow_blank=True,
                                 help_text="Coupon or gift certificate code (empty for store credit).")
    how_to_use = serializers.CharField(help_text="How the shopper uses it, in plain words.")
    state = serializers.CharField(help_text="Reward state: issued, redeemed, revoked, expired, clawback_flagged.")
    code_state = serializers.CharField(
        help_text="Coupon code state (active, redeemed, disabled…) or credit fulfilment state (delivered, reversed).")
    recipient = serializers.CharField(help_text="advocate, friend or loyalty.")
    amount = serializers.CharField()
    discount_kind = serializers.CharField()
    currency = serializers.CharField(allow_blank=True)
    min_spend = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True)
    redeemed = serializers.BooleanField()
    usable = serializers.BooleanField()
    created = serializers.DateTimeField()


class RewardsOut(serializers.Serializer):
    rewards = RewardOut(many=True)


# --- capture endpoints (called by the installed scripts) ----------------------------------------


def _verified_customer(token: str, store) -> tuple[int | None, str]:
    if not token:
        return None, ""
    try:
        shopper = shopper_from_token(token, store=store)
    except InvalidSignedPayload as exc:
        raise AuthenticationFailed(f"Invalid customer token: {exc.message}.", code="invalid_token") from exc
    return shopper.customer_id, shopper.email


class IdentifyView(StorefrontAPIView):
    """Verify the shopper's JWT and sign Friendbuy's customer-auth string for them."""

    @extend_schema(
        operation_id="identify",
        parameters=[STORE_HEADER],
        request=IdentifyIn,
        responses={200: IdentifyOut, **ERRORS},
    )
    def post(self, request):
        store = self.get_store(request)
        data = IdentifyIn(data=request.data)
        data.is_valid(raise_exception=True)
        customer_id, email = _verified_customer(data.validated_data["jwt"], store)
        try:
            auth_string, signature = attribution.shopper_identify(
                store=store, customer_id=customer_id, email=email
            )
        except attribution.FriendbuyNotConnected as exc:
            raise Conflict(
                "Friendbuy is not connected for this store.", code="friendbuy_not_connected"
            ) from exc
        return Response(
            {
                "customer": {"id": customer_id, "email": email},
                "authString": auth_string,
                "signature": signature,
            }
        )


class CaptureView(StorefrontAPIView):
    """Record a visitor-status / friend-coupon report (untrusted until its signature verifies)."""

    @extend_schema(
        operation_id="capture",
        parameters=[STORE_HEADER],
        request=CaptureIn,
        responses={201: CaptureOut, 200: CaptureOut, **ERRORS},
    )
    def post(self, request):
        store = self.get_store(request)
        data = CaptureIn(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        customer_id, email = _verified_customer(body["customerJwt"], store)
        capture = attribution.capture_record(
            store=store,
            device_id=str(body["deviceId"]),
            cart_id=body["cartId"],
            visitor_status=body.get("visitorStatus"),
            friend_coupon=body["friendCoupon"],
            user_agent=body["userAgent"] or request.META.get("HTTP_USER_AGENT", ""),
            ip_address=client_ip(request),
            customer_id=customer_id,
            email=email,
        )
        if capture is None:
            return Response({"captured": False, "signatureValid": False})
        return Response(
            {"captured": True, "signatureValid": capture.signature_valid}, status=status.HTTP_201_CREATED
        )


class OrderNotProven(exceptions.PermissionDenied):
    default_detail = "This report does not prove the order: neither its cart nor its shopper match."
    default_code = "order_not_proven"


class TooManyOrderLinks(Conflict):
    default_detail = "This order already has as many device reports as it may have before it is known."
    default_code = "too_many_links"


class OrderLinkView(StorefrontAPIView):
    """Link a confirmed order to the device that placed it, proven by the order's cart or the shopper's JWT."""

    @extend_schema(
        operation_id="orders_link",
        parameters=[STORE_HEADER],
        request=OrderLinkIn,
        responses={201: OrderLinkOut, 200: OrderLinkOut, **ERRORS},
    )
    def post(self, request):
        store = self.get_store(request)
        data = OrderLinkIn(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        customer_id, _email = _verified_customer(body["customerJwt"], store)
        try:
            _link, created = attribution.order_link_record(
                store=store,
                order_id=body["orderId"],
                device_id=str(body["deviceId"]),
                cart_id=body["cartId"],
                user_agent=body["userAgent"] or request.META.get("HTTP_USER_AGENT", ""),
                ip_address=client_ip(request),
                customer_id=customer_id,
            )
        except attribution.OrderNotProven as exc:
            raise OrderNotProven() from exc
        except attribution.TooManyOrderLinks as exc:
            raise TooManyOrderLinks() from exc
        return Response(
            {"linked": True, "created": created},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


# --- shopper endpoints --------------------------------------------------------------------------


class ShopperView(StorefrontAPIView):
    authentication_classes = [CurrentCustomerJWTAuthentication]
    permission_classes = [IsShopper]


class ReferralLinkView(ShopperView):
    @extend_schema(
        operation_id="me_referral_link", parameters=[STORE_HEADER], responses={200: ReferralLinkOut, **ERRORS}
    )
    def get(self, request):
        shopper = request.user
        try:
            link = widget.referral_link_for_shopper(
                store=shopper.store, customer_id=shopper.customer_id, email=shopper.email
            )
        except widget.WidgetNotConfigured as exc:
            raise Conflict(str(exc), code="not_configured") from exc
        except FriendbuyError as exc:
            raise UpstreamUnavailable() from exc
        return Response(link)


class ReferralStatusView(ShopperView):
    @extend_schema(
        operation_id="me_referral_status",
        parameters=[STORE_HEADER],
        responses={200: ReferralStatusOut, **ERRORS},
    )
    def get(self, request):
        shopper = request.user
        return Response(
            ReferralStatusOut(
                attribution.referral_status_for_shopper(
                    store=shopper.store, customer_id=shopper.customer_id, email=shopper.email
                )
            ).data
        )


class LoyaltyView(ShopperView):
    @extend_schema(
        operation_id="me_loyalty", parameters=[STORE_HEADER], responses={200: LoyaltyOut, **ERRORS}
    )
    def get(self, request):
        shopper = request.user
        try:
            balance = widget.loyalty_balance_for_shopper(store=shopper.store, customer_id=shopper.customer_id)
        except widget.WidgetNotConfigured as exc:
            raise Conflict(str(exc), code="not_configured") from exc
        except FriendbuyError as exc:
            raise UpstreamUnavailable() from exc
        seen = attribution.identification_for_shopper(store=shopper.store, customer_id=shopper.customer_id)
        return Response(
            LoyaltyOut(
                {
                    **balance,
                    "optedIn": seen is not None,
                    "lastIdentifiedAt": seen.last_identified_at if seen else None,
                    "tier": tier_for_shopper(store=shopper.store, customer_id=shopper.customer_id)["name"],
                    "storeCredit": reward_selectors.store_credit_for_shopper(store=shopper.store,
                                                                              customer_id=shopper.customer_id),
                }
            ).data
        )


class RewardsView(ShopperView):
    @extend_schema(
        operation_id="me_rewards", parameters=[STORE_HEADER], responses={200: RewardsOut, **ERRORS}
    )
    def get(self, request):
        shopper = request.user
        rewards = reward_selectors.rewards_for_shopper(store=shopper.store, customer_id=shopper.customer_id)
        return Response(RewardsOut({"rewards": rewards}).data)


# --- the widget script --------------------------------------------------------------------------


def widget_script(request, version: str):
    """The account widget at its content-addressed URL: immutable for a year. Another version → 404."""
    asset = widget_asset()
    if version != asset.version:
        response = JsonResponse(error_body("not_found", "Unknown widget version."), status=404)
        response["Cache-Control"] = "no-store"
        return response
    response = HttpResponse(asset.body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    # Loaded cross-origin with SRI (crossorigin="anonymous"), so the bytes must be CORS-readable.
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    return response
