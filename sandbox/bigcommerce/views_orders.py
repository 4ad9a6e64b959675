"""Fake v2 orders (bare JSON, page/limit, 204 when empty, consignments included on request) and v3
transactions and refunds."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from storefront.bigcommerce import parse_rfc2822

from . import state
from .models import FakeOrder, FakeRefund, FakeStore
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
    v2_error,
    v3_error,
)

V2_NOT_FOUND = "The requested resource was not found."


def _v2_page(request: HttpRequest) -> tuple[int, int]:
    page = int_param(request, "page", 1, version="v2") or 1
    limit = int_param(request, "limit", 50, version="v2") or 50
    if page < 1 or limit < 1 or limit > 250:
        raise BadRequest(v2_error(400, "The field 'limit' is invalid (1-250)."))
    return page, limit


def v2_list_response(items: list, request: HttpRequest) -> HttpResponse:
    page, limit = _v2_page(request)
    chunk = items[(page - 1) * limit : page * limit]
    return json_response(chunk) if chunk else no_content()


def _date_param(request: HttpRequest, name: str) -> datetime | None:
    raw = request.GET.get(name)
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw[:4].isdigit() else parse_rfc2822(raw)
    except (TypeError, ValueError):
        raise BadRequest(v2_error(400, f"The field '{name}' is invalid.")) from None


# orders.v2.oas2.yml getOrders / getOrdersCount query parameters. BigCommerce documents no answer to an
# unknown one; the sandbox refuses it (400), so a filter the app relies on is never silently ignored.
ORDER_FILTERS = frozenset({
    "min_id", "max_id", "min_total", "max_total", "customer_id", "email", "status_id", "cart_id",
    "payment_method", "min_date_created", "max_date_created", "min_date_modified", "max_date_modified",
    "channel_id", "external_order_id",
})
LIST_ONLY = frozenset({"page", "limit", "sort", "include", "consignment_structure"})
SORTS = ("id", "customer_id", "date_created", "date_modified", "status_id", "channel_id", "external_id")


def _refuse_unknown(request: HttpRequest, allowed: frozenset[str]) -> None:
    unknown = sorted(set(request.GET) - allowed)
    if unknown:
        raise BadRequest(v2_error(400, f"The filter '{unknown[0]}' is not a supported query parameter."))


def _money_param(request: HttpRequest, name: str) -> Decimal | None:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise BadRequest(v2_error(400, f"The field '{name}' is invalid.")) from None


def _sort_key(request: HttpRequest) -> tuple[str, bool]:
    """(field, descending) from `sort`: one of the spec's fields, optionally with :asc or :desc."""
    field, _, direction = request.GET.get("sort", "id").partition(":")
    if field not in SORTS or direction not in ("", "asc", "desc"):
        raise BadRequest(v2_error(400, "The field 'sort' is invalid."))
    return field, direction == "desc"


def _filtered_orders(request: HttpRequest, store: FakeStore, *, listing: bool = True) -> list[FakeOrder]:
    _refuse_unknown(request, ORDER_FILTERS | LIST_ONLY if listing else ORDER_FILTERS)
    orders = FakeOrder.objects.filter(store=store)
    min_id, max_id = int_param(request, "min_id", version="v2"), int_param(request, "max_id", version="v2")
    if min_id is not None:
        orders = orders.filter(order_id__gte=min_id)
    if max_id is not None:
        orders = orders.filter(order_id__lte=max_id)
    found = list(orders.order_by("order_id"))
    equal_ints = {
        name: value
        for name in ("status_id", "customer_id", "channel_id")
        if (value := int_param(request, name, version="v2")) is not None
    }
    equal_texts = {
        name: request.GET[name].strip().lower()
        for name in ("cart_id", "payment_method", "external_order_id")
        if request.GET.get(name)
    }
    email = request.GET.get("email", "").strip().lower()
    min_total, max_total = _money_param(request, "min_total"), _money_param(request, "max_total")
    ranges = {
        field: (_date_param(request, f"min_{field}"), _date_param(request, f"max_{field}"))
        for field in ("date_created", "date_modified")
    }
    field, descending = _sort_key(request) if listing else ("id", False)
    selected = []
    for order in found:
        data = order.data
        if any(int(data.get(name) or 0) != value for name, value in equal_ints.items()):
            continue
        if any(str(data.get(name) or "").lower() != value for name, value in equal_texts.items()):
            continue
        if email and data["billing_address"].get("email", "").lower() != email:
            continue
        total = Decimal(str(data.get("total_inc_tax") or 0))
        if (min_total is not None and total < min_total) or (max_total is not None and total > max_total):
            continue
        outside = False
        for name, (low, high) in ranges.items():
            when = parse_rfc2822(data.get(name) or data["date_created"])
            outside = outside or bool((low and when < low) or (high and when > high))
        if outside:
            continue
        selected.append(order)
    if field != "id":
        selected.sort(key=lambda o: (_sortable(o.data, field), o.order_id))
    if descending:
        selected.reverse()
    return selected


def _sortable(data: dict, field: str):
    value = data.get(field)
    if field.startswith("date_"):
        return parse_rfc2822(value)
    return value if value is not None else ""


def _order(store: FakeStore, order_id: int) -> FakeOrder:
    order = FakeOrder.objects.filter(store=store, order_id=order_id).first()
    if order is None:
        raise BadRequest(v2_error(404, V2_NOT_FOUND))
    return order


def _found(found: dict | None) -> dict:
    """The order fields endpoint(order_fields=…) read with the store, or the v2 404 when there is no order."""
    if found is None:
        raise BadRequest(v2_error(404, V2_NOT_FOUND))
    return found


@endpoint(version="v2", scope="store_v2_orders", methods=("GET",))
def orders(request: HttpRequest, store: FakeStore) -> HttpResponse:
    page, limit = _v2_page(request)
    chunk = _filtered_orders(request, store)[(page - 1) * limit : page * limit]
    if not chunk:
        return no_content()
    if not _consignments_asked(request):
        return json_response([order.data for order in chunk])
    # The list takes the same includes as one order (orders.v2 getOrders: order_includes).
    return json_response(
        [
            {
                **order.data,
                "consignments": _consignments(
                    request,
                    store,
                    order.order_id,
                    {"data": order.data, "products": order.products, "shipping_addresses": order.shipping_addresses},
                ),
            }
            for order in chunk
        ]
    )


@endpoint(version="v2", scope="store_v2_orders", methods=("GET",))
def orders_count(request: HttpRequest, store: FakeStore) -> HttpResponse:
    found = _filtered_orders(request, store, listing=False)
    statuses = [
        {
            "id": sid,
            "name": state.STATUS_NAMES[sid],
            "system_label": state.STATUS_NAMES[sid],
            "custom_label": state.STATUS_NAMES[sid],
            "system_description": state.STATUS_NAMES[sid],
            "count": sum(1 for o in found if o.data["status_id"] == sid),
            "sort_order": n,
        }
        for n, sid in enumerate(state.STATUS_SORT)
    ]
    return json_response({"statuses": statuses, "count": len(found)})


def _includes(request: HttpRequest) -> set[str]:
    """The values of `include`, one comma list (order_includes)."""
    return {part.strip() for part in request.GET.get("include", "").split(",")}


def _consignments_asked(request: HttpRequest) -> bool:
    return request.method == "GET" and bool(_includes(request) & {"consignments", "consignments.line_items"})


def _in_object_structure(request: HttpRequest) -> bool:
    return _consignments_asked(request) and request.GET.get("consignment_structure") == "object"


def _order_detail_fields(request: HttpRequest) -> tuple[str, ...]:
    return ("data", "products", "shipping_addresses") if _in_object_structure(request) else ("data",)


def _consignments(request: HttpRequest, store: FakeStore, order_id: int, found: dict) -> dict:
    api_base = f"{settings.BIGCOMMERCE_API_URL}/stores/{store.store_hash}/v2"
    if not _in_object_structure(request):
        # The spec documents the object structure only (consignment_structure=object); asked without it,
        # the fake answers the link to the consignments (orderConsignments_Resource) rather than make up
        # BigCommerce's undocumented legacy structure.
        resource = f"/orders/{order_id}/consignments"
        return {"url": f"{api_base}{resource}", "resource": resource}
    return state.consignments(
        order=found["data"],
        products=found["products"],
        shipping_addresses=found["shipping_addresses"],
        api_base=api_base,
        embed_line_items="consignments.line_items" in _includes(request),
    )


@endpoint(version="v2", scope="store_v2_orders", methods=("GET", "PUT"), order_fields=_order_detail_fields)
def order_detail(request: HttpRequest, store: FakeStore, order_id: int, found: dict | None) -> HttpResponse:
    if request.method != "PUT":
        data = _found(found)["data"]
        if not _consignments_asked(request):
            return json_response(data)
        return json_response({**data, "consignments": _consignments(request, store, order_id, found)})
    order = _order(store, order_id)
    body = read_json(request, version="v2")
    if not isinstance(body, dict):
        return v2_error(400, "The request body must be an object.")
    if "status_id" in body:
        if body["status_id"] not in state.STATUS_NAMES:
            return v2_error(400, "The field 'status_id' is invalid.")
        state.set_status(order, int(body["status_id"]))
    return json_response(order.data)


@endpoint(version="v2", scope="store_v2_orders", methods=("GET",), order_fields=("products",))
def order_products(request: HttpRequest, store: FakeStore, order_id: int, found: dict | None) -> HttpResponse:
    return v2_list_response(_found(found)["products"], request)


@endpoint(version="v2", scope="store_v2_orders", methods=("GET",), order_fields=("coupons",))
def order_coupons(request: HttpRequest, store: FakeStore, order_id: int, found: dict | None) -> HttpResponse:
    return v2_list_response(_found(found)["coupons"], request)


@endpoint(version="v2", scope="store_v2_orders", methods=("GET",), order_fields=("shipping_addresses",))
def order_shipping_addresses(
    request: HttpRequest, store: FakeStore, order_id: int, found: dict | None
) -> HttpResponse:
    return v2_list_response(_found(found)["shipping_addresses"], request)


# --- v3 -----------------------------------------------------------------------------------------


def _v3_order(store: FakeStore, order_id: int) -> FakeOrder:
    order = FakeOrder.objects.filter(store=store, order_id=order_id).first()
    if order is None:
        raise BadRequest(v3_error(404, f"Order {order_id} not found."))
    return order


@endpoint(version="v3", scope="store_v2_transactions", methods=("GET",), order_fields=("transactions",))
def order_transactions(
    request: HttpRequest, store: FakeStore, order_id: int, found: dict | None
) -> HttpResponse:
    if found is None:
        return v3_error(404, f"Order {order_id} not found.")
    transactions = found["transactions"]
    if not transactions:
        return no_content()
    total = len(transactions)
    return json_response(
        {
            "data": transactions,
            "meta": {
                "pagination": {
                    "total": total,
                    "count": total,
                    "per_page": 50,
                    "current_page": 1,
                    "total_pages": 1,
                    "links": {},
                }
            },
        }
    )


def _refund_error(status: int, title: str) -> HttpResponse:
    """Refund errors come wrapped in a data array (orders.v3.yml createOrderRefund 422)."""
    return json_response(
        {
            "data": [
                {
                    "status": status,
                    "title": title,
                    "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
                }
            ]
        },
        status,
    )


@endpoint(version="v3", scope=("store_v2_transactions", "store_v2_orders"), methods=("GET", "POST"))
def order_refunds(request: HttpRequest, store: FakeStore, order_id: int) -> HttpResponse:
    order = _v3_order(store, order_id)
    if request.method == "GET":
        refunds = FakeRefund.objects.filter(store=store, order_id=order.order_id).order_by("id")
        return json_response({"data": [state.refund_payload(r) for r in refunds], "meta": {}})
    body = read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("items"), list) or not body["items"]:
        return _refund_error(422, "JSON data is missing or invalid: items is required.")
    if not isinstance(body.get("payments"), list):
        return _refund_error(422, "JSON data is missing or invalid: payments is required.")
    if order.data.get("customer_id", 0) == 0 and any(
        p.get("provider_id") == "storecredit" for p in body["payments"]
    ):
        return _refund_error(422, "Unable to provide store credit for a guest customer.")
    try:
        refund = state.create_refund(
            order, items=body["items"], payments=body["payments"], reason=str(body.get("reason", ""))
        )
    except state.RefundRejected as exc:
        return _refund_error(422, str(exc))
    return json_response({"data": state.refund_payload(refund), "meta": {}}, 201)


@endpoint(version="v3", scope=("store_v2_transactions", "store_v2_orders"), methods=("GET",))
def refund_detail(request: HttpRequest, store: FakeStore, refund_id: int) -> HttpResponse:
    refund = FakeRefund.objects.filter(store=store, pk=refund_id).first()
    if refund is None:
        return v3_error(404, f"Refund {refund_id} not found.")
    return json_response({"data": state.refund_payload(refund), "meta": {}})


@endpoint(version="v3", scope=("store_v2_transactions", "store_v2_orders"), methods=("GET",))
def refunds(request: HttpRequest, store: FakeStore) -> HttpResponse:
    found = FakeRefund.objects.filter(store=store).order_by("id")
    order_ids, ids = id_list(request, "order_id:in"), id_list(request, "id:in")
    if order_ids is not None:
        found = found.filter(order_id__in=order_ids)
    if ids is not None:
        found = found.filter(pk__in=ids)
    page, limit = page_and_limit(request)
    chunk, meta = paginate([state.refund_payload(r) for r in found], page=page, limit=limit)
    return json_response({"data": chunk, "meta": meta})
