"""Birthdays earn on the day: the merchant names the form field or attribute, the daily scan owes `birthday`
once per customer and year; other days, unparseable values and stores that switched it off send nothing."""
from datetime import date

import pytest

from referrals.earning.birthdays import birthday_month_day, birthdays_send
from referrals.models import EarningSettings
from sandbox.bigcommerce import world as bc_world
from sandbox.friendbuy import world as fb_world

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = date(2026, 5, 17)


def _birthdays(merchant):
    return [e for e in fb_world.events(merchant, "custom") if e["eventType"] == "birthday"]


def test_a_birthday_in_the_named_form_field_earns_once_a_year(lc_store, lc_merchant):
    EarningSettings.objects.create(store=lc_store, birthday_enabled=True, birthday_field="Birthday")
    ada = bc_world.create_customer(lc_store.store_hash, email="ada@example.com")
    bo = bc_world.create_customer(lc_store.store_hash, email="bo@example.com")
    bc_world.set_customer_form_field(lc_store.store_hash, ada["id"], name="Birthday", value="1990-05-17")
    bc_world.set_customer_form_field(lc_store.store_hash, bo["id"], name="Birthday", value="1990-05-18")
    assert birthdays_send(store=lc_store, today=TODAY) == 1
    birthdays_send(store=lc_store, today=TODAY)
    sent = _birthdays(lc_merchant)
    assert [(e["email"], e["deduplicationId"]) for e in sent] == [
        ("ada@example.com", f"birthday:{ada['id']}:2026")]


def test_the_attribute_of_that_name_is_read_when_no_form_field_has_it(lc_store, lc_merchant):
    EarningSettings.objects.create(store=lc_store, birthday_enabled=True, birthday_field="dob")
    ada = bc_world.create_customer(lc_store.store_hash, email="ada@example.com")
    bc_world.set_customer_attribute(lc_store.store_hash, ada["id"], name="dob", value="05/17/1990")
    assert birthdays_send(store=lc_store, today=TODAY) == 1 and len(_birthdays(lc_merchant)) == 1


def test_switched_off_sends_nothing(lc_store, lc_merchant):
    EarningSettings.objects.create(store=lc_store, birthday_enabled=False, birthday_field="Birthday")
    ada = bc_world.create_customer(lc_store.store_hash, email="ada@example.com")
    bc_world.set_customer_form_field(lc_store.store_hash, ada["id"], name="Birthday", value="1990-05-17")
    assert birthdays_send(store=lc_store, today=TODAY) == 0 and _birthdays(lc_merchant) == []


def test_birthday_formats_are_read_and_nonsense_is_not():
    assert birthday_month_day("1990-05-17") == (5, 17) and birthday_month_day("17.05.1990") == (5, 17)
    assert birthday_month_day("05-17") == (5, 17) and birthday_month_day("13/40/1990") is None
    assert birthday_month_day("soon") is None and birthday_month_day(None) is None
