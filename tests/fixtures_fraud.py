"""Fixtures for fraud: a store known to both fakes (committed transactions, so order events fire), Subject
builders for rule tests, and a staff user for the review queue."""
from decimal import Decimal

import pytest

from fraud import normalise
from fraud.models import Assessment
from fraud.subjects import Person, Subject
from referrals.orders.identity import normalize_email


@pytest.fixture
def fraud_store(reward_store, settings):
    settings.SANDBOX_ENABLED = True
    return reward_store


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("reviewer", "reviewer@example.com", "pw")
    client.force_login(user)
    client.user = user
    return client


def person(*, email="", customer_id="", ip="", ua="", device="", address=None, shipping=None, payment="") -> Person:
    """A Person as referrals.screening builds it (same email normaliser, same address hashing)."""
    key = customer_id or (f"guest-{normalize_email(email)}" if email else "")
    shipping = shipping if shipping is not None else address
    return Person(
        customer_key=key, bc_customer_id=customer_id, email=email, email_normalized=normalize_email(email),
        ip=ip, user_agent=ua, device_id=device, billing_address_hash=normalise.address_hash(address),
        shipping_address_hashes=tuple(h for h in [normalise.address_hash(shipping)] if h),
        payment_fingerprint=payment, address_display=normalise.address_text(address),
    )


def conversion(reference: str, who: Person, advocate: Person | None = None, **kwargs) -> Subject:
    kwargs.setdefault("amount", Decimal("50"))
    return Subject(subject_type=Assessment.SubjectType.CONVERSION, reference=reference, who=who, advocate=advocate,
                   bc_order_id=int(reference) if reference.isdigit() else None, **kwargs)


@pytest.fixture(autouse=False)
def fraud_cache_clear():
    """Fraud caches each store's rule settings; test databases reuse store ids, so start each test clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
