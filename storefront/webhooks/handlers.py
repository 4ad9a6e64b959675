"""The registry that carries verified BigCommerce webhook deliveries to the apps that act on them.

storefront is the ground floor: it must not import referrals (or coupons, fraud). Those apps call
`register()` (or `register_resource()`) from their AppConfig.ready(); the processing of stored deliveries
(storefront.webhooks.processing) runs the handlers of each delivery's scope through `handlers_run()`.

A resource handler re-fetches the resource and acts on its current state, not on what the delivery
said (BigCommerce payloads carry only ids). So one run serves every delivery of the same store and
resource in a batch (`handlers_group_key` says which deliveries share a run).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .models import WebhookDelivery

Handler = Callable[[WebhookDelivery], None]
# Called with the deliveries (oldest first, at least one) of one store and one resource id.
ResourceHandler = Callable[[Sequence[WebhookDelivery]], None]


class DeliveryRejected(Exception):
    """A handler refuses a verified delivery on the facts (e.g. BigCommerce denies what it announced):
    recorded as rejected with this reason, not retried, nothing done."""


class DeliveryRetryLater(Exception):
    """A handler cannot act safely now (e.g. BigCommerce can't be reached to confirm a deletion): the
    delivery is retried on the schedule of failed deliveries with this reason, without a traceback."""


@dataclass(frozen=True)
class _Registration:
    scope_prefix: str
    handler: Handler | ResourceHandler
    per_resource: bool

    def run(self, deliveries: Sequence[WebhookDelivery]) -> None:
        if self.per_resource:
            self.handler(deliveries)
        else:
            for delivery in deliveries:
                self.handler(delivery)


_registry: list[_Registration] = []


def _add(registration: _Registration) -> None:
    if registration not in _registry:
        _registry.append(registration)


def register(scope_prefix: str, handler: Handler) -> None:
    """Run `handler` for every verified delivery whose scope starts with `scope_prefix` (idempotent)."""
    _add(_Registration(scope_prefix, handler, per_resource=False))


def register_resource(scope_prefix: str, handler: ResourceHandler) -> None:
    """Run `handler` once per store and resource id for the deliveries of a batch whose scope starts with
    `scope_prefix` (idempotent). Only for handlers that re-fetch the resource: they act on its state,
    so the deliveries of a batch that name it need one run, not one each."""
    _add(_Registration(scope_prefix, handler, per_resource=True))


def _registrations_for(scope: str) -> list[_Registration]:
    return [registration for registration in _registry if scope.startswith(registration.scope_prefix)]


def is_handled(scope: str) -> bool:
    """True when some app subscribed to this scope; the inbox answers 400 to any other scope."""
    return bool(scope) and bool(_registrations_for(scope))


def handlers_run(deliveries: Sequence[WebhookDelivery]) -> None:
    """Run every handler of the deliveries' scope (one delivery, or one resource's); exceptions propagate."""
    registrations = _registrations_for(deliveries[0].scope)
    if not registrations:
        raise LookupError(f"No handler is registered for scope {deliveries[0].scope!r}.")
    for registration in registrations:
        registration.run(deliveries)


def handlers_group_key(delivery: WebhookDelivery) -> tuple:
    """Deliveries with equal keys are served by one run of their handlers.

    Only when every handler of the scope is a resource handler: the same store, the same handlers and
    the same resource id. Anything else is its own group (the delivery's id keeps it apart).
    """
    registrations = _registrations_for(delivery.scope)
    if registrations and all(registration.per_resource for registration in registrations):
        return ("resource", delivery.store_id, tuple(registrations), delivery.resource_id)
    return ("delivery", delivery.pk)

