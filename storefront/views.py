"""The control panel's callbacks (reference §1): /auth and /load render in the control panel's iframe,
/uninstall and /remove-user are server-to-server. Thin: verification in storefront.jwt, writes in services.

Every JWT failure answers 401 with a plain reason, including a wrong audience (a token minted for another
app is as good as none to us); 403 is kept for a verified user whose access the owner removed.
"""
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from . import services
from .jwt import InvalidSignedPayload, verify_signed_payload_jwt
from .jwt_replay import signed_payload_use_once
from .session import error_page, session_login

logger = logging.getLogger(__name__)

# The merchant's page is registered under this URL name by the app that owns it (referrals), so
# storefront can send the merchant there without importing that app.
APP_HOME_URL_NAME = "app-home"


def _verified_claims(request: HttpRequest) -> dict:
    return verify_signed_payload_jwt(request.GET.get("signed_payload_jwt", ""))


@require_GET
@xframe_options_exempt
def auth_callback(request: HttpRequest) -> HttpResponse:
    """GET /bigcommerce/auth?code&scope&context&account_uuid: finish the install, then the merchant page."""
    try:
        store_user = services.store_install(**{
            name: request.GET.get(name, "").strip() for name in ("code", "scope", "context", "account_uuid")
        })
    except services.InstallFailed as exc:
        logger.warning("Install callback failed (%s): %s", exc.status, exc.message)
        return error_page(request, status=exc.status, title="The install did not complete",
                          message=exc.message)
    session_login(request, store_user=store_user)
    return redirect(APP_HOME_URL_NAME)


@require_GET
@xframe_options_exempt
def load_callback(request: HttpRequest) -> HttpResponse:
    """GET /bigcommerce/load?signed_payload_jwt=: a control-panel user opens the app (each link once)."""
    try:
        claims = _verified_claims(request)
        signed_payload_use_once(claims=claims)
        store_user = services.store_user_load(claims=claims)
    except InvalidSignedPayload as exc:
        logger.warning("Refused /load: %s", exc.message)
        return error_page(request, status=401, title="This link could not be verified",
                          message=f"BigCommerce's signed link was refused: {exc.message}. "
                                  "Open the app again from the BigCommerce control panel.")
    except services.AccessRefused as exc:
        return error_page(request, status=exc.status, title="You can't open this app", message=exc.message)
    session_login(request, store_user=store_user)
    return redirect(APP_HOME_URL_NAME)


def _server_callback(request: HttpRequest, action) -> HttpResponse:
    try:
        claims = _verified_claims(request)
    except InvalidSignedPayload as exc:
        logger.warning("Refused %s: %s", request.path, exc.message)
        return JsonResponse({"error": exc.message}, status=401)
    action(claims=claims)
    return HttpResponse(status=204)


@csrf_exempt
@require_GET
def uninstall_callback(request: HttpRequest) -> HttpResponse:
    """GET /bigcommerce/uninstall?signed_payload_jwt= (server to server): wipe the token, end sessions."""
    return _server_callback(request, services.store_uninstall)


@csrf_exempt
@require_GET
def remove_user_callback(request: HttpRequest) -> HttpResponse:
    """GET /bigcommerce/remove-user?signed_payload_jwt= (server to server): that user may no longer load."""
    return _server_callback(request, services.store_user_remove)
