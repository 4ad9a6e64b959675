"""Fake webhooks v3 (/hooks): {data, meta} envelope, visible only to the creating client, and the
documented platform limits (HTTPS on 443, one hook per scope+destination, ten per scope).
"""

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .models import FakeHook, FakeStore
from .responses import endpoint, json_response, page_and_limit, paginate, read_json, v3_error

MAX_PER_SCOPE = 10


def hook_payload(hook: FakeHook) -> dict:
    return {
        "id": hook.pk,
        "client_id": hook.client_id,
        "store_hash": hook.store.store_hash,
        "created_at": hook.created_at,
        "updated_at": hook.updated_at,
        "scope": hook.scope,
        "destination": hook.destination,
        "is_active": hook.is_active,
        "headers": hook.headers,
    }


def _invalid(errors: dict) -> HttpResponse:
    return v3_error(422, "JSON data is missing or invalid", errors)


def _validate(body: dict, *, partial: bool) -> dict:
    errors = {}
    for field in ("scope", "destination"):
        present = isinstance(body.get(field), str) and body.get(field)
        if (field in body or not partial) and not present:
            errors[field] = "error.path.missing."
    destination = body.get("destination")
    if isinstance(destination, str) and destination:
        parts = urlsplit(destination)
        # The demo runs the app over plain http on 127.0.0.1; only its own APP_URL is let through.
        demo_app = settings.APP_URL.startswith("http://") and destination.startswith(f"{settings.APP_URL}/")
        if not demo_app and (parts.scheme != "https" or not parts.hostname or parts.port not in (None, 443)):
            errors["destination"] = "Destination must be an https URL on port 443."
    if "is_active" in body and not isinstance(body["is_active"], bool):
        errors["is_active"] = "error.expected.jsboolean"
    headers = body.get("headers")
    if headers is not None and (
        not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values())
    ):
        errors["headers"] = "error.expected.jsobject of strings"
    return errors


def _limits(
    store: FakeStore, client_id: str, scope: str, destination: str, exclude: int | None = None
) -> dict:
    same_scope = FakeHook.objects.filter(store=store, client_id=client_id, scope=scope).exclude(pk=exclude)
    if same_scope.filter(destination=destination).exists():
        return {"destination": f"A webhook for scope {scope} and this destination already exists."}
    if same_scope.count() >= MAX_PER_SCOPE:
        return {"scope": f"At most {MAX_PER_SCOPE} webhooks may subscribe to one scope."}
    return {}


@endpoint(version="v3", methods=("GET", "POST"))
def hooks(request: HttpRequest, store: FakeStore) -> HttpResponse:
    if request.method == "POST":
        body = read_json(request)
        if not isinstance(body, dict):
            return v3_error(400, "Input is invalid.")
        errors = _validate(body, partial=False) or _limits(
            store, store.client_id, body["scope"], body["destination"]
        )
        if errors:
            return _invalid(errors)
        now = int(time.time())
        hook = FakeHook.objects.create(
            store=store,
            client_id=store.client_id,
            scope=body["scope"],
            destination=body["destination"],
            is_active=body.get("is_active", True),
            headers=body.get("headers"),
            created_at=now,
            updated_at=now,
        )
        return json_response({"data": hook_payload(hook), "meta": {}})
    found = (
        FakeHook.objects.filter(store=store, client_id=store.client_id).select_related("store").order_by("id")
    )
    if "is_active" in request.GET:
        found = found.filter(is_active=request.GET["is_active"].lower() in ("true", "1"))
    for field in ("scope", "destination"):
        if request.GET.get(field):
            found = found.filter(**{field: request.GET[field]})
    page, limit = page_and_limit(request)
    chunk, meta = paginate([hook_payload(h) for h in found], page=page, limit=limit)
    return json_response({"data": chunk, "meta": meta})


@endpoint(version="v3", methods=("GET", "PUT", "DELETE"))
def hook_detail(request: HttpRequest, store: FakeStore, hook_id: int) -> HttpResponse:
    hook = (
        FakeHook.objects.filter(store=store, client_id=store.client_id, pk=hook_id)
        .select_related("store")
        .first()
    )
    if hook is None:
        return v3_error(404, f"Webhook with id [{hook_id}] not found")
    if request.method == "GET":
        return json_response({"data": hook_payload(hook), "meta": {}})
    if request.method == "DELETE":
        payload = hook_payload(hook)
        hook.delete()
        return json_response({"data": payload, "meta": {}})
    body = read_json(request)
    if not isinstance(body, dict) or not body:
        return _invalid({"body": "At least one field is required."})
    errors = _validate(body, partial=True)
    if not errors and ("scope" in body or "destination" in body):
        errors = _limits(
            store,
            hook.client_id,
            body.get("scope", hook.scope),
            body.get("destination", hook.destination),
            exclude=hook.pk,
        )
    if errors:
        return _invalid(errors)
    for field in ("scope", "destination", "is_active", "headers"):
        if field in body:
            setattr(hook, field, body[field])
    hook.updated_at = int(time.time())
    hook.save()
    return json_response({"data": hook_payload(hook), "meta": {}})
