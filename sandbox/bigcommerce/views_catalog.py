"""Fake catalog products and product reviews (products_catalog.v3.yml): GET /v3/catalog/products and
GET|POST /v3/catalog/products/{product_id}/reviews.

What the real API refuses, this refuses: a token without the Products scope (403; a read takes
`store_v2_products_read_only`, a write `store_v2_products`), a product that does not exist (404), a review
without `title` or `date_reviewed` or with a status or rating outside the spec's lists (422), a `status`
filter other than 1 (approved) or 0 (pending) (422), `limit` over 250 (422). Query parameters the spec lists
but the fake does not model are refused (400) rather than ignored, so a filter the app relies on is never
silently dropped. A product without any review answers 204, as the spec says.
"""

from django.http import HttpRequest, HttpResponse

from .catalog import REVIEW_STATUSES, create_review, product_payload, review_payload
from .models import FakeProduct, FakeStore
from .responses import (
    BadRequest,
    endpoint,
    id_list,
    int_param,
    json_response,
    no_content,
    page_and_limit,
    paginate,
    read_json,
    v3_error,
)

PRODUCT_PARAMS = frozenset({"page", "limit", "id", "id:in", "id:not_in", "id:min", "id:max", "id:greater",
                            "id:less", "sort", "direction", "include_fields", "exclude_fields", "name"})
PRODUCT_SORTS = {"id": lambda p: p["id"], "name": lambda p: str(p.get("name") or ""),
                 "date_modified": lambda p: str(p.get("date_modified") or "")}
REVIEW_PARAMS = frozenset({"page", "limit", "status", "include_fields", "exclude_fields"})
REVIEW_STATUS_FILTER = {1: "approved", 0: "pending"}


def _refuse_unmodelled(request: HttpRequest, allowed: frozenset[str]) -> None:
    unknown = sorted(set(request.GET) - allowed)
    if unknown:
        raise BadRequest(v3_error(400, f"The sandbox does not model the query parameter(s) {', '.join(unknown)}."))


def _fields(request: HttpRequest, item: dict) -> dict:
    """include_fields: the id and the fields named; exclude_fields: all but those (never the id)."""
    include = [f for f in request.GET.get("include_fields", "").split(",") if f.strip()]
    exclude = {f.strip() for f in request.GET.get("exclude_fields", "").split(",") if f.strip()} - {"id"}
    if include:
        item = {k: v for k, v in item.items() if k == "id" or k in include}
    return {k: v for k, v in item.items() if k not in exclude}


@endpoint(version="v3", scope="store_v2_products", methods=("GET",))
def products(request: HttpRequest, store: FakeStore) -> HttpResponse:
    _refuse_unmodelled(request, PRODUCT_PARAMS)
    found = FakeProduct.objects.filter(store=store).prefetch_related("reviews").order_by("id")
    for name, lookup in (("id", "pk"), ("id:min", "pk__gte"), ("id:max", "pk__lte"), ("id:greater", "pk__gt"),
                         ("id:less", "pk__lt")):
        value = int_param(request, name)
        if value is not None:
            found = found.filter(**{lookup: value})
    ids, not_ids = id_list(request, "id:in"), id_list(request, "id:not_in")
    if ids is not None:
        found = found.filter(pk__in=ids)
    if not_ids is not None:
        found = found.exclude(pk__in=not_ids)
    if request.GET.get("name"):
        found = found.filter(data__name=request.GET["name"])
    sort, direction = request.GET.get("sort", "id"), request.GET.get("direction", "asc")
    if sort not in PRODUCT_SORTS or direction not in ("asc", "desc"):
        return v3_error(422, "The filter(s) are invalid.", {"sort": "must be one of the documented fields"})
    items = sorted((product_payload(p) for p in found), key=PRODUCT_SORTS[sort], reverse=direction == "desc")
    page, limit = page_and_limit(request)
    chunk, meta = paginate([_fields(request, item) for item in items], page=page, limit=limit)
    return json_response({"data": chunk, "meta": meta})


@endpoint(version="v3", scope="store_v2_products", methods=("GET", "POST"))
def product_reviews(request: HttpRequest, store: FakeStore, product_id: int) -> HttpResponse:
    product = FakeProduct.objects.filter(store=store, pk=product_id).first()
    if product is None:
        return v3_error(404, "The product ID does not exist.")
    if request.method == "POST":
        return _review_create(request, product)
    _refuse_unmodelled(request, REVIEW_PARAMS)
    reviews = list(product.reviews.order_by("id"))
    if not reviews:
        return no_content()
    status = int_param(request, "status")
    if status is not None and status not in REVIEW_STATUS_FILTER:
        return v3_error(422, "The filter(s) are invalid.", {"status": "must be 1 (approved) or 0 (pending)"})
    if status is not None:
        reviews = [r for r in reviews if r.status == REVIEW_STATUS_FILTER[status]]
    page, limit = page_and_limit(request)
    chunk, meta = paginate([_fields(request, review_payload(r)) for r in reviews], page=page, limit=limit)
    return json_response({"data": chunk, "meta": meta})


def _review_create(request: HttpRequest, product: FakeProduct) -> HttpResponse:
    body = read_json(request)
    if not isinstance(body, dict):
        return v3_error(422, "JSON data is missing or invalid")
    errors = {name: "error.path.missing" for name in ("title", "date_reviewed") if not body.get(name)}
    status = str(body.get("status") or "pending")
    if status not in REVIEW_STATUSES:
        errors["status"] = "must be one of approved, disapproved or pending"
    rating = body.get("rating", 0)
    if not isinstance(rating, int) or not 0 <= rating <= 5:
        errors["rating"] = "must be one of 0, 1, 2, 3, 4, 5"
    email = str(body.get("email") or "")
    if email and "@" not in email:
        errors["email"] = "must be a valid email, or an empty string"
    if errors:
        return v3_error(422, "The Product Review was not valid.", errors)
    created = create_review(product, title=str(body["title"])[:255], date_reviewed=str(body["date_reviewed"]),
                            status=status, text=str(body.get("text") or ""), rating=rating, email=email,
                            name=str(body.get("name") or "")[:255])
    return json_response({"data": created, "meta": {}})
