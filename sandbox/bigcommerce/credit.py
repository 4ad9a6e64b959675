"""Rules of the fake BigCommerce for store credit and gift certificates, shared by its views and the
Python world helpers (tests and the demo spend credit and certificates at a fake checkout).

Store credit (customers.v3 `store_credit_amounts`) is one whole value per customer: PUT replaces it,
nothing adds to it, and a checkout that uses credit takes it away. Gift certificates follow
marketing.v2: the required fields on POST and PUT, codes cut to their first 20 characters and unique in
the store, amounts as decimal strings, dates answered as Unix timestamps (sent as RFC 2822), and a
certificate past its expiry date answers `expired`.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from storefront.bigcommerce import parse_rfc2822

from . import state
from .models import FakeCustomer, FakeGiftCertificate, FakeStore

CODE_LENGTH = 20
REQUIRED_FIELDS = ("to_name", "to_email", "from_name", "from_email", "amount")
STATUSES = ("active", "pending", "disabled", "expired")
TEMPLATES = ("birthday.html", "girl.html", "boy.html", "celebration.html", "christmas.html", "general.html")
MESSAGE_LIMIT = 250
# A store's currencies (store_information): the fake knows these, a certificate in another is refused.
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD")


class Refused(Exception):
    """What BigCommerce would answer with an error: `status` and a v2/v3 message."""

    def __init__(self, status: int, message: str, field: str = ""):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


# --- store credit ------------------------------------------------------------------------------------


def store_credit_checked(value: Any) -> list[dict]:
    """A PUT's `store_credit_amounts` as stored, or Refused (422) for what BigCommerce refuses."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise Refused(422, "store_credit_amounts must be an array of objects", "store_credit_amounts")
    checked = []
    for n, item in enumerate(value):
        amount = item.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, (int, float, Decimal)):
            raise Refused(422, "amount must be a number", f"store_credit_amounts.{n}.amount")
        if Decimal(str(amount)) < 0:
            raise Refused(422, "amount must not be negative", f"store_credit_amounts.{n}.amount")
        checked.append({"amount": state.number(amount)})
    return checked


def store_credit_of(customer: FakeCustomer) -> Decimal:
    return sum((state.dec(a.get("amount")) for a in customer.data.get("store_credit_amounts") or []), Decimal("0"))


def store_credit_spend(*, store: FakeStore, customer_id: int, amount: Decimal | str) -> Decimal:
    """A checkout paying `amount` with the customer's credit: the balance goes down (never below zero,
    else Refused). Returns the balance left. Under a row lock, as two checkouts can't both spend it."""
    amount = state.dec(amount)
    with transaction.atomic():
        customer = FakeCustomer.objects.select_for_update().filter(store=store, pk=customer_id).first()
        if customer is None:
            raise Refused(404, "customer not found")
        balance = store_credit_of(customer)
        if amount <= 0 or amount > balance:
            raise Refused(422, f"Store credit {balance} does not cover {amount}")
        left = balance - amount
        customer.data["store_credit_amounts"] = [{"amount": state.number(left)}]
        customer.save(update_fields=["data"])
    return left


# --- gift certificates -------------------------------------------------------------------------------


def _unix(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Refused(400, f"The field '{field}' is invalid.", field) from None
    if not amount.is_finite() or amount < 0:
        raise Refused(400, f"The field '{field}' is invalid.", field)
    return amount


def _date(value: Any, field: str) -> str:
    if value in (None, ""):
        return ""
    try:
        moment = parse_rfc2822(str(value))
    except (TypeError, ValueError):
        moment = None
    if moment is None:
        raise Refused(400, f"The field '{field}' must be an RFC 2822 date.", field)
    return _unix(moment)


def _fields(body: dict, current: dict | None) -> dict:
    """The certificate's data after applying a POST (current None) or PUT body, or Refused."""
    if not isinstance(body, dict):
        raise Refused(400, "The request body must be an object.")
    for field in REQUIRED_FIELDS:
        if body.get(field) in (None, ""):
            raise Refused(400, f"The required field '{field}' was not supplied.", field)
    for read_only in ("id", "order_id"):
        if read_only in body:
            raise Refused(400, f"The field '{read_only}' cannot be written to.", read_only)
    data = dict(current or {})
    for field in ("to_name", "to_email", "from_name", "from_email"):
        data[field] = str(body[field])
    amount = _money(body["amount"], "amount")
    if amount <= 0:
        raise Refused(400, "The field 'amount' must be greater than zero.", "amount")
    data["amount"] = state.money(amount)
    if "balance" in body:
        balance = _money(body["balance"], "balance")
    else:
        balance = state.dec(data.get("balance", amount)) if current else amount
    if balance > amount:
        raise Refused(400, "The field 'balance' cannot exceed the amount.", "balance")
    data["balance"] = state.money(balance)
    status = body.get("status", data.get("status", "active"))
    if status not in STATUSES:
        raise Refused(400, "The field 'status' is invalid.", "status")
    data["status"] = status
    template = body.get("template", data.get("template", "general.html"))
    if template not in TEMPLATES:
        raise Refused(400, "The field 'template' is invalid.", "template")
    data["template"] = template
    message = str(body.get("message", data.get("message", "")))
    if current is None and len(message) > MESSAGE_LIMIT:
        raise Refused(400, f"The field 'message' is longer than {MESSAGE_LIMIT} characters.", "message")
    data["message"] = message
    currency = str(body.get("currency_code", data.get("currency_code", "USD"))).upper()
    if currency not in CURRENCIES:
        raise Refused(400, f"The currency {currency} does not exist in the store.", "currency_code")
    data["currency_code"] = currency
    if "customer_id" in body:
        try:
            data["customer_id"] = int(body["customer_id"])
        except (TypeError, ValueError):
            raise Refused(400, "The field 'customer_id' is invalid.", "customer_id") from None
    data.setdefault("customer_id", 0)
    data.setdefault("order_id", 0)
    if "purchase_date" in body:
        data["purchase_date"] = _date(body["purchase_date"], "purchase_date")
    if not data.get("purchase_date"):
        data["purchase_date"] = _unix(state.now())
    if "expiry_date" in body:
        data["expiry_date"] = _date(body["expiry_date"], "expiry_date")
    data.setdefault("expiry_date", "")
    return data


def gift_certificate_payload(certificate: FakeGiftCertificate, *, at: datetime | None = None) -> dict:
    """giftCertificate_Full as the API answers it (an active certificate past its expiry is expired)."""
    data = {"id": certificate.pk, "code": certificate.code, **certificate.data}
    expiry = data.get("expiry_date")
    if data.get("status") == "active" and expiry and int(expiry) < int((at or state.now()).timestamp()):
        data["status"] = "expired"
    return data


def gift_certificate_create(*, store: FakeStore, body: dict) -> FakeGiftCertificate:
    data = _fields(body, None)
    code = str(body.get("code") or "").strip()[:CODE_LENGTH] or _new_code()
    if FakeGiftCertificate.objects.filter(store=store, code__iexact=code).exists():
        raise Refused(409, f"The gift certificate code '{code}' is already in use.", "code")
    try:
        with transaction.atomic():
            return FakeGiftCertificate.objects.create(store=store, code=code, data=data)
    except IntegrityError:
        raise Refused(409, f"The gift certificate code '{code}' is already in use.", "code") from None


def gift_certificate_update(*, certificate: FakeGiftCertificate, body: dict) -> FakeGiftCertificate:
    data = _fields(body, certificate.data)
    code = str(body.get("code") or certificate.code).strip()[:CODE_LENGTH]
    if code.upper() != certificate.code.upper() and FakeGiftCertificate.objects.filter(
        store=certificate.store_id, code__iexact=code
    ).exists():
        raise Refused(409, f"The gift certificate code '{code}' is already in use.", "code")
    certificate.code, certificate.data = code, data
    certificate.save(update_fields=["code", "data"])
    return certificate


def gift_certificate_redeem(*, store: FakeStore, code: str, amount: Decimal | str) -> Decimal:
    """A checkout paying `amount` with the certificate: only an active one, never past its balance.
    Returns the balance left."""
    amount = state.dec(amount)
    with transaction.atomic():
        certificate = FakeGiftCertificate.objects.select_for_update().filter(store=store, code__iexact=code).first()
        if certificate is None:
            raise Refused(404, "gift certificate not found")
        status = gift_certificate_payload(certificate)["status"]
        if status != "active":
            raise Refused(422, f"The gift certificate is {status}.")
        balance = state.dec(certificate.data["balance"])
        if amount <= 0 or amount > balance:
            raise Refused(422, f"The gift certificate's balance {balance} does not cover {amount}.")
        certificate.data["balance"] = state.money(balance - amount)
        certificate.save(update_fields=["data"])
    return balance - amount


def _new_code() -> str:
    """An autogenerated code in BigCommerce's XXX-XXX-XXX-XXX shape."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(alphabet[b % len(alphabet)] for b in secrets.token_bytes(12))
    return "-".join(raw[i : i + 3] for i in range(0, 12, 3))
