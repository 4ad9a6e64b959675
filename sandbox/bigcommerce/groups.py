"""Documents of the fake's customer groups, subscribers and customer attributes, as the API answers them."""

from . import state
from .models import FakeCustomerAttribute, FakeCustomerGroup, FakeStore, FakeSubscriber


def group_payload(group: FakeCustomerGroup) -> dict:
    return {"id": group.pk, "name": group.name, **group.data}


def create_group(store: FakeStore, *, name: str, is_default: bool = False, discount_rules=None) -> dict:
    group = FakeCustomerGroup.objects.create(
        store=store,
        name=name,
        data={
            "is_default": is_default,
            "category_access": {"type": "all"},
            "discount_rules": list(discount_rules or []),
            "is_group_for_guests": False,
            "date_created": state.rfc2822(state.now()),
            "date_modified": state.rfc2822(state.now()),
        },
    )
    return group_payload(group)


def subscriber_payload(subscriber: FakeSubscriber) -> dict:
    return {"id": subscriber.pk, **subscriber.data}


def create_subscriber(store: FakeStore, *, email: str, first_name: str = "", last_name: str = "",
                      source: str = "storefront", order_id: int | None = None, channel_id: int = 1) -> dict:
    stamp = state.iso(state.now())
    subscriber = FakeSubscriber.objects.create(
        store=store,
        email=email.lower(),
        data={
            "email": email, "first_name": first_name, "last_name": last_name, "source": source,
            "order_id": order_id, "channel_id": channel_id, "consents": ["marketing_newsletter"],
            "date_created": stamp, "date_modified": stamp,
        },
    )
    return subscriber_payload(subscriber)


def attribute_payload(attribute: FakeCustomerAttribute) -> dict:
    stamp = state.iso(attribute.created_at)
    return {"id": attribute.pk, "name": attribute.name, "type": attribute.type, "date_created": stamp,
            "date_modified": stamp}
