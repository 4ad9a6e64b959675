"""Reads for the merchant's guided setup: five numbered steps, each with its live status read from our own
rows (no call to BigCommerce or Friendbuy while the page renders).

1. Friendbuy connected — a FriendbuyConnection whose credentials Friendbuy accepted.
2. Storefront tracking live — every script desired_scripts() wants (per channel) installed and enabled.
3. Webhooks active — every scope in WEBHOOK_SCOPES registered and active.
4. Friendbuy URLs pasted — the first signed (verified) call from Friendbuy for this store arrived.
5. First purchase sent — a purchase event for this store went to Friendbuy (a test order or a real one).

The page turns into the dashboard once `SetupStatus.complete` is true.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from referrals.friendbuy.selectors import friendbuy_connection_for
from referrals.models import FriendbuyConnection, FriendbuyDelivery, OutboxEvent
from storefront.models import InstalledScript, Store, StorefrontChannel, WebhookSubscription
from storefront.scripts import TITLES, desired_scripts
from storefront.selectors import store_public_urls
from storefront.webhooks.registration import WEBHOOK_SCOPES

CONSENT_LABELS = {
    "essential": "Essential", "functional": "Functional", "analytics": "Analytics",
    "targeting": "Targeting (advertising)", "unknown": "Unknown",
}


@dataclass(frozen=True)
class ScriptLine:
    """One storefront script on one channel, as the setup step shows it."""

    channel: str
    name: str
    title: str
    installed: bool
    enabled: bool
    consent_category: str
    last_error: str

    @property
    def ok(self) -> bool:
        return self.installed and self.enabled


@dataclass(frozen=True)
class HookLine:
    """One BigCommerce webhook scope, as the setup step shows it."""

    scope: str
    registered: bool
    active: bool
    last_error: str


@dataclass(frozen=True)
class SetupStep:
    number: int
    key: str
    title: str
    done: bool
    summary: str


@dataclass
class SetupStatus:
    connection: FriendbuyConnection | None
    scripts: list[ScriptLine] = field(default_factory=list)
    hooks: list[HookLine] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    first_friendbuy_call: FriendbuyDelivery | None = None
    first_purchase: OutboxEvent | None = None
    steps: list[SetupStep] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.steps)

    @property
    def done_count(self) -> int:
        return sum(1 for step in self.steps if step.done)

    def step(self, key: str) -> SetupStep:
        return next(step for step in self.steps if step.key == key)


def _channel_names(store: Store) -> dict[int, str]:
    return {c.channel_id: c.name or f"Channel {c.channel_id}" for c in StorefrontChannel.objects.filter(store=store)}


def setup_scripts(*, store: Store) -> list[ScriptLine]:
    """Every script the store should have (and any we still track), per channel, with how it stands."""
    names = _channel_names(store)
    tracked = {(row.channel_id, row.name): row for row in InstalledScript.objects.filter(store=store)}
    lines, seen = [], set()
    for spec in desired_scripts(store=store):
        key = (spec.channel_id, spec.name)
        seen.add(key)
        row = tracked.get(key)
        lines.append(ScriptLine(
            channel=names.get(spec.channel_id, f"Channel {spec.channel_id}"), name=spec.name,
            title=TITLES.get(spec.name, spec.name),
            installed=bool(row and row.status == InstalledScript.Status.INSTALLED and row.bc_uuid),
            enabled=bool(row and row.enabled),
            consent_category=CONSENT_LABELS.get(spec.fields.get("consent_category", ""), "Unknown"),
            last_error=(row.last_error if row else "") or ("" if row else "Not installed yet."),
        ))
    for key, row in sorted(tracked.items()):
        if key not in seen:
            lines.append(ScriptLine(
                channel=names.get(row.channel_id, f"Channel {row.channel_id}"), name=row.name,
                title=TITLES.get(row.name, row.name), installed=row.status == InstalledScript.Status.INSTALLED,
                enabled=row.enabled, consent_category="—", last_error=row.last_error or "No longer wanted.",
            ))
    return lines


def setup_hooks(*, store: Store) -> list[HookLine]:
    """Every webhook scope the app needs, with whether BigCommerce has it registered and active."""
    rows = {row.scope: row for row in WebhookSubscription.objects.filter(store=store, scope__in=WEBHOOK_SCOPES)}
    return [
        HookLine(scope=scope, registered=bool(rows.get(scope) and rows[scope].bc_hook_id),
                 active=bool(rows.get(scope) and rows[scope].is_active),
                 last_error=rows[scope].last_error if scope in rows else "Not registered yet.")
        for scope in WEBHOOK_SCOPES
    ]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def setup_status(*, store: Store) -> SetupStatus:
    """The five setup steps of one store with their live status (reads only)."""
    connection = friendbuy_connection_for(store=store)
    status = SetupStatus(
        connection=connection, scripts=setup_scripts(store=store), hooks=setup_hooks(store=store),
        urls=store_public_urls(store=store),
        first_friendbuy_call=FriendbuyDelivery.objects.filter(store=store, valid=True).order_by("received_at").first(),
        first_purchase=OutboxEvent.objects.filter(store=store, kind=OutboxEvent.Kind.PURCHASE,
                                                  state=OutboxEvent.State.SENT).order_by("sent_at").first(),
    )
    connected = bool(connection and connection.health == FriendbuyConnection.Health.HEALTHY)
    if connection is None:
        connect_summary = "Not connected yet."
    elif connected:
        connect_summary = f"Connected to merchant {connection.merchant_id}."
    else:
        connect_summary = f"Friendbuy did not accept the credentials: {connection.last_error or 'not checked yet'}."
    scripts_ok = sum(1 for line in status.scripts if line.ok)
    scripts_done = connected and bool(status.scripts) and scripts_ok == len(status.scripts)
    hooks_ok = sum(1 for line in status.hooks if line.active)
    status.steps = [
        SetupStep(1, "connect", "Connect Friendbuy", connected, connect_summary),
        SetupStep(2, "tracking", "Storefront tracking is live", scripts_done,
                  f"{scripts_ok} of {_plural(len(status.scripts), 'script')} installed and enabled."
                  if status.scripts else "Connect Friendbuy first: the scripts carry your merchant ID."),
        SetupStep(3, "webhooks", "Store events reach the app", hooks_ok == len(status.hooks),
                  f"{hooks_ok} of {_plural(len(status.hooks), 'webhook')} active."),
        SetupStep(4, "friendbuy_urls", "Friendbuy calls the app", status.first_friendbuy_call is not None,
                  "Friendbuy's first signed call arrived." if status.first_friendbuy_call
                  else "Waiting for Friendbuy's first signed call."),
        SetupStep(5, "purchase", "First purchase sent to Friendbuy", status.first_purchase is not None,
                  "A purchase reached Friendbuy." if status.first_purchase
                  else "Waiting for a test order or the first real purchase."),
    ]
    return status


def setup_complete(*, store: Store) -> bool:
    return setup_status(store=store).complete
