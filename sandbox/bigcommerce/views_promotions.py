"""Fake Promotions v3 with coupon codes (/codes, cursor paging), code lookup and bulk /codegen.

Errors use promotions.v3.yml's own shapes: ErrorResponse {errors: [{status, title}]} for invalid
payloads, ErrorResponse405 for codegen on a promotion that isn't COUPON + BULK. The spec documents
no 409 for POST /codes, so a code already in use answers 422 like any other invalid payload.

`coupon_type` is "whether it will have single or multiple codes" (promotions.v3.yml, PROMO-1018): a
second code on a SINGLE promotion answers 422, as a real store should be expected to; many codes
belong to a BULK promotion (POST /codes on one is unverified upstream and accepted here).
"""

import base64
import json
import re
import secrets
import string

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from . import state
from .models import FakeCouponCode, FakePromotion, FakeStore
from .responses import (
    endpoint,
    id_list,
    int_param,
    json_response,
    no_content,
    page_and_limit,
    paginate,
    promotions_error,
    read_json,
)

CODE_RE = re.compile(r"^[a-zA-Z0-9_ -]{1,50}$")
AFFIX_RE = re.compile(r"^[A-Z0-9_-]{1,20}$")
CODE_ALPHABET = string.ascii_uppercase + string.digits
PROMOTION_DEFAULTS = {
    "display_name": "",
    "channels": [],
    "customer": {"group_ids": [], "excluded_group_ids": [], "minimum_order_count": 0},
    "current_uses": 0,
    "max_uses": None,
    "status": "ENABLED",
    "end_date": None,
    "stop": False,
    "can_be_used_with_other_promotions": True,
    "currency_code": "USD",
    "notifications": [],
    "created_from": "api",
}


def promotion_payload(promotion: FakePromotion) -> dict:
    data = {"id": promotion.pk, **promotion.data}
    if data.get("redemption_type") == "COUPON":
        data["multiple_codes"] = {"has_multiple_codes": promotion.codes.count() > 1}
    return data


def code_payload(code: FakeCouponCode) -> dict:
    return {
        "id": code.pk,
        "code": code.code,
        "current_uses": code.current_uses,
        "max_uses": code.max_uses,
        "max_uses_per_customer": code.max_uses_per_customer,
        "created": state.iso(code.created),
    }


def _promotion(store: FakeStore, promotion_id: int) -> FakePromotion | None:
    return FakePromotion.objects.filter(store=store, pk=promotion_id).first()


def _validate_promotion(body: dict, *, existing: dict | None = None) -> list[str]:
    problems = []
    if existing is None:
        for field in ("name", "redemption_type", "rules"):
            if field not in body:
                problems.append(f"{field} is required.")
    if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
        problems.append("name must be a non-empty string.")
    if "redemption_type" in body:
        if body["redemption_type"] not in ("AUTOMATIC", "COUPON"):
            problems.append("redemption_type must be AUTOMATIC or COUPON.")
        elif existing is not None and body["redemption_type"] != existing.get("redemption_type"):
            problems.append("redemption_type cannot be changed.")
    if "coupon_type" in body:
        if body["coupon_type"] not in ("SINGLE", "BULK"):
            problems.append("coupon_type must be SINGLE or BULK.")
        elif existing is not None and body["coupon_type"] != existing.get("coupon_type"):
            problems.append("coupon_type cannot be changed.")
    if "rules" in body:
        rules = body["rules"]
        if (
            not isinstance(rules, list)
            or not rules
            or not all(isinstance(r, dict) and r.get("action") for r in rules)
        ):
            problems.append("rules must be a non-empty array of rules, each with an action.")
    if "status" in body and body["status"] not in ("ENABLED", "DISABLED"):
        problems.append("status must be ENABLED or DISABLED.")
    return problems


def _saved(body: dict) -> dict:
    data = {**PROMOTION_DEFAULTS, "start_date": state.iso(state.now()), **body}
    data.pop("id", None)
    data["rules"] = [{"apply_once": True, "stop": False, **rule} for rule in data.get("rules", [])]
    if data.get("redemption_type") == "COUPON":
        data.setdefault("coupon_type", "SINGLE")
        data.setdefault("coupon_overrides_other_promotions", False)
        data.pop("codes", None)  # codes are their own sub-resource and aren't returned by GET promotion
    return data


@endpoint(version="v3", scope="store_v2_marketing", methods=("GET", "POST", "DELETE"))
def promotions(request: HttpRequest, store: FakeStore) -> HttpResponse:
    if request.method == "POST":
        body = read_json(request)
        if not isinstance(body, dict):
            return promotions_error(422, "The request payload was invalid.")
        problems = _validate_promotion(body)
        if problems:
            return promotions_error(422, " ".join(problems))
        promotion = FakePromotion.objects.create(store=store, data=_saved(body))
        return json_response({"data": promotion_payload(promotion), "meta": {}}, 201)
    if request.method == "DELETE":
        ids = id_list(request, "id:in")
        if not ids:
            return json_response(
                {
                    "errors": [
                        {
                            "status": 422,
                            "title": "Parameter id:in is required",
                            "type": "https://developer.bigcommerce.com/api-docs/getting-started/"
                            "api-status-codes",
                        }
                    ],
                    "meta": {"total": 0, "success": 0, "failed": 0},
                },
                422,
            )
        blocked = set(
            FakeCouponCode.objects.filter(store=store, promotion_id__in=ids).values_list(
                "promotion_id", flat=True
            )
        )
        FakePromotion.objects.filter(store=store, pk__in=set(ids) - blocked).delete()
        if blocked:
            errors = {
                f"{n}.code": f"Failed for id={pid}. Error: some relating codes are still present."
                for n, pid in enumerate(ids)
                if pid in blocked
            }
            return json_response(
                {
                    "errors": [
                        {
                            "status": 422,
                            "title": "Errors occurred in bulk delete action.",
                            "type": "https://developer.bigcommerce.com/api-docs/getting-started/"
                            "api-status-codes",
                            "errors": errors,
                        }
                    ],
                    "meta": {"total": len(ids), "success": len(ids) - len(blocked), "failed": len(blocked)},
                },
                422,
            )
        return no_content()
    found = [promotion_payload(p) for p in FakePromotion.objects.filter(store=store).order_by("id")]
    promotion_id = int_param(request, "id")
    if promotion_id is not None:
        found = [p for p in found if p["id"] == promotion_id]
    for field in ("name", "currency_code", "status"):
        if request.GET.get(field):
            found = [p for p in found if str(p.get(field, "")) == request.GET[field]]
    if request.GET.get("redemption_type"):
        found = [p for p in found if p["redemption_type"].lower() == request.GET["redemption_type"].lower()]
    if request.GET.get("code"):
        ids = set(
            FakeCouponCode.objects.filter(store=store, code__iexact=request.GET["code"]).values_list(
                "promotion_id", flat=True
            )
        )
        found = [p for p in found if p["id"] in ids]
    if request.GET.get("direction") == "desc":
        found.reverse()
    page, limit = page_and_limit(request)
    chunk, meta = paginate(found, page=page, limit=limit)
    return json_response({"data": chunk, "meta": meta})


@endpoint(version="v3", scope="store_v2_marketing", methods=("GET", "PUT", "DELETE"))
def promotion_detail(request: HttpRequest, store: FakeStore, promotion_id: int) -> HttpResponse:
    promotion = _promotion(store, promotion_id)
    if request.method == "DELETE":
        if promotion is not None:
            promotion.delete()
        return no_content()
    if promotion is None:
        return promotions_error(404, "The requested resource was not found.")
    if request.method == "PUT":
        body = read_json(request)
        if not isinstance(body, dict):
            return promotions_error(422, "The request payload was invalid.")
        problems = _validate_promotion(body, existing=promotion.data)
        if problems:
            return promotions_error(422, " ".join(problems))
        promotion.data = _saved({**promotion.data, **body})
        promotion.save(update_fields=["data"])
    return json_response({"data": promotion_payload(promotion), "meta": {}})


# --- codes --------------------------------------------------------------------------------------


def _cursor(code_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": str(code_id)}).encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> int | None:
    try:
        return int(json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["id"])
    except (ValueError, KeyError, TypeError):
        return None


def _codes_page(request: HttpRequest, codes) -> HttpResponse:
    """Cursor paging (after/before), or the deprecated page paging when `page` is given."""
    limit = int_param(request, "limit", 50) or 50
    if not 1 <= limit <= 250:
        return promotions_error(422, "limit must be between 1 and 250.")
    if request.GET.get("code"):
        codes = codes.filter(code__iexact=request.GET["code"])
    codes = codes.order_by("id")
    if "page" in request.GET:
        page, limit = page_and_limit(request)
        chunk, meta = paginate([code_payload(c) for c in codes], page=page, limit=limit)
        return json_response({"data": chunk, "meta": meta})
    after, before = request.GET.get("after"), request.GET.get("before")
    if after:
        after_id = _uncursor(after)
        if after_id is None:
            return promotions_error(422, "Invalid cursor.")
        codes = codes.filter(id__gt=after_id)
    if before:
        before_id = _uncursor(before)
        if before_id is None:
            return promotions_error(422, "Invalid cursor.")
        codes = codes.filter(id__lt=before_id)
    window = list(codes[: limit + 1])
    chunk, more = window[:limit], len(window) > limit
    cursor: dict = {"count": len(chunk), "per_page": limit, "links": {}}
    if chunk:
        cursor["start_cursor"], cursor["end_cursor"] = _cursor(chunk[0].pk), _cursor(chunk[-1].pk)
        if more:
            cursor["links"]["next"] = f"?limit={limit}&after={cursor['end_cursor']}"
        if after:
            cursor["links"]["previous"] = f"?limit={limit}&before={cursor['start_cursor']}"
    return json_response({"data": [code_payload(c) for c in chunk], "meta": {"cursor_pagination": cursor}})


def _uses(value, field: str, problems: list[str]) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100000:
        problems.append(f"{field} must be an integer between 0 and 100000.")
        return 0
    return value


@endpoint(version="v3", scope="store_v2_marketing", methods=("GET", "POST", "DELETE"))
def promotion_codes(request: HttpRequest, store: FakeStore, promotion_id: int) -> HttpResponse:
    promotion = _promotion(store, promotion_id)
    if promotion is None:
        return promotions_error(404, "The requested resource was not found.")
    if request.method == "GET":
        return _codes_page(request, promotion.codes.all())
    if request.method == "DELETE":
        ids = id_list(request, "id:in")
        if not ids:
            return json_response(
                {
                    "errors": [{"status": 422, "title": "Parameter id:in is required"}],
                    "meta": {"total": 0, "success": 0, "failed": 0},
                },
                422,
            )
        promotion.codes.filter(pk__in=ids[:250]).delete()
        return no_content()
    body = read_json(request)
    problems: list[str] = []
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        return promotions_error(422, "code is required.")
    code = body["code"]
    if not CODE_RE.match(code):
        problems.append("code may only contain letters, numbers, spaces, underscores and hyphens (max 50).")
    max_uses = _uses(body.get("max_uses"), "max_uses", problems)
    per_customer = _uses(body.get("max_uses_per_customer"), "max_uses_per_customer", problems)
    if promotion.data.get("redemption_type") != "COUPON":
        problems.append("Codes can only be added to COUPON promotions.")
    if FakeCouponCode.objects.filter(store=store, code__iexact=code).exists():
        problems.append(f"The coupon code '{code}' is already in use.")
    if problems:
        return promotions_error(422, " ".join(problems))
    try:
        with transaction.atomic():
            # Under the promotion's row lock, so two concurrent first codes can't both pass.
            FakePromotion.objects.select_for_update().filter(pk=promotion.pk).first()
            if promotion.data.get("coupon_type", "SINGLE") == "SINGLE" and promotion.codes.exists():
                return promotions_error(
                    422, "A SINGLE coupon promotion can have only one code; use a BULK promotion for more."
                )
            created = FakeCouponCode.objects.create(
                store=store,
                promotion=promotion,
                code=code,
                max_uses=max_uses,
                max_uses_per_customer=per_customer,
            )
    except IntegrityError:
        return promotions_error(422, f"The coupon code '{code}' is already in use.")
    return json_response({"data": code_payload(created), "meta": {}}, 201)


@endpoint(version="v3", scope="store_v2_marketing", methods=("DELETE",))
def promotion_code_detail(
    request: HttpRequest, store: FakeStore, promotion_id: int, code_id: int
) -> HttpResponse:
    FakeCouponCode.objects.filter(store=store, promotion_id=promotion_id, pk=code_id).delete()
    return no_content()


@endpoint(version="v3", scope="store_v2_marketing", methods=("GET", "DELETE"))
def codes_by_code(request: HttpRequest, store: FakeStore) -> HttpResponse:
    code = request.GET.get("code")
    if not code:
        return promotions_error(422, "Parameter code is required.")
    found = FakeCouponCode.objects.filter(store=store, code__iexact=code)
    if request.method == "DELETE":
        found.delete()
        return no_content()
    return _codes_page(request, found)


@endpoint(version="v3", scope="store_v2_marketing", methods=("POST",))
def codegen(request: HttpRequest, store: FakeStore, promotion_id: int) -> HttpResponse:
    promotion = _promotion(store, promotion_id)
    if promotion is None:
        return promotions_error(404, "The requested resource was not found.")
    if promotion.data.get("redemption_type") != "COUPON" or promotion.data.get("coupon_type") != "BULK":
        return json_response(
            {
                "status": "405",
                "title": "Method Not Allowed",
                "error": "Bulk code generation is only supported for promotions with "
                "redemption_type of 'COUPON' and coupon_type of 'BULK'.",
            },
            405,
        )
    body = read_json(request)
    if not isinstance(body, dict):
        return promotions_error(422, "The request payload is invalid.")
    problems = _codegen_problems(body)
    if problems:
        return promotions_error(422, " ".join(problems))
    max_uses = body.get("max_uses", 1)
    per_customer = body.get("max_uses_per_customer", 1)
    codes = _generate(store, promotion, body, max_uses=max_uses, per_customer=per_customer)
    return json_response(
        {
            "data": {
                "created": state.iso(state.now()),
                "max_uses": max_uses,
                "max_uses_per_customer": per_customer,
                "batch_size": len(codes),
                "codes": [{"code": c} for c in codes],
            },
            "meta": {},
        },
        201,
    )


def _codegen_problems(body: dict) -> list[str]:
    problems: list[str] = []
    batch_size = body.get("batch_size")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or not 1 <= batch_size <= 250:
        problems.append("batch_size is required and must be an integer between 1 and 250.")
    _uses(body.get("max_uses", 1), "max_uses", problems)
    _uses(body.get("max_uses_per_customer", 1), "max_uses_per_customer", problems)
    for field in ("prefix", "suffix"):
        if (
            field in body
            and body[field] is not None
            and (not isinstance(body[field], str) or not AFFIX_RE.match(body[field]))
        ):
            problems.append(f"{field} may only contain A-Z, 0-9, _ and - (max 20).")
    if body.get("delimiter") not in (None, "_", "-"):
        problems.append("delimiter must be _ or -.")
    exclude = body.get("exclude_characters") or []
    if not isinstance(exclude, list) or not all(
        isinstance(c, str) and re.fullmatch(r"[A-Z0-9]", c) for c in exclude
    ):
        problems.append("exclude_characters must be single capital letters or digits.")
    elif len(set(CODE_ALPHABET) - set(exclude)) < 2:
        problems.append("exclude_characters leaves too few characters.")
    length = body.get("code_length", 16)
    if not isinstance(length, int) or not 6 <= length <= 16:
        problems.append("code_length must be between 6 and 16.")
    elif len(_affixed(body, "X" * length)) > 50:
        problems.append("The total length of a coupon code must not exceed 50.")
    return problems


def _affixed(body: dict, core: str) -> str:
    delimiter = body.get("delimiter") or ""
    prefix, suffix = body.get("prefix") or "", body.get("suffix") or ""
    return f"{prefix}{delimiter if prefix else ''}{core}{delimiter if suffix else ''}{suffix}"


def _generate(
    store: FakeStore, promotion: FakePromotion, body: dict, *, max_uses: int, per_customer: int
) -> list[str]:
    alphabet = "".join(c for c in CODE_ALPHABET if c not in set(body.get("exclude_characters") or []))
    length = body.get("code_length", 16)
    made: list[str] = []
    while len(made) < body["batch_size"]:
        code = _affixed(body, "".join(secrets.choice(alphabet) for _ in range(length)))
        try:
            with transaction.atomic():
                FakeCouponCode.objects.create(
                    store=store,
                    promotion=promotion,
                    code=code,
                    max_uses=max_uses,
                    max_uses_per_customer=per_customer,
                )
        except IntegrityError:
            continue  # a collision with an existing code: draw again
        made.append(code)
    return made
