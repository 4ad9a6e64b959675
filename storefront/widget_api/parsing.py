"""The widget API's body limit and JSON parser (size and nesting depth checked before parsing)."""

from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser

from ..bounded_json import BodyTooLarge, BoundedJSONError, json_parse

MAX_BODY_BYTES = 8 * 1024


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = f"Request body is larger than {MAX_BODY_BYTES} bytes."
    default_code = "payload_too_large"


class BoundedJSONParser(BaseParser):
    """DRF's JSON parser, through storefront.bounded_json: size and nesting depth checked before parsing
    (DRF's own parser lets a deeply nested body raise RecursionError, a 500)."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        try:
            return json_parse(data, max_bytes=MAX_BODY_BYTES)
        except BodyTooLarge as exc:
            raise PayloadTooLarge() from exc
        except BoundedJSONError as exc:
            raise exceptions.ParseError(str(exc)) from exc
