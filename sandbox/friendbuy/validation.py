"""Request validation of the fake MAPI, per the field tables of reference/friendbuy.md §2.2-§2.6.

Missing required fields answer 400; present but wrongly typed or malformed fields answer 422. Each
message names the field, so a failing test says what the app sent wrong.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpRequest

from .api import Problem

CURRENCY = re.compile(r"^[A-Z]{3}$")
CHANNELS = {"email", "facebook", "generic", "instagram", "messenger", "sms", "snap", "twitter", "purl"}


def json_object(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, "Request body must be a JSON object") from exc
    if not isinstance(body, dict):
        raise Problem(400, "Request body must be a JSON object")
    return body


def _required(body: dict, field: str) -> Any:
    if body.get(field) in (None, ""):
        raise Problem(400, f"{field} is required")
    return body[field]


def string(body: dict, field: str, *, required: bool = False) -> None:
    if required:
        _required(body, field)
    if field in body and body[field] is not None and not isinstance(body[field], str):
        raise Problem(422, f"{field} must be a string")


def email(body: dict, field: str = "email", *, required: bool = False) -> None:
    string(body, field, required=required)
    value = body.get(field)
    if value and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
        raise Problem(422, f"{field} must be a valid email address")


def number(body: dict, field: str, *, required: bool = False) -> None:
    if required:
        _required(body, field)
    value = body.get(field)
    # bool is an int in Python but not a number in JSON.
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise Problem(422, f"{field} must be a number")


def boolean(body: dict, field: str) -> None:
    if body.get(field) is not None and not isinstance(body[field], bool):
        raise Problem(422, f"{field} must be a boolean")


def currency(body: dict, field: str = "currency", *, required: bool = False) -> None:
    string(body, field, required=required)
    if body.get(field) and not CURRENCY.match(body[field]):
        raise Problem(422, f"{field} must be a 3-letter currency code such as USD")


def additional_properties(body: dict) -> None:
    value = body.get("additionalProperties")
    if value is None:
        return
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise Problem(422, "additionalProperties must be an object of string values")


def birthday(body: dict) -> None:
    value = body.get("birthday")
    if value is None:
        return
    if not isinstance(value, dict):
        raise Problem(422, "birthday must be an object")
    for part, low, high in (("day", 1, 31), ("month", 1, 12)):
        item = value.get(part)
        if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
            raise Problem(422, f"birthday.{part} must be an integer from {low} to {high}")


def products(body: dict) -> None:
    value = body.get("products")
    if value is None:
        return
    if not isinstance(value, list):
        raise Problem(422, "products must be an array")
    for index, product in enumerate(value):
        if not isinstance(product, dict):
            raise Problem(422, f"products[{index}] must be an object")
        if product.get("sku") in (None, ""):
            raise Problem(400, f"products[{index}].sku is required")
        string(product, "sku")
        for field in ("quantity", "price"):
            try:
                number(product, field)
            except Problem as problem:
                raise Problem(422, f"products[{index}].{problem.message}") from problem


def _tracking_fields(body: dict) -> None:
    """Optional fields shared by the event endpoints."""
    for field in (
        "firstName",
        "lastName",
        "couponCode",
        "attributionId",
        "referralCode",
        "ipAddress",
        "userAgent",
    ):
        string(body, field)
    boolean(body, "isNewCustomer")
    additional_properties(body)


def authorization(body: dict) -> None:
    string(body, "key", required=True)
    string(body, "secret", required=True)


def purchase(body: dict) -> None:
    string(body, "orderId", required=True)
    string(body, "customerId", required=True)
    number(body, "amount", required=True)
    currency(body, required=True)
    email(body)
    _tracking_fields(body)
    products(body)
    gift_cards = body.get("giftCardCodes")
    if gift_cards is not None and (
        not isinstance(gift_cards, list) or not all(isinstance(c, str) for c in gift_cards)
    ):
        raise Problem(422, "giftCardCodes must be an array of strings")


def sign_up(body: dict) -> None:
    email(body, required=True)
    string(body, "customerId", required=True)
    string(body, "timezone")
    _tracking_fields(body)
    birthday(body)


def custom(body: dict) -> None:
    email(body, required=True)
    string(body, "eventType", required=True)
    string(body, "customerId")
    string(body, "deduplicationId")
    _tracking_fields(body)


def customer(body: dict) -> None:
    email(body, required=True)
    string(body, "customerId", required=True)
    for field in (
        "firstName",
        "lastName",
        "gender",
        "zipCode",
        "state",
        "city",
        "category",
        "country",
        "language",
        "ipAddress",
        "userAgent",
        "timezone",
        "loyaltyStatus",
    ):
        string(body, field)
    if body.get("age") is not None and (isinstance(body["age"], bool) or not isinstance(body["age"], int)):
        raise Problem(422, "age must be an integer")
    boolean(body, "isNewCustomer")
    additional_properties(body)
    birthday(body)


def referral_link(body: dict) -> None:
    email(body, required=True)
    string(body, "campaignId", required=True)
    for field in ("customerId", "firstName", "lastName", "seed", "channel", "ipAddress", "userAgent"):
        string(body, field)
    if body.get("channel") and body["channel"] not in CHANNELS:
        raise Problem(422, f"channel must be one of {', '.join(sorted(CHANNELS))}")
    if body.get("destinationUrlQueryParams") is not None and not isinstance(
        body["destinationUrlQueryParams"], dict
    ):
        raise Problem(422, "destinationUrlQueryParams must be an object")


EVENT_VALIDATORS = {"purchase": purchase, "account-sign-up": sign_up, "custom": custom}
