"""python manage.py replay [--queue outbox|webhooks|friendbuy] --failed [--dead] [--store HASH] | --event ID

Outbox (the default): gives failed (and with --dead, dead) events a fresh set of attempts and sends them
now; sent events are never sent again. Webhooks (BigCommerce deliveries) and friendbuy (Friendbuy
webhook deliveries): processes the failed (and with --dead, the dead-lettered) deliveries again now;
processing is idempotent, so nothing already done is done twice.
"""

from django.core.management.base import BaseCommand, CommandError

from referrals.inbox.process import deliveries_replay
from referrals.models import FriendbuyDelivery, OutboxEvent
from referrals.outbox import outbox_replay
from storefront.models import WebhookDelivery
from storefront.selectors import store_by_hash
from storefront.webhooks import processing

QUEUES = ("outbox", "webhooks", "friendbuy")


class Command(BaseCommand):
    help = "Replay failed/dead Friendbuy outbox events, BigCommerce webhook deliveries or Friendbuy deliveries."

    def add_arguments(self, parser):
        parser.add_argument("--queue", choices=QUEUES, default="outbox",
                            help="outbox (default): events to Friendbuy; webhooks: BigCommerce deliveries; "
                                 "friendbuy: Friendbuy webhook deliveries.")
        parser.add_argument("--failed", action="store_true", help="Replay rows in state failed.")
        parser.add_argument("--dead", action="store_true", help="Replay dead letters too.")
        parser.add_argument("--store", help="Only this store hash.")
        parser.add_argument("--event", type=int, help="Replay this one row (an outbox event must be failed or dead).")

    def handle(self, *args, queue, failed, dead, store, event, **options):
        if event is None and not (failed or dead):
            raise CommandError("Give --failed and/or --dead, or --event ID.")
        store_obj = None
        if store:
            store_obj = store_by_hash(store_hash=store)
            if store_obj is None:
                raise CommandError(f"No store {store!r}.")
        states = tuple(s for s, wanted in (("failed", failed), ("dead", dead)) if wanted)
        if queue == "outbox":
            self._outbox(event=event, store=store_obj, states=states)
        elif queue == "webhooks":
            self._deliveries(WebhookDelivery, processing.deliveries_replay, event=event, store=store_obj,
                             states=states, label="BigCommerce webhook deliveries")
        else:
            self._deliveries(FriendbuyDelivery, deliveries_replay, event=event, store=store_obj,
                             states=states, label="Friendbuy deliveries")

    def _outbox(self, *, event, store, states):
        if event is not None:
            row = OutboxEvent.objects.filter(pk=event).first()
            if row is None:
                raise CommandError(f"No outbox event {event}.")
            if row.state not in (OutboxEvent.State.FAILED, OutboxEvent.State.DEAD):
                raise CommandError(f"Event {event} is {row.state}; only failed or dead events are replayed.")
            count = outbox_replay(event_ids=[event])
        else:
            count = outbox_replay(store=store, states=states)
        sent = OutboxEvent.objects.filter(state=OutboxEvent.State.SENT)
        self.stdout.write(self.style.SUCCESS(f"Replayed {count} events ({sent.count()} sent in total)."))

    def _deliveries(self, model, replay, *, event, store, states, label):
        if event is not None:
            if not model.objects.filter(pk=event).exists():
                raise CommandError(f"No {label[:-1].lower()} {event}.")
            ids = [event]
        else:
            rows = model.objects.filter(status__in=states)
            if store is not None:
                rows = rows.filter(store=store)
            ids = list(rows.values_list("pk", flat=True))
        count = replay(delivery_ids=ids)
        still_dead = model.objects.filter(pk__in=ids, status="dead").count()
        self.stdout.write(self.style.SUCCESS(f"Replayed {count} {label} ({still_dead} still dead)."))
