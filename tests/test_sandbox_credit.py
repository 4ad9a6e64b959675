"""The fake BigCommerce's store credit and gift certificates refuse what BigCommerce refuses, through the
app's own client (customers.v3 store_credit_amounts, marketing.v2 gift certificates)."""

from datetime import timedelta
from decimal import Decimal
from email.utils import format_datetime

import pytest
from django.utils import timezone

from sandbox.bigcommerce import credit, world
from storefront.bigcommerce import BigCommerceConflict, BigCommerceInvalid, BigCommerceNotFound

pytestmark = pytest.mark.django_db


def _certificate(**fields):
    return {"to_name": "Ada", "to_email": "ada@example.com", "from_name": "Shop", "from_email": "shop@example.com",
            "amount": "10.00", **fields}


def test_store_credit_comes_only_with_include_storecredit(bc_store, bc_client):
    customer = world.create_customer(bc_store.store_hash, email="ada@example.com")
    assert "store_credit_amounts" not in bc_client.get_customer(customer["id"])
    assert bc_client.get_store_credit(customer["id"]) == [Decimal("0")]
    assert bc_client.get_store_credit(customer["id"] + 999) is None


def test_store_credit_put_replaces_the_whole_value_and_refuses_a_negative_one(bc_store, bc_client):
    customer = world.create_customer(bc_store.store_hash, email="ada@example.com")
    bc_client.set_store_credit(customer["id"], [Decimal("12.50")])
    bc_client.set_store_credit(customer["id"], [Decimal("3.25")])
    assert world.store_credit(bc_store.store_hash, customer["id"]) == Decimal("3.25")
    with pytest.raises(BigCommerceInvalid) as refused:
        bc_client.set_store_credit(customer["id"], [Decimal("-1")])
    assert refused.value.status == 422
    assert world.store_credit(bc_store.store_hash, customer["id"]) == Decimal("3.25")


def test_a_checkout_spends_store_credit_and_never_past_the_balance(bc_store):
    customer = world.create_customer(bc_store.store_hash, email="ada@example.com")
    world.set_store_credit(bc_store.store_hash, customer["id"], "10.00")
    order = world.order_paid_with_store_credit(bc_store.store_hash, customer_id=customer["id"], credit_amount="4.00")
    assert order["store_credit_amount"] == "4.0000" and order["customer_id"] == customer["id"]
    assert world.store_credit(bc_store.store_hash, customer["id"]) == Decimal("6.00")
    with pytest.raises(credit.Refused):
        world.order_paid_with_store_credit(bc_store.store_hash, customer_id=customer["id"], credit_amount="7.00")


def test_gift_certificate_needs_the_five_fields_and_keeps_twenty_characters_of_its_code(bc_store, bc_client):
    with pytest.raises(BigCommerceInvalid):
        bc_client.create_gift_certificate({"to_email": "ada@example.com", "amount": "10"})
    created = bc_client.create_gift_certificate(_certificate(code="FB-ABCDEFGHJKLMNPQRSTUVWXYZ"))
    assert created["code"] == "FB-ABCDEFGHJKLMNPQRS" and created["status"] == "active"
    assert created["balance"] == "10.0000" and created["amount"] == Decimal("10.0000")
    assert bc_client.find_gift_certificate("FB-ABCDEFGHJKLMNPQRSTUVWXYZ")["id"] == created["id"]
    assert bc_client.find_gift_certificate("fb-abcdefghjklmnpqrs")["id"] == created["id"]
    assert bc_client.find_gift_certificate("OTHER") is None


def test_a_second_certificate_with_the_same_code_is_refused(bc_store, bc_client):
    bc_client.create_gift_certificate(_certificate(code="FB-SAME-CODE"))
    with pytest.raises(BigCommerceConflict):
        bc_client.create_gift_certificate(_certificate(code="fb-same-code"))
    assert len(list(bc_client.iter_gift_certificates())) == 1


def test_expiry_is_sent_as_rfc2822_answered_as_unix_time_and_expires(bc_store, bc_client):
    soon = timezone.now() + timedelta(days=30)
    created = bc_client.create_gift_certificate(_certificate(expiry_date=format_datetime(soon)))
    assert int(created["expiry_date"]) == int(soon.timestamp())
    with pytest.raises(BigCommerceInvalid):
        bc_client.create_gift_certificate(_certificate(expiry_date="2030-01-01"))
    past = bc_client.create_gift_certificate(_certificate(expiry_date=format_datetime(timezone.now() - timedelta(days=1))))
    assert past["status"] == "expired"
    with pytest.raises(credit.Refused):
        world.order_paid_with_gift_certificate(bc_store.store_hash, code=past["code"], amount="1.00",
                                               email="ada@example.com")


def test_update_needs_the_five_fields_and_a_disabled_certificate_can_not_be_spent(bc_store, bc_client):
    created = bc_client.create_gift_certificate(_certificate())
    with pytest.raises(BigCommerceInvalid):
        bc_client.update_gift_certificate(created["id"], {"status": "disabled"})
    world.order_paid_with_gift_certificate(bc_store.store_hash, code=created["code"], amount="4.00",
                                           email="ada@example.com")
    assert world.gift_certificate(bc_store.store_hash, created["code"])["balance"] == "6.0000"
    disabled = bc_client.update_gift_certificate(created["id"], _certificate(status="disabled"))
    assert disabled["status"] == "disabled" and disabled["balance"] == "6.0000"
    with pytest.raises(credit.Refused):
        world.order_paid_with_gift_certificate(bc_store.store_hash, code=created["code"], amount="1.00",
                                               email="ada@example.com")
    with pytest.raises(BigCommerceInvalid):
        bc_client.update_gift_certificate(created["id"], _certificate(balance="11.00"))
    bc_client.delete_gift_certificate(created["id"])
    with pytest.raises(BigCommerceNotFound):
        bc_client.get_gift_certificate(created["id"])
