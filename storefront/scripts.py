"""Installs this app's storefront scripts through the Scripts API (reference §6) and keeps them right.

Each script is tracked locally as an InstalledScript by its BigCommerce `uuid`.

Scripts (name — what — visibility/location, kind, consent_category):

- friendbuy-loader — Friendbuy's SDK loader with the store's merchant id (friendbuy.md §4.1)
  — all_pages/head, script_tag, targeting.
- shopper-identification — logged-in shopper: JWT → app `identify` → `track customer` + `auth`
  — storefront/footer, script_tag, functional.
- attribution-capture — `getVisitorStatus` + `couponReceived` + `fbc_device` cookie → app `capture`
  — storefront/footer, script_tag, targeting.
- order-link — order confirmation: `{{checkout.order.id}}` + device + cart → app `orders/link`
  — order_confirmation/footer, script_tag, targeting.
- account-widget — "Refer a friend / My rewards" panel on account pages (versioned URL, SRI)
  — storefront/footer, src, functional.

Consent categories: Friendbuy's loader and our capture/link scripts exist to attribute purchases to a
referral marketing program (a third-party tracker with its own cookies, and a device id kept for a
year), which is "targeting" (advertising) rather than first-party "analytics"; with a consent banner on,
they run only for shoppers who accept targeting cookies. Identification and the account widget serve
the logged-in shopper their own referral link and rewards, a feature they asked for, so "functional".
None is "essential": the store works without them. (Scripts left `unknown` would never render behind a
consent banner.) Merchants may change a category in Script Manager; we keep their choice (below).

Purchases are never tracked in the browser: the order lifecycle sends them server-side, carrying the
attribution, device id and user agent that these scripts captured.

Idempotency and repair: `scripts_ensure` lists the store's scripts once, re-creates ours that are
missing, PUTs ours whose fields drifted from what we want (or whose wanted content changed, e.g. a new
Friendbuy merchant id or widget build), adopts a script of ours found by name when the local row was
lost, and deletes the ones no longer wanted. `enabled` and `consent_category` belong to the merchant
once the script exists and are not "repaired". Every script has `auto_uninstall: true`, so BigCommerce
also removes them on uninstall. Scripts take their API base from settings.APP_URL and name the store by
`store.public_id`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.utils import timezone

from .bigcommerce import BigCommerceNotFound
from .clients import bigcommerce_for
from .models import InstalledScript, Store, StorefrontSettings

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "script_templates"
WIDGET_STATIC_PATH = "referrals/widget.js"
API_PREFIX = "/api/storefront/v1"
MAX_HTML = 65536
NAME_PREFIX = "BC-Friendbuy: "
# Fields the merchant may change in Script Manager; we set them on create and leave them alone after.
MERCHANT_OWNED = frozenset({"enabled", "consent_category"})
MERCHANT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

LOADER, IDENTIFY, CAPTURE, ORDER_LINK, WIDGET = (
    "friendbuy-loader",
    "shopper-identification",
    "attribution-capture",
    "order-link",
    "account-widget",
)
TITLES = {
    LOADER: "Friendbuy loader",
    IDENTIFY: "shopper identification",
    CAPTURE: "attribution capture",
    ORDER_LINK: "order attribution link",
    WIDGET: "account widget",
}


@dataclass(frozen=True)
class ScriptSpec:
    """One script as we want it in BigCommerce: `fields` is the script_Post body."""

    name: str
    fields: dict[str, Any]

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.fields, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class WidgetAsset:
    body: bytes
    version: str  # first 16 hex chars of the sha256: in the file name, so the URL changes with the bytes
    integrity: str  # "sha384-<base64>", the SRI hash of exactly these bytes

    @property
    def filename(self) -> str:
        return f"widget.{self.version}.js"


@lru_cache(maxsize=1)
def widget_asset() -> WidgetAsset:
    """The account widget's bytes and their hashes (read once per process: the file ships with a release)."""
    path = finders.find(WIDGET_STATIC_PATH)
    if not path:
        raise FileNotFoundError(f"static file {WIDGET_STATIC_PATH} not found")
    body = Path(path).read_bytes()
    return WidgetAsset(
        body=body,
        version=hashlib.sha256(body).hexdigest()[:16],
        integrity="sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode(),
    )


def _js_literal(value: Any) -> str:
    # JSON is valid JS; escaping "<" keeps "</script>" (or "<!--") from ending the inline block.
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def script_config(store: Store) -> dict[str, str]:
    return {
        "api": f"{settings.APP_URL}{API_PREFIX}",
        "store": store.public_id,
        "clientId": settings.BIGCOMMERCE_CLIENT_ID,
    }


def _render(template: str, store: Store) -> str:
    common = (
        (TEMPLATES / "_common.js").read_text().replace("__FBC_CONFIG__", _js_literal(script_config(store)))
    )
    html = (TEMPLATES / template).read_text().replace("__COMMON__", common.rstrip("\n"))
    if html.count("<script") != 1 or len(html) > MAX_HTML:
        raise ValueError(f"{template}: a script_tag needs exactly one <script> block of ≤ {MAX_HTML} chars")
    return html


def loader_html(merchant_id: str) -> str:
    """Friendbuy's loader exactly as documented, with the merchant id in place."""
    if not MERCHANT_ID_RE.match(merchant_id):
        raise ValueError("Friendbuy merchant id has unexpected characters")
    return (TEMPLATES / "friendbuy_loader.html").read_text().replace("__FRIENDBUY_MERCHANT_ID__", merchant_id)


def widget_src(store: Store) -> str:
    asset = widget_asset()
    query = urlencode({"store": store.public_id, "client_id": settings.BIGCOMMERCE_CLIENT_ID})
    return f"{settings.APP_URL}{API_PREFIX}/{asset.filename}?{query}"


def _merchant_id(store: Store) -> str:
    # Read through the reverse accessor: storefront is the ground floor and imports nothing from referrals.
    try:
        return (store.friendbuy.merchant_id or "").strip()
    except ObjectDoesNotExist:
        return ""


def _widget_enabled(store: Store) -> bool:
    row = StorefrontSettings.objects.filter(store=store).only("widget_enabled").first()
    return row.widget_enabled if row else True


def _tag(
    name: str, html: str, *, visibility: str, location: str, consent: str, description: str
) -> ScriptSpec:
    return ScriptSpec(
        name=name,
        fields={
            "name": NAME_PREFIX + TITLES[name],
            "description": description,
            "html": html,
            "kind": "script_tag",
            "load_method": "default",
            "location": location,
            "visibility": visibility,
            "auto_uninstall": True,
            "consent_category": consent,
            "enabled": True,
        },
    )


def desired_scripts(*, store: Store) -> list[ScriptSpec]:
    """The scripts this store should have now: none until Friendbuy is connected."""
    merchant_id = _merchant_id(store)
    if not merchant_id:
        return []
    specs = [
        _tag(
            LOADER,
            loader_html(merchant_id),
            visibility="all_pages",
            location="head",
            consent="targeting",
            description="Loads Friendbuy's SDK for the connected merchant.",
        ),
        _tag(
            IDENTIFY,
            _render("shopper_identification.html", store),
            visibility="storefront",
            location="footer",
            consent="functional",
            description="Identifies logged-in shoppers to Friendbuy (customer auth).",
        ),
        _tag(
            CAPTURE,
            _render("attribution_capture.html", store),
            visibility="storefront",
            location="footer",
            consent="targeting",
            description="Captures Friendbuy attribution and friend coupons.",
        ),
        _tag(
            ORDER_LINK,
            _render("order_link.html", store),
            visibility="order_confirmation",
            location="footer",
            consent="targeting",
            description="Links the confirmed order to the shopper's device and cart.",
        ),
    ]
    if _widget_enabled(store):
        specs.append(
            ScriptSpec(
                name=WIDGET,
                fields={
                    "name": NAME_PREFIX + TITLES[WIDGET],
                    "description": "Refer-a-friend and rewards panel on account pages.",
                    "src": widget_src(store),
                    "kind": "src",
                    "load_method": "defer",
                    "location": "footer",
                    "visibility": "storefront",
                    "auto_uninstall": True,
                    "consent_category": "functional",
                    "enabled": True,
                    "integrity_hashes": [widget_asset().integrity],
                },
            )
        )
    return specs


def _drifted(spec: ScriptSpec, remote: dict) -> bool:
    return any(remote.get(key) != value for key, value in spec.fields.items() if key not in MERCHANT_OWNED)


def _ours(remote: dict) -> bool:
    return remote.get("api_client_id") in ("", None, settings.BIGCOMMERCE_CLIENT_ID)


def scripts_ensure(*, store: Store) -> list[InstalledScript]:
    """Make the store's scripts match desired_scripts(); returns the tracked rows. Safe to run any time."""
    specs = desired_scripts(store=store)
    client = bigcommerce_for(store)
    remote = {item["uuid"]: item for item in client.list_scripts() if item.get("uuid")}
    tracked = {row.name: row for row in InstalledScript.objects.filter(store=store)}
    wanted = {spec.name for spec in specs}
    now = timezone.now()

    for name, row in tracked.items():
        if name not in wanted:
            _delete_remote(client, row.bc_uuid)
            row.delete()

    result = []
    for spec in specs:
        row = tracked.get(spec.name) or InstalledScript(store=store, name=spec.name)
        current = remote.get(row.bc_uuid) if row.bc_uuid else None
        if current is None:
            current = next(
                (item for item in remote.values() if item.get("name") == spec.fields["name"] and _ours(item)),
                None,
            )
        if current is None:
            current = client.create_script(**spec.fields)
            logger.info("Created script %s for %s", spec.name, store.store_hash)
        elif (
            row.content_hash != spec.content_hash or row.bc_uuid != current["uuid"] or _drifted(spec, current)
        ):
            body = {k: v for k, v in spec.fields.items() if k not in MERCHANT_OWNED}
            try:
                current = client.update_script(current["uuid"], **body)
            except BigCommerceNotFound:
                current = client.create_script(**spec.fields)
            logger.info("Repaired script %s for %s", spec.name, store.store_hash)
        row.bc_uuid = current.get("uuid") or row.bc_uuid
        row.enabled = bool(current.get("enabled", True))
        row.content_hash = spec.content_hash
        row.last_checked_at = now
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            # A concurrent run tracked it first; take its row and record what we saw.
            InstalledScript.objects.filter(store=store, name=spec.name).update(
                bc_uuid=row.bc_uuid, enabled=row.enabled, content_hash=row.content_hash, last_checked_at=now
            )
            row = InstalledScript.objects.get(store=store, name=spec.name)
        result.append(row)
    return result


def _delete_remote(client, uuid: str) -> None:
    if not uuid:
        return
    # Already gone (the merchant deleted it, or auto_uninstall did) is fine.
    with contextlib.suppress(BigCommerceNotFound):
        client.delete_script(uuid)


def scripts_remove(*, store: Store) -> None:
    """Delete every script we track for the store (disconnect). After an uninstall the token is gone and
    BigCommerce's auto_uninstall has removed them, so only the local rows are dropped then."""
    rows = list(InstalledScript.objects.filter(store=store))
    if store.access_token:
        client = bigcommerce_for(store)
        for row in rows:
            _delete_remote(client, row.bc_uuid)
    InstalledScript.objects.filter(pk__in=[row.pk for row in rows]).delete()


def scripts_check_all() -> dict[str, str]:
    """The scheduled check: ensure every installed store's scripts; one failure doesn't stop the rest."""
    outcome: dict[str, str] = {}
    for store in Store.objects.filter(status=Store.Status.INSTALLED):
        if not store.access_token:
            continue
        try:
            outcome[store.store_hash] = f"{len(scripts_ensure(store=store))} scripts"
        except Exception as exc:
            logger.warning("Script check failed for %s: %s", store.store_hash, exc)
            outcome[store.store_hash] = f"failed: {exc}"
    return outcome
