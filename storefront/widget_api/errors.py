"""The widget API's one JSON error shape, its DRF exception handler, and the errors its views raise."""

from __future__ import annotations

import logging

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class OriginNotAllowed(exceptions.PermissionDenied):
    default_detail = "This origin may not call the widget API for this store."
    default_code = "origin_not_allowed"


class StoreNotFound(exceptions.NotFound):
    default_detail = "Unknown or uninstalled store."
    default_code = "store_not_found"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The store is not set up for this request."
    default_code = "not_configured"


class UpstreamUnavailable(exceptions.APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = "Friendbuy did not answer; try again later."
    default_code = "upstream_unavailable"


def _first_code(codes) -> str:
    while isinstance(codes, (list, dict)):
        if not codes:
            return "invalid"
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return str(codes)


def _messages(detail) -> dict | list | str:
    if isinstance(detail, dict):
        return {key: _messages(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_messages(item) for item in detail]
    return str(detail)


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    """The one error shape of the API: {"error": {"code", "message", "fields"}}."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def storefront_exception_handler(exc, context):
    """DRF's handler (status, Retry-After, WWW-Authenticate) with every body reshaped to error_body()."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None:
        # Not an API error: a bug. Log it (the traceback stays server-side) and answer in the same shape.
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        return Response(
            error_body("server_error", "Something went wrong on our side."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("invalid", "The request is not valid.", _messages(detail))
    elif isinstance(exc, exceptions.APIException):
        code = _first_code(exc.get_codes())
        response.data = error_body(
            code,
            str(exc.detail)
            if not isinstance(exc.detail, (list, dict))
            else "; ".join(str(v) for v in _flatten(exc.detail)),
        )
    return response


def _flatten(detail):
    if isinstance(detail, dict):
        for value in detail.values():
            yield from _flatten(value)
    elif isinstance(detail, list):
        for value in detail:
            yield from _flatten(value)
    else:
        yield detail
