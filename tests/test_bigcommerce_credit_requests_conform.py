"""Store credit and gift certificate requests conform to customers.v3.yml and marketing.v2.yml.

The client's calls, and every request of the reward journeys that use them (a credit deposit, a guest's
gift certificate, a gift card, and the reversal of each on refund).
"""

from datetime import timedelta
from decimal import Decimal
from email.utils import format_datetime

import pytest
from django.utils import timezone

from referrals.models import Reward
from referrals.orders.sync import order_sync
from sandbox.bigcommerce import world
from storefront.clients import bigcommerce_for
from tests.test_bigcommerce_requests_conform import _report, bigcommerce_requests, checked  # noqa: F401

pytestmark = pytest.mark.usefixtures("require_specs")


@pytest.mark.django_db
def test_store_credit_and_gift_certificate_calls_conform(bc_store, bigcommerce_requests):  # noqa: F811
    client = bigcommerce_for(bc_store)
    customer = world.create_customer(bc_store.store_hash, email="ada@example.com")
    client.get_store_credit(customer["id"])
    client.set_store_credit(customer["id"], [Decimal("10.00")])
    created = client.create_gift_certificate({
        "to_name": "Ada", "to_email": "ada@example.com", "from_name": "Shop", "from_email": "shop@example.com",
        "amount": "10.00", "code": "FB-CONFORM", "expiry_date": format_datetime(timezone.now() + timedelta(days=9)),
        "currency_code": "USD", "message": "Thanks for referring a friend",
    })
    client.find_gift_certificate("FB-CONFORM")
    client.get_gift_certificate(created["id"])
    list(client.iter_gift_certificates(to_email="ada@example.com"))
    client.update_gift_certificate(created["id"], {
        "to_name": "Ada", "to_email": "ada@example.com", "from_name": "Shop", "from_email": "shop@example.com",
        "amount": "10.00", "status": "disabled",
    })
    client.delete_gift_certificate(created["id"])
    list(client.iter_orders(customer_id=customer["id"], min_date_created=timezone.now() - timedelta(minutes=5)))

    found = checked(bigcommerce_requests)
    assert not any(found.values()), "Requests that break BigCommerce's OpenAPI files:\n" + _report(found)
    assert set(found) == {
        "GET /customers (customers.v3.yml)", "PUT /customers (customers.v3.yml)",
        "POST /gift_certificates (marketing.v2.yml)", "GET /gift_certificates (marketing.v2.yml)",
        "GET /gift_certificates/{id} (marketing.v2.yml)", "PUT /gift_certificates/{id} (marketing.v2.yml)",
        "DELETE /gift_certificates/{id} (marketing.v2.yml)", "GET /orders (orders.v2.oas2.yml)",
    }


@pytest.mark.django_db(transaction=True)
def test_every_request_of_the_credit_and_gift_card_journeys_conforms(friendbuy, reward_store,
                                                                       bigcommerce_requests):  # noqa: F811
    ada = world.create_customer(reward_store.store_hash, email="ada@example.com", first_name="Ada")
    order = world.create_order(reward_store.store_hash, email="fred@example.com", status_id=11)
    order_sync(store=reward_store, order_id=order["id"])
    friendbuy.reward(amount="10.00", reward_type="credit", customer_id=str(ada["id"]), orderId=str(order["id"]))
    friendbuy.reward(amount="10.00", reward_type="credit", customer_id="guest-1", email="gus@example.com",
                     orderId=str(order["id"]))
    friendbuy.reward(amount="25.00", reward_type="giftCard", orderId=str(order["id"]))
    world.refund_order(reward_store.store_hash, order["id"])
    order_sync(store=reward_store, order_id=order["id"])
    assert set(Reward.objects.values_list("state", flat=True)) == {"revoked"}

    found = checked(bigcommerce_requests)
    assert not any(found.values()), "Requests that break BigCommerce's OpenAPI files:\n" + _report(found)
    assert {"PUT /customers (customers.v3.yml)", "POST /gift_certificates (marketing.v2.yml)",
            "PUT /gift_certificates/{id} (marketing.v2.yml)", "GET /gift_certificates/{id} (marketing.v2.yml)",
            "GET /gift_certificates (marketing.v2.yml)", "GET /customers (customers.v3.yml)"} <= set(found)
