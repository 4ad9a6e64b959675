"""DRF authentication of a storefront shopper by BigCommerce's current-customer JWT (reference §7.1).

The widget calls the API with `Authorization: Bearer <jwt>` (fetched from the storefront's
`/customer/current.jwt?app_client_id=…`) and `X-Store-Id: <public_id>`. The token is untrusted until
storefront.jwt verifies it: HS256 with our client secret, our client id as `aud`, `iss` "bc/apps",
`operation` "current_customer", `exp`, and its `store_hash` equal to the store the public id names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .jwt import InvalidSignedPayload, verify_current_customer_jwt
from .models import Store
from .widget_api.stores import public_id_from, store_for_public_id

MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True)
class Shopper:
    """A storefront customer proven by a verified current-customer JWT (DRF's request.user)."""

    store: Store
    customer_id: int
    email: str
    group_id: str = ""

    is_authenticated = True
    is_anonymous = False

    def __str__(self) -> str:
        return f"customer {self.customer_id} @ {self.store.store_hash}"


def shopper_from_token(token: str, *, store: Store) -> Shopper:
    """Verify `token` for `store`; raises InvalidSignedPayload."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidSignedPayload("token too long")
    claims: dict[str, Any] = verify_current_customer_jwt(token, store_hash=store.store_hash)
    customer = claims["customer"]
    return Shopper(
        store=store,
        customer_id=int(customer["id"]),
        email=str(customer.get("email") or ""),
        group_id=str(customer.get("group_id") or ""),
    )


class CurrentCustomerJWTAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <current-customer JWT>` plus `X-Store-Id`; 401 on anything wrong."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, token = header.partition(" ")
        if scheme != self.keyword or not token.strip():
            raise exceptions.NotAuthenticated("Send the shopper's current-customer JWT as a Bearer token.")
        store = getattr(request, "store", None) or store_for_public_id(public_id_from(request))
        if store is None:
            raise exceptions.AuthenticationFailed("Unknown or uninstalled store.", code="store_not_found")
        try:
            shopper = shopper_from_token(token.strip(), store=store)
        except InvalidSignedPayload as exc:
            raise exceptions.AuthenticationFailed(
                f"Invalid customer token: {exc.message}.", code="invalid_token"
            ) from exc
        return shopper, token

    def authenticate_header(self, request):
        # A WWW-Authenticate value makes DRF answer 401 (not 403) when authentication fails.
        return f'{self.keyword} realm="storefront"'


class IsShopper:
    """DRF permission: a verified shopper must be present."""

    def has_permission(self, request, view) -> bool:
        return isinstance(getattr(request, "user", None), Shopper)

    def has_object_permission(self, request, view, obj) -> bool:
        return self.has_permission(request, view)


class CurrentCustomerJWTScheme(OpenApiAuthenticationExtension):
    """Describes the shopper authentication in the OpenAPI schema (a bearer JWT)."""

    target_class = "storefront.shopper_auth.CurrentCustomerJWTAuthentication"
    name = "currentCustomerJWT"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "BigCommerce current-customer JWT from /customer/current.jwt?app_client_id=…"}
