"""Installs this app's storefront scripts through the Scripts API (reference §6) and keeps them right.

Each script is tracked locally as an InstalledScript by channel and name, and by its BigCommerce `uuid`.

Scripts on every storefront channel (name — what — visibility/location, kind, consent_category):

- storefront-tracking — Friendbuy's SDK loader with the store's merchant id (friendbuy.md §4.1), shopper
  identification (JWT → app `identify` → `track customer` + `auth`) and attribution capture
  (`getVisitorStatus` + `couponReceived` + `fbc_device` cookie → app `capture`)
  — storefront/head, script_tag, targeting.
- order-confirmation — the same loader (the confirmation page is not a `storefront` page) and the order
  link (`{{checkout.order.id}}` + device + cart → app `orders/link`) — order_confirmation/footer,
  script_tag, targeting.
- account-widget — "Refer a friend / My rewards" panel on account pages (versioned URL, SRI hash)
  — storefront/footer, src, functional.

Least privilege: `storefront` and `order_confirmation` need only the Content scope; `all_pages` and
`checkout` would need Checkout Content (store_content_checkout), which the app does not request
(storefront.scopes). Every `src` script carries the SRI hash of the bytes we serve at its URL.

Three scripts per channel, bundled, because BigCommerce lets an app install 10 scripts per store: three
channels fit; a fourth storefront's scripts are recorded `over_limit` (reported, never silently missing).
The bundles are one `<script>` block each (the spec's rule for `html`).

Consent categories: Friendbuy's loader and our capture/link code exist to attribute purchases to a referral
marketing program (a third-party tracker with its own cookies, and a device id kept for a year), which is
"targeting" (advertising) rather than first-party "analytics"; with a consent banner on, they run only for
shoppers who accept targeting cookies. Shopper identification rides in the same bundle: it only feeds
Friendbuy's SDK, which needs targeting consent anyway. The account widget serves the logged-in shopper their
own referral link and rewards from this app, a feature they asked for, so "functional". None is "essential".
(Scripts left `unknown` would never render behind a consent banner.) Merchants may change a category in
Script Manager; we keep their choice (below).

Purchases are never tracked in the browser: the order lifecycle sends them server-side, carrying the
attribution, device id and user agent that these scripts captured.

Each script on its own: `scripts_ensure` lists the store's scripts once, then for every wanted script
re-creates it if missing, PUTs it if its fields drifted from what we want (or the wanted content changed,
e.g. a new Friendbuy merchant id or widget build), adopts a script of ours found by name and channel when
the local row was lost, and deletes the ones no longer wanted. A script BigCommerce refuses (or a call that
fails) is recorded `failed` with the reason and retried on the backoff schedule by
`scripts_retry_due`; it never stops the others. `enabled` and `consent_category` belong to the merchant
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
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.utils import timezone

from .backoff import Backoff
from .bigcommerce import BigCommerceNotFound
from .channels import channels_sync
from .clients import bigcommerce_for
from .http import HttpError
from .models import InstalledScript, Store, StorefrontChannel, StorefrontSettings
from .redaction import scrub

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "script_templates"
WIDGET_STATIC_PATH = "referrals/widget.js"
API_PREFIX = "/api/storefront/v1"
MAX_HTML = 65536
NAME_PREFIX = "BC-Friendbuy: "
# scripts.v3.yml: "Each app can have 10 scripts installed."
MAX_SCRIPTS_PER_APP = 10
DEFAULT_CHANNEL = 1
# Fields the merchant may change in Script Manager; we set them on create and leave them alone after.
MERCHANT_OWNED = frozenset({"enabled", "consent_category"})
MERCHANT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A script BigCommerce refused, or a call that failed, is tried again after 5 min doubling to 6 h.
RETRY_SCHEDULE = Backoff(base=5 * 60, cap=6 * 60 * 60)
RETRY_BATCH = 50

TRACKING, CONFIRMATION, WIDGET = "storefront-tracking", "order-confirmation", "account-widget"
SCRIPT_NAMES = (TRACKING, CONFIRMATION, WIDGET)
TITLES = {
    TRACKING: "storefront tracking",
    CONFIRMATION: "order confirmation",
    WIDGET: "account widget",
}


@dataclass(frozen=True)
class ScriptSpec:
    """One script as we want it in BigCommerce on one channel: `fields` is the script_Post body."""

    name: str
    fields: dict[str, Any]

    @property
    def channel_id(self) -> int:
        return int(self.fields["channel_id"])

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


def _inner(html: str) -> str:
    """The JavaScript inside a template's one <script> block."""
    body = html.strip()
    if not (body.startswith("<script>") and body.endswith("</script>")) or body.count("<script") != 1:
        raise ValueError("a script template is exactly one <script> block")
    return body[len("<script>") : -len("</script>")].strip("\n")


def _render(template: str, store: Store) -> str:
    common = (
        (TEMPLATES / "_common.js").read_text().replace("__FBC_CONFIG__", _js_literal(script_config(store)))
    )
    return (TEMPLATES / template).read_text().replace("__COMMON__", common.rstrip("\n"))


def loader_html(merchant_id: str) -> str:
    """Friendbuy's loader exactly as documented, with the merchant id in place."""
    if not MERCHANT_ID_RE.match(merchant_id):
        raise ValueError("Friendbuy merchant id has unexpected characters")
    return (TEMPLATES / "friendbuy_loader.html").read_text().replace("__FRIENDBUY_MERCHANT_ID__", merchant_id)


def bundle(*parts: str) -> str:
    """Several script templates as one <script> block (the Scripts API's `html` holds exactly one)."""
    html = "<script>\n" + "\n".join(_inner(part) for part in parts) + "\n</script>\n"
    if len(html) > MAX_HTML:
        raise ValueError(f"a script_tag's html is at most {MAX_HTML} characters")
    return html


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


def _channel_merchant_ids(store: Store) -> dict[int, str]:
    """{channel id: merchant id} of the channels with a Friendbuy merchant of their own (referrals'
    FriendbuyChannelConnection, read through the reverse accessor like _merchant_id); the others use the store's."""
    return {
        row.channel_id: (row.merchant_id or "").strip()
        for row in store.friendbuy_channels.only("channel_id", "merchant_id")
        if (row.merchant_id or "").strip()
    }


def _switches(store: Store) -> tuple[bool, bool]:
    """(program on, widget on) from the store's storefront settings; both on when it has none."""
    row = StorefrontSettings.objects.filter(store=store).only("widget_enabled", "program_enabled").first()
    return (row.program_enabled, row.widget_enabled) if row else (True, True)


def script_channel_ids(*, store: Store) -> list[int]:
    """The channels that get scripts, default channel first: every live or launching storefront channel
    known from BigCommerce (storefront.channels), or the default channel while none is known yet."""
    channels = list(StorefrontChannel.objects.filter(store=store))
    wanted = [c for c in channels if c.takes_scripts]
    if not channels:
        return [DEFAULT_CHANNEL]
    return [c.channel_id for c in sorted(wanted, key=lambda c: (not c.is_default, c.channel_id))]


def _tag(name: str, html: str, *, channel_id: int, visibility: str, location: str, description: str) -> ScriptSpec:
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
            "consent_category": "targeting",
            "enabled": True,
            "channel_id": channel_id,
        },
    )


def channel_scripts(*, store: Store, channel_id: int, merchant_id: str, widget: bool) -> list[ScriptSpec]:
    """The scripts of one channel."""
    loader = loader_html(merchant_id)
    specs = [
        _tag(
            TRACKING,
            bundle(loader, _render("shopper_identification.html", store), _render("attribution_capture.html", store)),
            channel_id=channel_id,
            visibility="storefront",
            location="head",
            description="Loads Friendbuy's SDK, identifies logged-in shoppers and captures referral attribution.",
        ),
        _tag(
            CONFIRMATION,
            bundle(loader, _render("order_link.html", store)),
            channel_id=channel_id,
            visibility="order_confirmation",
            location="footer",
            description="Loads Friendbuy's SDK and links the confirmed order to the shopper's device and cart.",
        ),
    ]
    if widget:
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
                    "channel_id": channel_id,
                    "integrity_hashes": [widget_asset().integrity],
                },
            )
        )
    for spec in specs:
        # Least privilege and PCI: never a checkout page, and every external script pinned by its hash.
        assert spec.fields["visibility"] in ("storefront", "order_confirmation"), spec.name
        assert spec.fields["kind"] != "src" or spec.fields.get("integrity_hashes"), spec.name
    return specs


def desired_scripts(*, store: Store) -> list[ScriptSpec]:
    """The scripts this store should have now, on every storefront channel (each with its own Friendbuy
    merchant id if it has one, else the store's): none until Friendbuy is
    connected, and none while the merchant has switched the program off. Ordered by priority (default
    channel first), which decides who fits the 10-script limit."""
    merchant_id = _merchant_id(store)
    if not merchant_id:
        return []
    program, widget = _switches(store)
    if not program:
        return []
    own = _channel_merchant_ids(store)
    return [
        spec
        for channel_id in script_channel_ids(store=store)
        for spec in channel_scripts(
            store=store, channel_id=channel_id, merchant_id=own.get(channel_id, merchant_id), widget=widget
        )
    ]


def _drifted(spec: ScriptSpec, remote: dict) -> bool:
    return any(remote.get(key) != value for key, value in spec.fields.items() if key not in MERCHANT_OWNED)


def _ours(remote: dict) -> bool:
    return remote.get("api_client_id") in ("", None, settings.BIGCOMMERCE_CLIENT_ID)


def _untracked_of_ours(item: dict, specs: list[ScriptSpec], rows: list[InstalledScript]) -> bool:
    if item.get("api_client_id") != settings.BIGCOMMERCE_CLIENT_ID:
        return False  # made in the control panel or by another app: not in our limit
    if any(row.bc_uuid and row.bc_uuid == item.get("uuid") for row in rows):
        return False
    return not any(item.get("name") == s.fields["name"] and _channel_of(item) == s.channel_id for s in specs)


def _channel_of(remote: dict) -> int:
    try:
        return int(remote.get("channel_id") or DEFAULT_CHANNEL)
    except (TypeError, ValueError):
        return DEFAULT_CHANNEL


def _error_text(exc: Exception) -> str:
    return scrub(f"{type(exc).__name__}: {exc}")[:2000]


def _save(row: InstalledScript, **fields) -> InstalledScript:
    """Record one script's outcome; a concurrent run that tracked it first gets the outcome instead."""
    for key, value in fields.items():
        setattr(row, key, value)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        InstalledScript.objects.filter(store=row.store, channel_id=row.channel_id, name=row.name).update(**fields)
        row = InstalledScript.objects.get(store=row.store, channel_id=row.channel_id, name=row.name)
    return row


def _failed(row: InstalledScript, exc: Exception, *, now) -> InstalledScript:
    failures = row.failures + 1
    logger.warning(
        "Script %s on channel %s of %s failed (%s in a row): %s",
        row.name, row.channel_id, row.store.store_hash, failures, exc,
    )
    return _save(
        row,
        status=InstalledScript.Status.FAILED,
        last_error=_error_text(exc),
        failures=failures,
        next_attempt_at=RETRY_SCHEDULE.next_attempt_at(failures, now=now),
        last_checked_at=now,
    )


def _ensure_one(client, spec: ScriptSpec, row: InstalledScript, remote: dict[str, dict]) -> dict:
    """Create, adopt or repair one script; returns BigCommerce's record of it. Raises HttpError."""
    current = remote.get(row.bc_uuid) if row.bc_uuid else None
    if current is None:
        current = next(
            (
                item
                for item in remote.values()
                if item.get("name") == spec.fields["name"] and _channel_of(item) == spec.channel_id and _ours(item)
            ),
            None,
        )
    if current is None:
        current = client.create_script(**spec.fields)
        logger.info("Created script %s on channel %s for %s", spec.name, spec.channel_id, row.store.store_hash)
    elif row.content_hash != spec.content_hash or row.bc_uuid != current["uuid"] or _drifted(spec, current):
        body = {k: v for k, v in spec.fields.items() if k not in MERCHANT_OWNED}
        try:
            current = client.update_script(current["uuid"], **body)
        except BigCommerceNotFound:
            current = client.create_script(**spec.fields)
        logger.info("Repaired script %s on channel %s for %s", spec.name, spec.channel_id, row.store.store_hash)
    return current


def scripts_ensure(*, store: Store) -> list[InstalledScript]:
    """Make the store's scripts match desired_scripts(); returns the tracked rows, each with its own
    outcome (installed, failed with the reason, or over the limit). Safe to run any time."""
    specs = desired_scripts(store=store)
    now = timezone.now()
    tracked = {(row.channel_id, row.name): row for row in InstalledScript.objects.filter(store=store)}
    rows = [tracked.get((spec.channel_id, spec.name)) or InstalledScript(store=store, channel_id=spec.channel_id,
                                                                          name=spec.name) for spec in specs]
    client = bigcommerce_for(store)
    try:
        remote = {item["uuid"]: item for item in client.list_scripts() if item.get("uuid")}
    except HttpError as exc:
        # Nothing can be compared: every wanted script records why, and is retried on its schedule.
        return [_failed(row, exc, now=now) for row in rows]

    wanted = {(spec.channel_id, spec.name) for spec in specs}
    for key, row in tracked.items():
        if key not in wanted:
            try:
                _delete_remote(client, row.bc_uuid)
            except HttpError as exc:
                logger.warning("Could not delete unwanted script %s of %s: %s", row.name, store.store_hash, exc)
                continue
            remote.pop(row.bc_uuid, None)
            row.delete()

    # The limit counts every script this app created in the store: those no wanted script will track
    # (left over, or unknown to us) use up places before ours.
    budget = MAX_SCRIPTS_PER_APP - sum(1 for item in remote.values() if _untracked_of_ours(item, specs, rows))
    result = []
    for position, (spec, row) in enumerate(zip(specs, rows, strict=True)):
        if position >= budget:
            result.append(_save(
                row, status=InstalledScript.Status.OVER_LIMIT, bc_uuid="", content_hash="", failures=0,
                next_attempt_at=None, last_checked_at=now,
                last_error=f"BigCommerce lets an app install {MAX_SCRIPTS_PER_APP} scripts per store; channel "
                           f"{spec.channel_id} is past them.",
            ))
            continue
        try:
            current = _ensure_one(client, spec, row, remote)
        except HttpError as exc:
            result.append(_failed(row, exc, now=now))
            continue
        result.append(_save(
            row,
            bc_uuid=current.get("uuid") or row.bc_uuid,
            enabled=bool(current.get("enabled", True)),
            content_hash=spec.content_hash,
            status=InstalledScript.Status.INSTALLED,
            last_error="",
            failures=0,
            next_attempt_at=None,
            last_checked_at=now,
        ))
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


def _summary(rows: list[InstalledScript]) -> str:
    installed = sum(1 for row in rows if row.status == InstalledScript.Status.INSTALLED)
    return f"{installed} scripts" if installed == len(rows) else f"{installed} of {len(rows)} scripts"


def scripts_check_all() -> dict[str, str]:
    """The scheduled check: read every installed store's channels again (a channel no webhook announced is
    picked up here), then ensure its scripts; one failure doesn't stop the rest."""
    outcome: dict[str, str] = {}
    for store in Store.objects.filter(status=Store.Status.INSTALLED):
        if not store.access_token:
            continue
        try:
            channels_sync(store=store)
        except HttpError as exc:
            # The channels as last read still say where the scripts go.
            logger.warning("Reading the channels of %s failed: %s", store.store_hash, exc)
        try:
            outcome[store.store_hash] = _summary(scripts_ensure(store=store))
        except Exception as exc:
            logger.warning("Script check failed for %s: %s", store.store_hash, exc)
            outcome[store.store_hash] = f"failed: {exc}"
    return outcome


def scripts_retry_due(*, limit: int = RETRY_BATCH) -> dict[str, str]:
    """Stores with a failed script whose next attempt is due (beat, every few minutes): ensure them again."""
    now = timezone.now()
    store_ids = list(
        InstalledScript.objects.filter(
            status=InstalledScript.Status.FAILED, next_attempt_at__lte=now, store__status=Store.Status.INSTALLED
        ).values_list("store_id", flat=True).distinct()[:limit]
    )
    outcome: dict[str, str] = {}
    for store in Store.objects.filter(pk__in=store_ids):
        if not store.access_token:
            continue
        # A run that dies mid-way must not leave the rows due at once for every later run.
        InstalledScript.objects.filter(store=store, status=InstalledScript.Status.FAILED).update(
            next_attempt_at=now + timedelta(minutes=10)
        )
        try:
            outcome[store.store_hash] = _summary(scripts_ensure(store=store))
        except Exception as exc:
            logger.warning("Script retry failed for %s: %s", store.store_hash, exc)
            outcome[store.store_hash] = f"failed: {exc}"
    return outcome
