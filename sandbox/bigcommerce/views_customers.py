"""Fake customers v3: GET with id:in / email:in and page meta; batch POST, PUT and DELETE?id:in=."""

from django.http import HttpRequest, HttpResponse

from . import credit, state
from .models import FakeCustomer, FakeStore
from .responses import (
    endpoint,
    id_list,
    json_response,
    no_content,
    page_and_limit,
    paginate,
    read_json,
    v3_error,
)
from .views_groups import no_such_group
from .world import create_customer, customer_payload

MAX_BATCH = 10


def _batch(request: HttpRequest) -> list[dict] | HttpResponse:
    body = read_json(request)
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        return v3_error(422, "The request body must be an array of customers.")
    if len(body) > MAX_BATCH:
        return v3_error(413, f"The request payload is too large. The maximum number of items is {MAX_BATCH}.")
    return body


@endpoint(version="v3", scope="store_v2_customers", methods=("GET", "POST", "PUT", "DELETE"))
def customers(request: HttpRequest, store: FakeStore) -> HttpResponse:
    if request.method == "POST":
        return _create(request, store)
    if request.method == "PUT":
        return _update(request, store)
    if request.method == "DELETE":
        ids = id_list(request, "id:in")
        if not ids:
            return v3_error(422, "The `id:in` was not valid.", {"id:in": "id:in is required"})
        FakeCustomer.objects.filter(store=store, pk__in=ids).delete()
        return no_content()
    found = FakeCustomer.objects.filter(store=store).order_by("id")
    includes = {part.strip() for part in request.GET.get("include", "").split(",")}
    ids = id_list(request, "id:in")
    if ids is not None:
        found = found.filter(pk__in=ids)
    emails = [e.strip().lower() for e in request.GET.get("email:in", "").split(",") if e.strip()]
    if emails:
        found = found.filter(email__in=emails)
    page, limit = page_and_limit(request)
    chunk, meta = paginate([_included(customer_payload(c), includes) for c in found], page=page, limit=limit)
    return json_response({"data": chunk, "meta": meta})


# Sub-resources the list shows only when `include` names them (customers.v3.yml getCustomers).
INCLUDED_ONLY = {"formfields": "form_fields", "attributes": "attributes", "storecredit": "store_credit_amounts"}


def _included(payload: dict, includes: set[str]) -> dict:
    for include, field in INCLUDED_ONLY.items():
        if include in includes:
            payload.setdefault(field, [])
        else:
            payload.pop(field, None)
    return payload


def _credit_problems(body: list[dict]) -> dict:
    """store_credit_amounts that BigCommerce would refuse, by field."""
    problems = {}
    for n, item in enumerate(body):
        if "store_credit_amounts" in item:
            try:
                item["store_credit_amounts"] = credit.store_credit_checked(item["store_credit_amounts"])
            except credit.Refused as exc:
                problems[f"{n}.{exc.field}"] = exc.message
    return problems


def _create(request: HttpRequest, store: FakeStore) -> HttpResponse:
    body = _batch(request)
    if isinstance(body, HttpResponse):
        return body
    errors = _credit_problems(body)
    for n, item in enumerate(body):
        for field in ("email", "first_name", "last_name"):
            if not item.get(field):
                errors[f"{n}.{field}"] = f"{field} is required"
        if (
            item.get("email")
            and FakeCustomer.objects.filter(store=store, email=str(item["email"]).lower()).exists()
        ):
            errors[f"{n}.email"] = f"The email address {item['email']} is already in use."
    if errors:
        return v3_error(422, "The Customer was not valid.", errors)
    created = []
    for item in body:
        fields = {
            k: v
            for k, v in item.items()
            if k
            not in (
                "email",
                "first_name",
                "last_name",
                "addresses",
                "attributes",
                "trigger_account_created_notification",
            )
        }
        created.append(
            create_customer(
                store.store_hash,
                email=item["email"],
                first_name=item["first_name"],
                last_name=item["last_name"],
                **fields,
            )
        )
    return json_response({"data": created, "meta": {}})


def _update(request: HttpRequest, store: FakeStore) -> HttpResponse:
    body = _batch(request)
    if isinstance(body, HttpResponse):
        return body
    refused = no_such_group(store, body)
    if refused is not None:
        return refused
    problems = _credit_problems(body)
    if problems:
        return v3_error(422, "The Customer was not valid.", problems)
    updated = []
    for n, item in enumerate(body):
        customer = FakeCustomer.objects.filter(store=store, pk=item.get("id") or 0).first()
        if customer is None:
            return v3_error(422, "The Customer was not valid.", {f"{n}.id": "customer not found"})
        customer.data.update({k: v for k, v in item.items() if k != "id"})
        customer.data["date_modified"] = state.iso(state.now())
        customer.email = str(customer.data.get("email", customer.email)).lower()
        customer.save(update_fields=["data", "email"])
        updated.append(_included(customer_payload(customer), set()))
    return json_response({"data": updated, "meta": {}})
