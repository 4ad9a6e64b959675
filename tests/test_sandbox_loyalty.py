"""The fake BigCommerce's customer groups, subscribers, form fields and attributes answer as the published
files say and refuse what BigCommerce refuses (unknown group ids, duplicates, missing emails)."""

import pytest

from sandbox.bigcommerce import world
from storefront.bigcommerce import BigCommerceInvalid
from tests.test_sandbox_bigcommerce import spec_keys

pytestmark = pytest.mark.django_db


def _get(client, store, path, **params):
    return client.get(f"/sandbox/bigcommerce/stores/{store.store_hash}{path}", params,
                      HTTP_X_AUTH_TOKEN=store.access_token)


def test_customer_groups_list_as_v2_answers_and_an_empty_list_is_204(client, bc_store, bc_client):
    assert _get(client, bc_store, "/v2/customer_groups").status_code == 204
    gold = world.create_customer_group(bc_store.store_hash, name="Gold")
    groups = list(bc_client.iter_customer_groups())
    assert [g["name"] for g in groups] == ["Gold"]
    required, props = spec_keys("customers.v2.yml", "customerGroup_Full")
    assert set(groups[0]) <= props | {"date_created", "date_modified"} and required <= set(groups[0])
    assert _get(client, bc_store, f"/v2/customer_groups/{gold['id']}").json()["name"] == "Gold"
    assert _get(client, bc_store, "/v2/customer_groups/999").status_code == 404


def test_a_second_group_of_the_same_name_is_refused(client, bc_store):
    world.create_customer_group(bc_store.store_hash, name="Gold")
    answer = client.post(f"/sandbox/bigcommerce/stores/{bc_store.store_hash}/v2/customer_groups",
                         '{"name": "Gold"}', content_type="application/json", HTTP_X_AUTH_TOKEN=bc_store.access_token)
    assert answer.status_code == 409


def test_moving_a_customer_into_a_group_the_store_lacks_is_422_and_changes_nothing(bc_store, bc_client):
    customer = world.create_customer(bc_store.store_hash, email="ada@example.com")
    with pytest.raises(BigCommerceInvalid):
        bc_client.set_customer_group(customer["id"], 4242)
    assert world.customer_group_of(bc_store.store_hash, customer["id"]) == 0
    gold = world.create_customer_group(bc_store.store_hash, name="Gold")
    assert bc_client.set_customer_group(customer["id"], gold["id"])["customer_group_id"] == gold["id"]
    assert world.customer_group_of(bc_store.store_hash, customer["id"]) == gold["id"]
    bc_client.set_customer_group(customer["id"], 0)
    assert world.customer_group_of(bc_store.store_hash, customer["id"]) == 0


def test_subscriber_is_read_by_id_and_a_missing_one_is_none(client, bc_store, bc_client):
    subscriber, _ = world.subscribe_newsletter(bc_store.store_hash, email="Nia@Example.com", first_name="Nia")
    found = bc_client.get_subscriber(subscriber["id"])
    assert found["email"] == "Nia@Example.com" and found["consents"] == ["marketing_newsletter"]
    _, props = spec_keys("subscribers.v3.yml", "subscriber_Full")
    assert set(found) <= props
    assert bc_client.get_subscriber(999) is None
    duplicate = client.post(f"/sandbox/bigcommerce/stores/{bc_store.store_hash}/v3/customers/subscribers",
                            '{"email": "nia@example.com"}', content_type="application/json",
                            HTTP_X_AUTH_TOKEN=bc_store.access_token)
    assert duplicate.status_code == 409
    missing = client.post(f"/sandbox/bigcommerce/stores/{bc_store.store_hash}/v3/customers/subscribers",
                          '{"first_name": "X"}', content_type="application/json", HTTP_X_AUTH_TOKEN=bc_store.access_token)
    assert missing.status_code == 422


def test_form_fields_and_attributes_show_only_when_included_and_are_listed_by_name(client, bc_store, bc_client):
    customer = world.create_customer(bc_store.store_hash, email="ada@example.com")
    other = world.create_customer(bc_store.store_hash, email="bo@example.com")
    world.set_customer_form_field(bc_store.store_hash, customer["id"], name="Birthday", value="1990-05-17")
    world.set_customer_form_field(bc_store.store_hash, other["id"], name="Colour", value="blue")
    attribute_id = world.set_customer_attribute(bc_store.store_hash, other["id"], name="birthday", value="05/18")
    plain = _get(client, bc_store, "/v3/customers", **{"id:in": customer["id"]}).json()["data"][0]
    assert "form_fields" not in plain and "attributes" not in plain
    full = _get(client, bc_store, "/v3/customers", **{"id:in": customer["id"], "include": "formfields"}).json()
    assert full["data"][0]["form_fields"] == [{"name": "Birthday", "value": "1990-05-17"}]
    assert list(bc_client.iter_form_field_values(field_name="Birthday")) == [
        {"name": "Birthday", "value": "1990-05-17", "customer_id": customer["id"]}]
    assert bc_client.find_customer_attribute("birthday")["id"] == attribute_id
    values = list(bc_client.iter_attribute_values(attribute_id=attribute_id))
    assert [(v["customer_id"], v["attribute_value"]) for v in values] == [(other["id"], "05/18")]
    assert bc_client.find_customer_attribute("nothing") is None
