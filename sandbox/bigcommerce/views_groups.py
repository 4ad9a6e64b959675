"""Fake customer groups (v2 /customer_groups), newsletter subscribers (v3 /customers/subscribers) and the
customer form-field values and attributes (v3) a merchant's birthday field lives in.

What the real API refuses, this refuses: a token without the Customers scope (403, every endpoint here),
a group id that does not exist (404), a second group or subscriber with the same name or email (409), a
subscriber without an email (422), filters that are not integers (422); an empty v2 list answers 204
like the v2 orders.
"""

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from .groups import attribute_payload, create_group, create_subscriber, group_payload, subscriber_payload
from .models import FakeCustomer, FakeCustomerAttribute, FakeCustomerGroup, FakeStore, FakeSubscriber
from .responses import (
    endpoint,
    id_list,
    int_param,
    json_response,
    page_and_limit,
    paginate,
    read_json,
    v2_error,
    v3_error,
)
from .views_orders import v2_list_response

V2_NOT_FOUND = "The requested resource was not found."


# --- customer groups (customers.v2.yml) -------------------------------------------------------------


@endpoint(version="v2", scope="store_v2_customers", methods=("GET", "POST"))
def customer_groups(request: HttpRequest, store: FakeStore) -> HttpResponse:
    if request.method == "POST":
        body = read_json(request, version="v2")
        if not isinstance(body, dict) or not str(body.get("name") or "").strip():
            return v2_error(400, "The field 'name' is required.")
        try:
            with transaction.atomic():
                group = create_group(store, name=str(body["name"]).strip(), is_default=bool(body.get("is_default")),
                                     discount_rules=body.get("discount_rules"))
        except IntegrityError:
            return v2_error(409, f"A customer group named {body['name']!r} already exists.")
        return json_response(group, 201)
    found = FakeCustomerGroup.objects.filter(store=store).order_by("id")
    name = request.GET.get("name")
    if name:
        found = found.filter(name=name)
    if request.GET.get("name:like"):
        found = found.filter(name__icontains=request.GET["name:like"])
    return v2_list_response([group_payload(group) for group in found], request)


@endpoint(version="v2", scope="store_v2_customers", methods=("GET",))
def customer_group_detail(request: HttpRequest, store: FakeStore, customer_group_id: int) -> HttpResponse:
    group = FakeCustomerGroup.objects.filter(store=store, pk=customer_group_id).first()
    if group is None:
        return v2_error(404, V2_NOT_FOUND)
    return json_response(group_payload(group))


@endpoint(version="v2", scope="store_v2_customers", methods=("GET",))
def customer_groups_count(request: HttpRequest, store: FakeStore) -> HttpResponse:
    return json_response({"count": FakeCustomerGroup.objects.filter(store=store).count()})


def group_exists(store: FakeStore, group_id) -> bool:
    """0 is "no group" (the store's default pricing); any other id must be a group of the store."""
    try:
        group_id = int(group_id)
    except (TypeError, ValueError):
        return False
    return group_id == 0 or FakeCustomerGroup.objects.filter(store=store, pk=group_id).exists()


# --- subscribers (subscribers.v3.yml) --------------------------------------------------------------------


@endpoint(version="v3", scope="store_v2_customers", methods=("GET", "POST"))
def subscribers(request: HttpRequest, store: FakeStore) -> HttpResponse:
    if request.method == "POST":
        body = read_json(request)
        if not isinstance(body, dict) or not str(body.get("email") or "").strip():
            return v3_error(422, "JSON data is missing or invalid", {"email": "error.path.missing"})
        try:
            with transaction.atomic():
                created = create_subscriber(
                    store, email=str(body["email"]).strip(), first_name=str(body.get("first_name") or ""),
                    last_name=str(body.get("last_name") or ""), source=str(body.get("source") or "custom"),
                    order_id=body.get("order_id"), channel_id=int(body.get("channel_id") or 1),
                )
        except IntegrityError:
            return v3_error(409, "The subscriber already exists.", {"email": "duplicate"})
        return json_response({"data": created, "meta": {}})
    found = FakeSubscriber.objects.filter(store=store).order_by("id")
    ids = id_list(request, "id:in")
    if ids is not None:
        found = found.filter(pk__in=ids)
    if request.GET.get("email"):
        found = found.filter(email__in=[e.strip().lower() for e in request.GET["email"].split(",")])
    page, limit = page_and_limit(request)
    chunk, meta = paginate([subscriber_payload(s) for s in found], page=page, limit=limit)
    return json_response({"data": chunk, "meta": meta})


@endpoint(version="v3", scope="store_v2_customers", methods=("GET",))
def subscriber_detail(request: HttpRequest, store: FakeStore, subscriber_id: int) -> HttpResponse:
    subscriber = FakeSubscriber.objects.filter(store=store, pk=subscriber_id).first()
    if subscriber is None:
        return v3_error(404, "The subscriber was not found.")
    return json_response({"data": subscriber_payload(subscriber), "meta": {}})


# --- form-field values and attributes (customers.v3.yml) -------------------------------------------------


@endpoint(version="v3", scope="store_v2_customers", methods=("GET",))
def form_field_values(request: HttpRequest, store: FakeStore) -> HttpResponse:
    """Customer form-field values ({name, value, customer_id}); address fields are not modelled."""
    customer_id = int_param(request, "customer_id")
    field_name = request.GET.get("field_name")
    found = FakeCustomer.objects.filter(store=store).order_by("id")
    if customer_id is not None:
        found = found.filter(pk=customer_id)
    values = [
        {"name": field["name"], "value": field["value"], "customer_id": customer.pk}
        for customer in found
        for field in customer.data.get("form_fields") or []
        if field_name in (None, "", field.get("name"))
    ]
    page, limit = page_and_limit(request)
    chunk, meta = paginate(values, page=page, limit=limit)
    return json_response({"data": chunk, "meta": meta})


@endpoint(version="v3", scope="store_v2_customers", methods=("GET",))
def customer_attributes(request: HttpRequest, store: FakeStore) -> HttpResponse:
    found = FakeCustomerAttribute.objects.filter(store=store).order_by("id")
    if request.GET.get("name"):
        found = found.filter(name=request.GET["name"])
    if request.GET.get("name:like"):
        found = found.filter(name__icontains=request.GET["name:like"])
    page, limit = page_and_limit(request)
    chunk, meta = paginate([attribute_payload(a) for a in found], page=page, limit=limit)
    return json_response({"data": chunk, "meta": meta})


@endpoint(version="v3", scope="store_v2_customers", methods=("GET",))
def attribute_values(request: HttpRequest, store: FakeStore) -> HttpResponse:
    attribute_ids, customer_ids = id_list(request, "attribute_id:in"), id_list(request, "customer_id:in")
    found = FakeCustomer.objects.filter(store=store).order_by("id")
    if customer_ids is not None:
        found = found.filter(pk__in=customer_ids)
    values = [
        {**value, "customer_id": customer.pk}
        for customer in found
        for value in customer.data.get("attributes") or []
        if attribute_ids is None or int(value.get("attribute_id") or 0) in attribute_ids
    ]
    page, limit = page_and_limit(request)
    chunk, meta = paginate(values, page=page, limit=limit)
    return json_response({"data": chunk, "meta": meta})


def no_such_group(store: FakeStore, items: list[dict]) -> HttpResponse | None:
    """The 422 PUT /v3/customers answers when an item names a customer group the store lacks."""
    errors = {f"{n}.customer_group_id": "The customer group does not exist."
              for n, item in enumerate(items)
              if "customer_group_id" in item and not group_exists(store, item["customer_group_id"])}
    return v3_error(422, "The Customer was not valid.", errors) if errors else None

