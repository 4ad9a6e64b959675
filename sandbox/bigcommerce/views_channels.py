"""Fake store information (v2 /store), channels (v3 /channels) and sites (v3 /sites, /channels/{id}/site).

Scopes as BigCommerce's files name them: Information & Settings (`store_v2_information`) for /store,
Channel Settings (`store_channel_settings`) for the channels, Sites & Routes (`store_sites`) for the
sites, a GET taking the read-only twin. channels.v3.yml lists its three scope families for the whole
file without saying which operation takes which; /channels/{id}/site is "Alias of GET
/sites?channel_id=channel_id", so it takes the sites' scope (our reading).

Query filters are the spec's (`status:in`, `type:in`, `platform:in`, `available` for channels;
`channel_id:in`, `url_type:in` for sites); /sites pages as its file says (meta.pagination offset, limit,
total_items), not as the channels' full pagination.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from . import channels as state
from .models import FakeChannel, FakeStore
from .responses import (
    BadRequest,
    endpoint,
    id_list,
    int_param,
    json_response,
    page_and_limit,
    paginate,
    read_json,
    v3_error,
)

AVAILABLE = frozenset({"prelaunch", "active", "inactive", "connected"})


def _list_param(request: HttpRequest, name: str, allowed: tuple[str, ...] | None = None) -> list[str] | None:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return None
    values = [part.strip() for part in raw.split(",") if part.strip()]
    if allowed is not None and any(value not in allowed for value in values):
        raise BadRequest(v3_error(422, "The filter(s) are invalid.", {name: f"must be among {', '.join(allowed)}"}))
    return values


@endpoint(version="v2", scope="store_v2_information", methods=("GET",))
def store_information(request: HttpRequest, store: FakeStore) -> HttpResponse:
    return json_response(state.store_information(store))


@endpoint(version="v3", scope="store_channel_settings", methods=("GET", "POST"))
def channels(request: HttpRequest, store: FakeStore) -> HttpResponse:
    if request.method == "POST":
        body = read_json(request)
        if not isinstance(body, dict):
            return v3_error(422, "JSON data is missing or invalid", {"body": "must be an object"})
        errors = state.channel_problems(body)
        if errors:
            return v3_error(422, "JSON data is missing or invalid", errors)
        fields = {k: body[k] for k in ("external_id", "is_listable_from_ui", "is_visible") if k in body}
        channel = state.create_channel(store, name=body["name"], type=body["type"], platform=body["platform"],
                                       status=body.get("status"), **fields)
        return json_response({"data": state.channel_payload(channel), "meta": {}})
    page, limit = page_and_limit(request)
    statuses = _list_param(request, "status:in", state.CHANNEL_STATUSES)
    types = _list_param(request, "type:in", state.CHANNEL_TYPES)
    platforms = _list_param(request, "platform:in")
    available = request.GET.get("available")
    if available not in (None, "", "true", "false"):
        raise BadRequest(v3_error(422, "The filter(s) are invalid.", {"available": "must be true or false"}))
    found = []
    for channel in state.channels_of(store):
        data = channel.data
        if statuses is not None and data.get("status") not in statuses:
            continue
        if types is not None and data.get("type") not in types:
            continue
        if platforms is not None and data.get("platform") not in platforms:
            continue
        if available and (data.get("status") in AVAILABLE) != (available == "true"):
            continue
        found.append(state.channel_payload(channel))
    chunk, meta = paginate(found, page=page, limit=limit)
    return json_response({"data": chunk, "meta": meta})


@endpoint(version="v3", scope="store_channel_settings", methods=("GET",))
def channel_detail(request: HttpRequest, store: FakeStore, channel_id: int) -> HttpResponse:
    state.ensure_default_channel(store)
    channel = FakeChannel.objects.filter(store=store, channel_id=channel_id).first()
    if channel is None:
        return v3_error(404, "The channel was not found.")
    return json_response({"data": state.channel_payload(channel), "meta": {}})


@endpoint(version="v3", scope="store_sites", methods=("GET",))
def channel_site(request: HttpRequest, store: FakeStore, channel_id: int) -> HttpResponse:
    state.ensure_default_channel(store)
    if not FakeChannel.objects.filter(store=store, channel_id=channel_id).exists():
        return v3_error(404, "The channel was not found.")
    site = state.site_of(store, channel_id)
    if site is None:
        return v3_error(404, "The site was not found.")
    return json_response({"data": state.site_payload(site), "meta": {}})


@endpoint(version="v3", scope="store_sites", methods=("GET",))
def sites(request: HttpRequest, store: FakeStore) -> HttpResponse:
    page = int_param(request, "page", 1) or 1
    limit = int_param(request, "limit", 50) or 50
    if page < 1 or limit < 1 or limit > 250:
        raise BadRequest(v3_error(422, "The filter(s) are invalid.", {"limit": "must be between 1 and 250"}))
    url_types = _list_param(request, "url_type:in", ("primary", "canonical", "checkout"))
    found = [
        state.site_payload(site) for site in state.sites_of(store, channel_ids=id_list(request, "channel_id:in"))
        if url_types is None or any(u.get("type") in url_types for u in site.data.get("urls", []))
    ]
    offset = (page - 1) * limit
    return json_response({
        "data": found[offset: offset + limit],
        "meta": {"pagination": {"offset": offset, "limit": limit, "total_items": len(found)}},
    })
