"""Fake login.bigcommerce.com token exchange and the storefront's /customer/current.jwt.

The token endpoint accepts JSON (as the docs show) or form encoding (as the official Python
client sends), and checks what BigCommerce checks: client credentials, grant type, a one-time code
and a redirect_uri identical to the registered auth callback.
"""

import json
import secrets
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from sandbox.faults import fault_response

from .models import FakeCustomer, FakeInstallCode
from .responses import json_response, v3_error, with_rate_limit_headers
from .tokens import current_customer_jwt


def _form(request: HttpRequest) -> dict:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    return dict(parse_qsl(request.body.decode("utf-8", "replace")))


@csrf_exempt
def oauth_token(request: HttpRequest) -> HttpResponse:
    injected = fault_response(request, service="bigcommerce")
    if injected is not None:
        return injected
    if request.method != "POST":
        return v3_error(405, "Method not allowed.")
    form = _form(request)
    if not (
        constant_time_compare(str(form.get("client_id", "")), settings.BIGCOMMERCE_CLIENT_ID)
        and constant_time_compare(str(form.get("client_secret", "")), settings.BIGCOMMERCE_CLIENT_SECRET)
    ):
        return v3_error(401, "Invalid client_id or client_secret.")
    if form.get("grant_type") != "authorization_code":
        return v3_error(400, "grant_type must be authorization_code.")
    if form.get("redirect_uri") != f"{settings.APP_URL}/bigcommerce/auth":
        return v3_error(400, "redirect_uri does not match the registered auth callback URL.")
    with transaction.atomic():
        install = (
            FakeInstallCode.objects.select_for_update()
            .select_related("store")
            .filter(code=str(form.get("code", "")), used_at__isnull=True)
            .first()
        )
        if install is None:
            return v3_error(400, "The authorization code is invalid or has already been used.")
        store = install.store
        if form.get("context") != f"stores/{store.store_hash}":
            return v3_error(400, "context does not match the authorization code.")
        install.used_at = timezone.now()
        install.save(update_fields=["used_at"])
        store.access_token = secrets.token_urlsafe(24)
        store.client_id = settings.BIGCOMMERCE_CLIENT_ID
        store.scope = install.scope
        store.save(update_fields=["access_token", "client_id", "scope"])
    return json_response(
        {
            "access_token": store.access_token,
            "scope": install.scope,
            "user": install.user,
            "owner": install.owner,
            "context": f"stores/{store.store_hash}",
            "account_uuid": "12345678-90ab-cdef-1234-567890abcdef",
        }
    )


@csrf_exempt
def current_customer(request: HttpRequest, store_hash: str) -> HttpResponse:
    """200 text/plain JWT for a signed-in shopper (customer_id query param or cookie), 404 for guests."""
    injected = fault_response(request, service="bigcommerce")
    if injected is not None:
        return injected
    if request.GET.get("app_client_id") != settings.BIGCOMMERCE_CLIENT_ID:
        return HttpResponse("Unknown app_client_id", status=400, content_type="text/plain")
    raw = request.GET.get("customer_id") or request.COOKIES.get("sandbox_customer_id") or ""
    customer = (
        FakeCustomer.objects.filter(store__store_hash=store_hash, pk=int(raw)).first()
        if raw.isdigit()
        else None
    )
    if customer is None:
        return HttpResponse(status=404)
    token = current_customer_jwt(
        store_hash=store_hash,
        customer_id=customer.pk,
        email=customer.data["email"],
        customer={
            "id": customer.pk,
            "email": customer.data["email"],
            "group_id": str(customer.data.get("customer_group_id", 0)),
        },
    )
    response = HttpResponse(token, content_type="text/plain")
    response["Access-Control-Allow-Credentials"] = "true"
    return with_rate_limit_headers(response)
