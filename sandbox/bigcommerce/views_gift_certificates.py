"""Fake marketing v2 gift certificates: list (filters, page/limit, 204 when empty), create, read, update,
delete. The rules are in sandbox.bigcommerce.credit."""

from django.http import HttpRequest, HttpResponse

from . import credit
from .models import FakeGiftCertificate, FakeStore
from .responses import BadRequest, endpoint, int_param, json_response, no_content, read_json, v2_error

NOT_FOUND = "The requested resource was not found."
TEXT_FILTERS = ("to_name", "to_email", "from_name", "from_email")


def _refused(exc: credit.Refused) -> HttpResponse:
    return v2_error(exc.status, exc.message)


@endpoint(version="v2", methods=("GET", "POST", "DELETE"))
def gift_certificates(request: HttpRequest, store: FakeStore) -> HttpResponse:
    if request.method == "POST":
        try:
            certificate = credit.gift_certificate_create(store=store, body=read_json(request, version="v2"))
        except credit.Refused as exc:
            return _refused(exc)
        return json_response(credit.gift_certificate_payload(certificate), status=201)
    found = FakeGiftCertificate.objects.filter(store=store)
    if request.method == "DELETE":
        found.delete()
        return no_content()
    for name, lookup in (("min_id", "pk__gte"), ("max_id", "pk__lte"), ("order_id", "data__order_id")):
        value = int_param(request, name, version="v2")
        if value is not None:
            found = found.filter(**{lookup: value})
    if request.GET.get("code"):
        found = found.filter(code__iexact=request.GET["code"].strip()[: credit.CODE_LENGTH])
    page = int_param(request, "page", 1, version="v2") or 1
    limit = int_param(request, "limit", 50, version="v2") or 50
    if page < 1 or limit < 1 or limit > 250:
        raise BadRequest(v2_error(400, "The field 'limit' is invalid (1-250)."))
    if request.GET.get("sort", "id") != "id" or request.GET.get("direction", "asc") not in ("asc", "desc"):
        raise BadRequest(v2_error(400, "The field 'sort' is invalid."))
    items = [credit.gift_certificate_payload(c) for c in found.order_by("pk")]
    for name in TEXT_FILTERS:
        if request.GET.get(name):
            items = [c for c in items if str(c.get(name, "")).lower() == request.GET[name].lower()]
    if request.GET.get("direction") == "desc":
        items.reverse()
    chunk = items[(page - 1) * limit : page * limit]
    return json_response(chunk) if chunk else no_content()


@endpoint(version="v2", methods=("GET", "PUT", "DELETE"))
def gift_certificate_detail(request: HttpRequest, store: FakeStore, certificate_id: int) -> HttpResponse:
    certificate = FakeGiftCertificate.objects.filter(store=store, pk=certificate_id).first()
    if certificate is None:
        return v2_error(404, NOT_FOUND)
    if request.method == "DELETE":
        certificate.delete()
        return no_content()
    if request.method == "PUT":
        try:
            certificate = credit.gift_certificate_update(certificate=certificate,
                                                         body=read_json(request, version="v2"))
        except credit.Refused as exc:
            return _refused(exc)
    return json_response(credit.gift_certificate_payload(certificate))
