"""Fake Scripts v3 (/content/scripts): uuid ids, {data, meta}, field enums, ten scripts per app.

Checkout pages (scripts.v3.yml `visibility`, reference §6): `all_pages` and `checkout` need the Checkout
Content scope (`store_content_checkout`), else 403; and a script on the checkout page needs at least one
SRI hash (PCI DSS 4.0 6.4.3), else 422. A `script_tag` cannot carry one, so an inline script on checkout
pages is refused too (our reading; the app installs none there). Hashes must be sha256/384/512 SRI strings.
"""

import re
import uuid as uuid_lib

from django.http import HttpRequest, HttpResponse

from . import state
from .models import FakeScript, FakeStore
from .responses import (
    MISSING_SCOPE,
    endpoint,
    has_scope,
    json_response,
    no_content,
    page_and_limit,
    paginate,
    read_json,
    v3_error,
)

MAX_SCRIPTS_PER_CLIENT = 10
CHECKOUT_VISIBILITY = frozenset({"all_pages", "checkout"})
CHECKOUT_SCOPE = "store_content_checkout"
SRI_HASH = re.compile(r"^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$")
ENUMS = {
    "load_method": ("default", "async", "defer"),
    "location": ("head", "footer"),
    "visibility": ("storefront", "all_pages", "checkout", "order_confirmation"),
    "kind": ("src", "script_tag"),
    "consent_category": ("essential", "functional", "analytics", "targeting"),
}
DEFAULTS = {
    "description": "",
    "html": "",
    "src": "",
    "auto_uninstall": False,
    "load_method": "default",
    "location": "footer",
    "visibility": "storefront",
    "kind": "src",
    "consent_category": "unknown",
    "enabled": True,
    "channel_id": 1,
    "integrity_hashes": [],
}


def script_payload(script: FakeScript) -> dict:
    return {"uuid": str(script.uuid), **script.data}


def _invalid(errors: dict) -> HttpResponse:
    return v3_error(422, "JSON data is missing or invalid", errors)


def _validate(merged: dict) -> dict:
    errors = {}
    name = merged.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        errors["name"] = "name is required (1-255 characters)."
    for field, allowed in ENUMS.items():
        if (
            field in merged
            and merged[field] not in allowed
            and not (field == "consent_category" and merged[field] == "unknown")
        ):
            errors[field] = f"must be one of {', '.join(allowed)}"
    if merged.get("kind") == "src" and not merged.get("src"):
        errors["src"] = "src is required when kind is src."
    if merged.get("kind") == "script_tag":
        if not merged.get("html"):
            errors["html"] = "html is required when kind is script_tag."
        elif len(merged["html"]) > 65536:
            errors["html"] = "html is longer than 65536 characters."
        if merged.get("load_method", "default") != "default":
            errors["load_method"] = "load_method must be default for script_tag."
    hashes = merged.get("integrity_hashes") or []
    if not isinstance(hashes, list) or len(hashes) > 5:
        errors["integrity_hashes"] = "at most 5 hashes."
    elif not all(isinstance(h, str) and SRI_HASH.match(h) for h in hashes):
        errors["integrity_hashes"] = "each hash must be an SRI hash: sha256-, sha384- or sha512- and base64."
    elif merged.get("visibility") in CHECKOUT_VISIBILITY and not hashes:
        errors["integrity_hashes"] = (
            "Scripts on checkout pages need at least one integrity hash (PCI DSS 4.0 6.4.3)."
        )
    channel_id = merged.get("channel_id", 1)
    if not isinstance(channel_id, int) or channel_id < 1:
        errors["channel_id"] = "must be an integer ≥ 1."
    return errors


@endpoint(version="v3", scope="store_v2_content", methods=("GET", "POST"))
def scripts(request: HttpRequest, store: FakeStore) -> HttpResponse:
    mine = FakeScript.objects.filter(store=store, client_id=store.client_id).order_by("id")
    if request.method == "GET":
        page, limit = page_and_limit(request)
        chunk, meta = paginate([script_payload(s) for s in mine], page=page, limit=limit)
        return json_response({"data": chunk, "meta": meta})
    body = read_json(request)
    if not isinstance(body, dict):
        return _invalid({"body": "must be an object"})
    merged = {**DEFAULTS, **{k: v for k, v in body.items() if k not in ("uuid", "api_client_id")}}
    if merged.get("visibility") in CHECKOUT_VISIBILITY and not has_scope(store, CHECKOUT_SCOPE):
        return v3_error(403, MISSING_SCOPE)
    errors = _validate(merged)
    if errors:
        return _invalid(errors)
    if mine.count() >= MAX_SCRIPTS_PER_CLIENT:
        return _invalid({"scripts": f"An app can install at most {MAX_SCRIPTS_PER_CLIENT} scripts."})
    stamp = state.iso(state.now())
    script = FakeScript.objects.create(
        store=store,
        client_id=store.client_id,
        data={
            **merged,
            "api_client_id": store.client_id,
            "date_created": stamp,
            "date_modified": stamp,
        },
    )
    return json_response({"data": script_payload(script), "meta": {}})


@endpoint(version="v3", scope="store_v2_content", methods=("GET", "PUT", "DELETE"))
def script_detail(request: HttpRequest, store: FakeStore, script_uuid: str) -> HttpResponse:
    try:
        key = uuid_lib.UUID(script_uuid)
    except ValueError:
        return v3_error(404, "The resource was not found.")
    script = FakeScript.objects.filter(store=store, uuid=key).first()
    if script is None:
        return v3_error(404, "The resource was not found.")
    if request.method == "GET":
        return json_response({"data": script_payload(script), "meta": {}})
    if script.client_id != store.client_id:
        # Only the API account that created a script may change it through the API.
        return v3_error(403, "You do not have permission to modify this script.")
    if request.method == "DELETE":
        script.delete()
        return no_content()
    body = read_json(request)
    if not isinstance(body, dict):
        return _invalid({"body": "must be an object"})
    merged = {
        **script.data,
        **{
            k: v
            for k, v in body.items()
            if k not in ("uuid", "api_client_id", "date_created", "date_modified")
        },
    }
    if merged.get("visibility") in CHECKOUT_VISIBILITY and not has_scope(store, CHECKOUT_SCOPE):
        return v3_error(403, MISSING_SCOPE)
    errors = _validate(merged)
    if errors:
        return _invalid(errors)
    script.data = {**merged, "date_modified": state.iso(state.now())}
    script.save(update_fields=["data"])
    return json_response({"data": script_payload(script), "meta": {}})
