"""Birthdays earn: once a day (beat, referrals.birthdays_send_all) each store that switched it on and named
its birthday field is scanned (the form-field values of that name, else the customer attribute of that
name), and each customer whose birthday is today (UTC) is owed `birthday` once per year
(deduplicationId birthday:<customer>:<year>). 29 February birthdays are celebrated on 28 February in
other years."""
from __future__ import annotations

import logging
import re
from datetime import date

from django.utils import timezone

from storefront.clients import bigcommerce_for
from storefront.models import Store

from ..models import EarningSettings
from .events import BIRTHDAY, earning_event_owe

logger = logging.getLogger(__name__)
PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), ("m", "d", "y")),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), ("d", "m", "y")),
    (re.compile(r"^(\d{1,2})[-/](\d{1,2})$"), ("m", "d")),
)


def birthday_month_day(value) -> tuple[int, int] | None:
    text = str(value or "").strip()
    for pattern, parts in PATTERNS:
        match = pattern.match(text)
        if match:
            found = dict(zip(parts, (int(g) for g in match.groups()), strict=True))
            if 1 <= found["m"] <= 12 and 1 <= found["d"] <= 31:
                return found["m"], found["d"]
    return None


def _is_today(month_day: tuple[int, int], today: date) -> bool:
    if month_day == (today.month, today.day):
        return True
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    return month_day == (2, 29) and not leap and (today.month, today.day) == (2, 28)


def birthdays_send(*, store: Store, today: date | None = None) -> int:
    """Owe today's birthday events of one store; returns how many customers have their birthday today."""
    today = today or timezone.now().date()
    settings = EarningSettings.objects.filter(store=store).first()
    if settings is None or not settings.birthday_enabled or not settings.birthday_field:
        return 0
    client = bigcommerce_for(store)
    values = {int(v["customer_id"]): v.get("value") for v in client.iter_form_field_values(
        field_name=settings.birthday_field) if v.get("customer_id")}
    if not values:
        attribute = client.find_customer_attribute(settings.birthday_field)
        if attribute:
            values = {int(v["customer_id"]): v.get("attribute_value")
                      for v in client.iter_attribute_values(attribute_id=int(attribute["id"]))}
    due = [cid for cid, value in values.items()
           if (md := birthday_month_day(value)) and _is_today(md, today)]
    for start in range(0, len(due), 50):
        for customer in client.get_customers(due[start:start + 50]):
            earning_event_owe(store=store, event_type=BIRTHDAY, deduplication_id=f"{customer['id']}:{today.year}",
                              email=str(customer.get("email") or ""), customer_id=str(customer["id"]),
                              properties={"birthday": f"{today.month:02d}-{today.day:02d}"})
    return len(due)


def birthdays_send_all() -> int:
    total = 0
    for settings in EarningSettings.objects.filter(birthday_enabled=True).exclude(birthday_field="").select_related(
            "store"):
        if not settings.store.is_installed:
            continue
        try:
            total += birthdays_send(store=settings.store)
        except Exception:
            logger.exception("Birthday scan of store %s failed.", settings.store.store_hash)
    return total
